#include "exec/group_table.h"

#include <cstring>

namespace decree::exec {

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

void EncodeKey(const std::vector<Vec>& keys, uint32_t r, std::string* out) {
  for (const Vec& v : keys) {
    size_t s = v.at(r);
    bool valid = v.valid == nullptr || v.valid[s] != 0;
    out->push_back(valid ? 1 : 0);
    if (!valid) continue;
    switch (v.type) {
      case PType::kBool: out->push_back(static_cast<char>(v.b[s])); break;
      case PType::kI64: out->append(reinterpret_cast<const char*>(&v.i[s]), 8); break;
      case PType::kI128: out->append(reinterpret_cast<const char*>(&v.m[s]), 16); break;
      case PType::kStr: {
        uint32_t n = v.s[s].size;
        out->append(reinterpret_cast<const char*>(&n), 4);
        out->append(v.s[s].data, n);
        break;
      }
    }
  }
}

ir::Value DecodeKey(std::string_view bytes, const std::vector<ir::Type>& types, size_t k) {
  size_t p = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    bool valid = bytes[p++] != 0;
    PType t = PhysicalType(types[i].kind);
    ir::Value v;
    if (valid) {
      v.null = false;
      v.kind = types[i].kind;
      switch (t) {
        case PType::kBool: v.i = bytes[p] != 0; p += 1; break;
        case PType::kI64:
          std::memcpy(&v.i, bytes.data() + p, 8);
          p += 8;
          if (v.kind == ir::TypeKind::kEnum) v.enum_id = types[i].ref;
          break;
        case PType::kI128:
          std::memcpy(&v.m, bytes.data() + p, 16);
          v.scale = types[i].scale;
          p += 16;
          break;
        case PType::kStr: {
          uint32_t n;
          std::memcpy(&n, bytes.data() + p, 4);
          v.s = std::string(bytes.substr(p + 4, n));
          p += 4 + n;
          break;
        }
      }
    }
    if (i == k) return v;
  }
  return ir::Value::Null();
}

std::vector<AggSpec> AggSpecs(const ir::Rule& rule) {
  std::vector<AggSpec> out;
  for (const ir::Agg& a : rule.aggs) {
    AggSpec s;
    s.kind = a.kind;
    s.type = a.type;
    s.arg_type = a.arg ? PhysicalType(a.arg->type.kind) : PType::kI64;
    s.arg_scale = a.arg ? a.arg->type.scale : 0;
    out.push_back(s);
  }
  return out;
}

uint32_t GroupTable::FindOrInsert(uint64_t hash, std::string_view key) {
  if ((key_off_.size() + 1) * 2 > slots_.size()) Grow();
  size_t mask = slots_.size() - 1;
  size_t i = hash & mask;
  for (;;) {
    uint32_t s = slots_[i];
    if (s == 0) break;
    uint32_t g = s - 1;
    if (hashes_[g] == hash && key_len_[g] == key.size() && std::memcmp(keys_.data() + key_off_[g], key.data(), key.size()) == 0) {
      return g;
    }
    i = (i + 1) & mask;
  }
  uint32_t g = static_cast<uint32_t>(key_off_.size());
  slots_[i] = g + 1;
  hashes_.push_back(hash);
  key_off_.push_back(static_cast<uint32_t>(keys_.size()));
  key_len_.push_back(static_cast<uint32_t>(key.size()));
  keys_.append(key);
  accs_.resize(accs_.size() + aggs_);
  rows_.push_back(0);
  max_time_.push_back(INT64_MIN);
  return g;
}

void GroupTable::Grow() {
  size_t n = slots_.empty() ? 1024 : slots_.size() * 2;
  slots_.assign(n, 0);
  size_t mask = n - 1;
  for (uint32_t g = 0; g < key_off_.size(); ++g) {
    size_t i = hashes_[g] & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = g + 1;
  }
}

void GroupTable::Update(const AggSpec& spec, Acc* a, const Vec& v, size_t s) {
  switch (spec.kind) {
    case ir::AggKind::kCount: ++a->i; return;
    case ir::AggKind::kCountDistinct: {
      if (a->has == 0) {
        a->has = 1;
        a->i = static_cast<int64_t>(distinct_.size());
        distinct_.emplace_back();
      }
      std::string k;
      switch (v.type) {
        case PType::kStr: k.assign(v.s[s].data, v.s[s].size); break;
        case PType::kI64: k.assign(reinterpret_cast<const char*>(&v.i[s]), 8); break;
        case PType::kI128: k.assign(reinterpret_cast<const char*>(&v.m[s]), 16); break;
        case PType::kBool: k.assign(1, static_cast<char>(v.b[s])); break;
      }
      distinct_[a->i].insert(std::move(k));
      return;
    }
    case ir::AggKind::kSum: {
      i128 x = v.type == PType::kI64 ? static_cast<i128>(v.i[s]) : v.m[s];
      if (v.cur != nullptr) {
        if (a->has && a->cur != v.cur[s]) a->mixed = 1;
        a->cur = v.cur[s];
      }
      if (__builtin_add_overflow(a->m, x, &a->m)) a->mixed = 2;
      a->has = 1;
      return;
    }
    case ir::AggKind::kMin:
    case ir::AggKind::kMax: {
      bool is_min = spec.kind == ir::AggKind::kMin;
      if (v.type == PType::kStr) {
        std::string_view x = v.s[s].view();
        if (!a->has || (is_min ? x < PoolString(*a) : x > PoolString(*a))) {
          a->i = static_cast<int64_t>(pool_.size());
          a->len = static_cast<uint32_t>(x.size());
          pool_.append(x);
        }
      } else {
        i128 x = v.type == PType::kI64 ? static_cast<i128>(v.i[s]) : v.m[s];
        if (!a->has || (is_min ? x < a->m : x > a->m)) a->m = x;
        if (v.cur != nullptr) {
          if (a->has && a->cur != v.cur[s]) a->mixed = 1;
          a->cur = v.cur[s];
        }
      }
      a->has = 1;
      return;
    }
  }
}

