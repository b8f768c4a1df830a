#include "exec/group_table.h"

#include <algorithm>

#include "common/varint.h"

namespace decree::exec {

namespace {

// Bytes of a non-null key value of type t (0: variable, text).
size_t FixedWidth(const ir::Type& t) {
  switch (t.kind) {
    case ir::TypeKind::kBool: return 1;
    case ir::TypeKind::kEnum:
    case ir::TypeKind::kCurrency: return 2;
    case ir::TypeKind::kDate: return 4;
    case ir::TypeKind::kDecimal:
    case ir::TypeKind::kMoney:
    case ir::TypeKind::kRate: return 16;
    case ir::TypeKind::kText:
    case ir::TypeKind::kId:
    case ir::TypeKind::kCountry:
    case ir::TypeKind::kList: return 0;
    default: return 8;
  }
}

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

template <typename T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

}  // namespace

uint64_t HashBytes(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (s.size() * 0xFF51AFD7ED558CCDULL);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0x94D049BB133111EBULL;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return h;
}

void EncodeKey(const std::vector<Vec>& keys, const std::vector<ir::Type>& types, uint32_t r, std::string* out) {
  for (size_t k = 0; k < keys.size(); ++k) {
    const Vec& v = keys[k];
    const ir::Type& t = types[k];
    size_t s = v.at(r);
    bool valid = v.valid == nullptr || v.valid[s] != 0;
    if (t.optional) out->push_back(valid ? 1 : 0);
    if (!valid) continue;
    switch (FixedWidth(t)) {
      case 1: out->push_back(static_cast<char>(v.b[s])); break;
      case 2: Put<uint16_t>(out, static_cast<uint16_t>(v.i[s])); break;
      case 4: Put<int32_t>(out, static_cast<int32_t>(v.i[s])); break;
      case 8: Put<int64_t>(out, v.i[s]); break;
      case 16: Put<i128>(out, v.m[s]); break;
      default: {
        uint16_t n = static_cast<uint16_t>(std::min<uint32_t>(v.s[s].size, UINT16_MAX));
        Put<uint16_t>(out, n);
        out->append(v.s[s].data, n);
      }
    }
  }
}

void DecodeKeyInto(std::string_view bytes, const std::vector<ir::Type>& types, std::vector<Vec>& columns, uint32_t row) {
  const char* p = bytes.data();
  for (size_t k = 0; k < types.size(); ++k) {
    const ir::Type& t = types[k];
    Vec& v = columns[k];
    bool valid = true;
    if (t.optional) valid = *p++ != 0;
    if (v.valid != nullptr) v.valid[row] = valid;
    if (!valid) continue;
    switch (FixedWidth(t)) {
      case 1: v.b[row] = static_cast<uint8_t>(*p); p += 1; break;
      case 2: v.i[row] = Get<uint16_t>(p); p += 2; break;
      case 4: v.i[row] = Get<int32_t>(p); p += 4; break;
      case 8: v.i[row] = Get<int64_t>(p); p += 8; break;
      case 16: v.m[row] = Get<i128>(p); p += 16; break;
      default: {
        uint16_t n = Get<uint16_t>(p);
        v.s[row] = StrRef{p + 2, n};
        p += 2 + n;
      }
    }
  }
}

ir::Value DecodeKey(std::string_view bytes, const std::vector<ir::Type>& types, size_t k) {
  const char* p = bytes.data();
  for (size_t i = 0; i < types.size(); ++i) {
    const ir::Type& t = types[i];
    bool valid = true;
    if (t.optional) valid = *p++ != 0;
    ir::Value v;
    if (valid) {
      v.null = false;
      v.kind = t.kind == ir::TypeKind::kRate ? ir::TypeKind::kDecimal : t.kind;
      switch (FixedWidth(t)) {
        case 1: v.i = *p != 0; p += 1; break;
        case 2: v.i = Get<uint16_t>(p); p += 2; break;
        case 4: v.i = Get<int32_t>(p); p += 4; break;
        case 8: v.i = Get<int64_t>(p); p += 8; break;
        case 16:
          v.m = Get<i128>(p);
          v.scale = t.scale;
          p += 16;
          break;
        default: {
          uint16_t n = Get<uint16_t>(p);
          v.s.assign(p + 2, n);
          p += 2 + n;
        }
      }
      if (t.kind == ir::TypeKind::kEnum) v.enum_id = t.ref;
    }
    if (i == k) return v;
  }
  return ir::Value::Null();
}

char* RecordBuffer::Append(size_t n) {
  char* p = arena_.Allocate(n);
  if (!runs_.empty() && runs_.back().second == p) {
    runs_.back().second = p + n;
  } else {
    runs_.emplace_back(p, p + n);
  }
  bytes_ += n;
  ++records_;
  return p;
}

void RecordBuffer::Clear() {
  arena_.Clear();
  runs_.clear();
  records_ = bytes_ = 0;
}

std::vector<AggSpec> AggSpecs(const ir::Rule& rule) {
  std::vector<AggSpec> out;
  for (const ir::Agg& a : rule.aggs) {
    AggSpec s;
    s.kind = a.kind;
    s.type = a.type;
    s.has_arg = a.arg != nullptr;
    s.arg_type = a.arg ? PhysicalType(a.arg->type.kind) : PType::kI64;
    s.arg_scale = a.arg ? a.arg->type.scale : 0;
    s.money = a.arg && a.arg->type.kind == ir::TypeKind::kMoney;
    out.push_back(s);
  }
  return out;
}

namespace {

// 128-bit zigzag varints: amounts fit in a few bytes.
inline unsigned __int128 ZigZag(i128 v) {
  return (static_cast<unsigned __int128>(v) << 1) ^ static_cast<unsigned __int128>(v >> 127);
}
inline i128 UnZigZag(unsigned __int128 u) { return static_cast<i128>(u >> 1) ^ -static_cast<i128>(u & 1); }

inline char* PutVarint128(char* p, unsigned __int128 v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline size_t Varint128Size(unsigned __int128 v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline const char* GetVarint128(const char* p, unsigned __int128* v) {
  unsigned __int128 r = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = static_cast<uint8_t>(*p++);
    r |= static_cast<unsigned __int128>(b & 0x7F) << shift;
    if (b < 0x80) break;
  }
  *v = r;
  return p;
}

}  // namespace

size_t RecordSize(const char* rec) {
  uint64_t size = 0;
  GetVarint(rec, &size);
  return size;
}

int64_t RecordTime(const char* rec) {
  uint64_t size = 0;
  int64_t time;
  std::memcpy(&time, GetVarint(rec, &size), 8);
  return time;
}

std::string_view RecordKey(const char* rec) {
  uint64_t size = 0, len = 0;
  const char* p = GetVarint(rec, &size) + 8;  // the time
  p = GetVarint(p, &len);
  return std::string_view(p, len);
}

bool RecordAnchors(const char* rec) {
  std::string_view key = RecordKey(rec);
  return key.data()[key.size()] != 0;
}

void RecordCodec::Append(RecordBuffer* buf, int64_t time, std::string_view key, bool anchor,
                         const std::vector<uint8_t>& present, const std::vector<Vec>& args, uint32_t r,
                         std::string_view id) const {
  id = id.substr(0, UINT16_MAX);
  size_t presence_bytes = (specs_.size() + 7) / 8;
  size_t body = 8 + VarintSize(key.size()) + key.size() + (windowed_ ? 1 : 0) + presence_bytes + VarintSize(id.size()) + id.size();
  for (size_t a = 0; a < specs_.size(); ++a) {
    if (!present[a] || !specs_[a].has_arg) continue;
    const Vec& v = args[a];
    size_t s = v.at(r);
    switch (specs_[a].arg_type) {
      case PType::kBool: body += 1; break;
      case PType::kI64: body += Varint128Size(ZigZag(v.i[s])); break;
      case PType::kI128: body += Varint128Size(ZigZag(v.m[s])); break;
      case PType::kStr: body += VarintSize(v.s[s].size) + v.s[s].size; break;
    }
    if (specs_[a].money) body += VarintSize(v.cur[s]);
  }
  // The size includes its own varint.
  size_t size = body + VarintSize(body + 1);
  if (VarintSize(size) != VarintSize(body + 1)) size = body + VarintSize(size);
  char* p = buf->Append(size);
  p = PutVarint(p, size);
  std::memcpy(p, &time, 8);
  p += 8;
  p = PutVarint(p, key.size());
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  if (windowed_) *p++ = anchor ? 1 : 0;
  char* presence = p;
  std::memset(presence, 0, presence_bytes);
  p += presence_bytes;
  for (size_t a = 0; a < specs_.size(); ++a) {
    if (!present[a]) continue;
    presence[a / 8] = static_cast<char>(presence[a / 8] | (1 << (a % 8)));
    if (!specs_[a].has_arg) continue;
    const Vec& v = args[a];
    size_t s = v.at(r);
    switch (specs_[a].arg_type) {
      case PType::kBool: *p++ = static_cast<char>(v.b[s]); break;
      case PType::kI64: p = PutVarint128(p, ZigZag(v.i[s])); break;
      case PType::kI128: p = PutVarint128(p, ZigZag(v.m[s])); break;
      case PType::kStr:
        p = PutVarint(p, v.s[s].size);
        std::memcpy(p, v.s[s].data, v.s[s].size);
        p += v.s[s].size;
        break;
    }
    if (specs_[a].money) p = PutVarint(p, v.cur[s]);
  }
  p = PutVarint(p, id.size());
  std::memcpy(p, id.data(), id.size());
}

void RecordCodec::Decode(const char* rec, RecordView* out, bool hash) const {
  uint64_t n;
  const char* p = GetVarint(rec, &n);
  std::memcpy(&out->time, p, 8);
  p += 8;
  p = GetVarint(p, &n);
  out->key = std::string_view(p, n);
  p += n;
  out->hash = hash ? HashBytes(out->key) : 0;
  out->anchor = windowed_ ? *p++ != 0 : true;
  const char* presence = p;
  p += (specs_.size() + 7) / 8;
  for (size_t a = 0; a < specs_.size(); ++a) {
    RecordView::Arg& arg = out->args[a];
    arg.present = (presence[a / 8] >> (a % 8)) & 1;
    if (!arg.present || !specs_[a].has_arg) continue;
    unsigned __int128 u;
    switch (specs_[a].arg_type) {
      case PType::kBool: arg.m = static_cast<uint8_t>(*p++); break;
      case PType::kI64:
      case PType::kI128:
        p = GetVarint128(p, &u);
        arg.m = UnZigZag(u);
        break;
      case PType::kStr:
        p = GetVarint(p, &n);
        arg.s = std::string_view(p, n);
        p += n;
        break;
    }
    if (specs_[a].money) {
      p = GetVarint(p, &n);
      arg.cur = static_cast<uint16_t>(n);
    }
  }
  p = GetVarint(p, &n);
  out->id = std::string_view(p, n);
}

GroupTable::GroupTable(const std::vector<AggSpec>& specs, size_t expected) : specs_(specs) { Reset(expected); }

void GroupTable::Reset(size_t expected) {
  size_t n = 16;  // a decision's group has a handful of records; a batch partition thousands
  while (n < expected * 2) n *= 2;
  slots_.assign(n, 0);
  hashes_.clear();
  keys_.clear();
  accs_.clear();
  rows_.clear();
  max_time_.clear();
  distinct_.clear();
  hashes_.reserve(expected);
  keys_.reserve(expected);
  accs_.reserve(expected * specs_.size());
  rows_.reserve(expected);
  max_time_.reserve(expected);
}

uint32_t GroupTable::FindOrInsert(uint64_t hash, std::string_view key) {
  if ((keys_.size() + 1) * 2 > slots_.size()) {
    std::vector<uint32_t> bigger(slots_.size() * 2, 0);
    size_t mask = bigger.size() - 1;
    for (uint32_t g = 0; g < keys_.size(); ++g) {
      size_t i = hashes_[g] & mask;
      while (bigger[i] != 0) i = (i + 1) & mask;
      bigger[i] = g + 1;
    }
    slots_.swap(bigger);
  }
  size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  for (;;) {
    uint32_t s = slots_[i];
    if (s == 0) break;
    uint32_t g = s - 1;
    if (hashes_[g] == hash && keys_[g] == key) return g;
    i = (i + 1) & mask;
  }
  uint32_t g = static_cast<uint32_t>(keys_.size());
  slots_[i] = g + 1;
  hashes_.push_back(hash);
  keys_.push_back(key);
  accs_.resize(accs_.size() + specs_.size());
  rows_.push_back(0);
  max_time_.push_back(INT64_MIN);
  return g;
}

void GroupTable::Add(uint32_t g, const RecordView& r) {
  ++rows_[g];
  if (r.time > max_time_[g]) max_time_[g] = r.time;
  Acc* accs = this->accs(g);
  for (size_t a = 0; a < specs_.size(); ++a) {
    const RecordView::Arg& arg = r.args[a];
    if (!arg.present) continue;
    Acc& acc = accs[a];
    const AggSpec& spec = specs_[a];
    switch (spec.kind) {
      case ir::AggKind::kCount: ++acc.i; break;
      case ir::AggKind::kCountDistinct: {
        if (!acc.has) {
          acc.has = 1;
          acc.i = static_cast<int64_t>(distinct_.size());
          distinct_.emplace_back();
        }
        if (spec.arg_type == PType::kStr) {
          distinct_[acc.i].emplace(arg.s);
        } else {
          distinct_[acc.i].emplace(reinterpret_cast<const char*>(&arg.m), sizeof(i128));
        }
        break;
      }
      case ir::AggKind::kSum:
        if (spec.money) {
          if (acc.has && acc.cur != arg.cur) acc.mixed = 1;
          acc.cur = arg.cur;
        }
        if (__builtin_add_overflow(acc.m, arg.m, &acc.m)) acc.mixed = 2;
        acc.has = 1;
        break;
      case ir::AggKind::kMin:
      case ir::AggKind::kMax: {
        bool is_min = spec.kind == ir::AggKind::kMin;
        if (spec.arg_type == PType::kStr) {
          std::string_view cur(acc.s, acc.len);
          if (!acc.has || (is_min ? arg.s < cur : arg.s > cur)) {
            acc.s = arg.s.data();
            acc.len = static_cast<uint32_t>(arg.s.size());
          }
        } else {
          if (!acc.has || (is_min ? arg.m < acc.m : arg.m > acc.m)) acc.m = arg.m;
          if (spec.money) {
            if (acc.has && acc.cur != arg.cur) acc.mixed = 1;
            acc.cur = arg.cur;
          }
        }
        acc.has = 1;
        break;
      }
    }
  }
}

void GroupTable::Store(size_t a, const Acc& acc, Vec* out, uint32_t r) const {
  out->err[r] = acc.mixed;
  switch (specs_[a].kind) {
    case ir::AggKind::kCount:
      out->valid[r] = 1;
      out->i[r] = acc.i;
      return;
    case ir::AggKind::kCountDistinct:
      out->valid[r] = 1;
      out->i[r] = acc.has ? static_cast<int64_t>(distinct_[acc.i].size()) : 0;
      return;
    default: break;
  }
  out->valid[r] = acc.has;
  switch (out->type) {
    case PType::kI64: out->i[r] = static_cast<int64_t>(acc.m); break;
    case PType::kI128:
      out->m[r] = acc.m;
      if (out->cur != nullptr) out->cur[r] = acc.cur;
      break;
    case PType::kStr: out->s[r] = StrRef{acc.s, acc.len}; break;
    case PType::kBool: out->b[r] = acc.m != 0; break;
  }
}

}  // namespace decree::exec