void GroupTable::Merge(const AggSpec& spec, Acc* a, const Acc& b, const GroupTable& other) {
  if (!b.has && spec.kind != ir::AggKind::kCount) return;
  switch (spec.kind) {
    case ir::AggKind::kCount: a->i += b.i; return;
    case ir::AggKind::kCountDistinct: {
      if (a->has == 0) {
        a->has = 1;
        a->i = static_cast<int64_t>(distinct_.size());
        distinct_.emplace_back();
      }
      for (const std::string& k : other.distinct_[b.i]) distinct_[a->i].insert(k);
      return;
    }
    case ir::AggKind::kSum:
      if (a->has && a->cur != b.cur) a->mixed = 1;
      if (b.mixed) a->mixed = b.mixed;
      if (__builtin_add_overflow(a->m, b.m, &a->m)) a->mixed = 2;
      a->cur = b.cur;
      a->has = 1;
      return;
    case ir::AggKind::kMin:
    case ir::AggKind::kMax: {
      bool is_min = spec.kind == ir::AggKind::kMin;
      if (spec.arg_type == PType::kStr) {
        std::string_view x = other.PoolString(b);
        if (!a->has || (is_min ? x < PoolString(*a) : x > PoolString(*a))) {
          a->i = static_cast<int64_t>(pool_.size());
          a->len = static_cast<uint32_t>(x.size());
          pool_.append(x);
        }
      } else {
        if (!a->has || (is_min ? b.m < a->m : b.m > a->m)) a->m = b.m;
        if (a->has && a->cur != b.cur) a->mixed = 1;
        a->cur = b.cur;
      }
      if (b.mixed) a->mixed = b.mixed;
      a->has = 1;
      return;
    }
  }
}

ir::Value GroupTable::Result(const AggSpec& spec, const Acc& a, bool* mixed) const {
  *mixed = a.mixed != 0;
  switch (spec.kind) {
    case ir::AggKind::kCount: return ir::Value::Integer(a.i);
    case ir::AggKind::kCountDistinct:
      return ir::Value::Integer(a.has ? static_cast<int64_t>(distinct_[a.i].size()) : 0);
    default: break;
  }
  if (!a.has) return ir::Value::Null();
  ir::Value v;
  v.null = false;
  v.kind = spec.type.kind;
  switch (PhysicalType(spec.type.kind)) {
    case PType::kI64: v.i = static_cast<int64_t>(a.m); break;
    case PType::kI128:
      v.m = a.m;
      v.scale = spec.arg_scale;
      if (v.kind == ir::TypeKind::kMoney) v.currency = a.cur;
      break;
    case PType::kStr: v.s = std::string(PoolString(a)); break;
    case PType::kBool: v.i = a.m != 0; break;
  }
  if (v.kind == ir::TypeKind::kRate) v.kind = ir::TypeKind::kDecimal;
  return v;
}

void GroupTable::Store(const AggSpec& spec, const Acc& a, Vec* out, uint32_t r) const {
  out->err[r] = a.mixed;
  switch (spec.kind) {
    case ir::AggKind::kCount:
      out->valid[r] = 1;
      out->i[r] = a.i;
      return;
    case ir::AggKind::kCountDistinct:
      out->valid[r] = 1;
      out->i[r] = a.has ? static_cast<int64_t>(distinct_[a.i].size()) : 0;
      return;
    default: break;
  }
  out->valid[r] = a.has;
  switch (out->type) {
    case PType::kI64: out->i[r] = static_cast<int64_t>(a.m); break;
    case PType::kI128:
      out->m[r] = a.m;
      if (out->cur != nullptr) out->cur[r] = a.cur;
      break;
    case PType::kStr: out->s[r] = StrRef{pool_.data() + a.i, a.len}; break;
    case PType::kBool: out->b[r] = a.m != 0; break;
  }
}

size_t GroupTable::MemoryBytes() const {
  return slots_.capacity() * 4 + hashes_.capacity() * 8 + key_off_.capacity() * 8 + keys_.capacity() +
         accs_.capacity() * sizeof(Acc) + rows_.capacity() * 16 + member_group_.capacity() * 10 + ids_.capacity() +
         pool_.capacity();
}

}  // namespace decree::exec
