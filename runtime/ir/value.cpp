#include "ir/value.h"

#include <algorithm>

#include "common/civil.h"
#include "common/codes.h"
#include "ir/ir.h"

namespace decree::ir {

namespace {

bool IsTextual(TypeKind k) {
  return k == TypeKind::kText || k == TypeKind::kId || k == TypeKind::kCountry || k == TypeKind::kList;
}
bool IsDecimalLike(TypeKind k) {
  return k == TypeKind::kDecimal || k == TypeKind::kRate || k == TypeKind::kInteger;
}
bool IsIntLike(TypeKind k) {
  return k == TypeKind::kBool || k == TypeKind::kDate || k == TypeKind::kTimestamp ||
         k == TypeKind::kDuration || k == TypeKind::kCurrency || k == TypeKind::kEnum;
}

void AsDecimal(const Value& v, i128* m, int* s) {
  if (v.kind == TypeKind::kInteger) {
    *m = v.i;
    *s = 0;
  } else {
    *m = v.m;
    *s = v.scale;
  }
}

int Sign(i128 v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

}  // namespace

int CompareValues(const Value& a, const Value& b, bool* ok) {
  *ok = true;
  if (a.null || b.null) {
    *ok = false;
    return 0;
  }
  if (IsTextual(a.kind) && IsTextual(b.kind)) return a.s < b.s ? -1 : (a.s > b.s ? 1 : 0);
  if (a.kind == TypeKind::kMoney && b.kind == TypeKind::kMoney) {
    if (a.currency != b.currency) {
      *ok = false;
      return 0;
    }
    return CompareDecimal(a.m, a.scale, b.m, b.scale);
  }
  if (IsDecimalLike(a.kind) && IsDecimalLike(b.kind)) {
    i128 am, bm;
    int as, bs;
    AsDecimal(a, &am, &as);
    AsDecimal(b, &bm, &bs);
    return CompareDecimal(am, as, bm, bs);
  }
  if (a.kind == TypeKind::kRatio && IsDecimalLike(b.kind)) {
    // n/d ? c  <=>  n ? c*d  (flipped when d < 0); undefined when d == 0.
    if (a.m2 == 0) {
      *ok = false;
      return 0;
    }
    i128 cm;
    int cs;
    AsDecimal(b, &cm, &cs);
    i128 rhs;
    if (!MulChecked(cm, a.m2, &rhs)) {
      *ok = false;
      return 0;
    }
    int c = CompareDecimal(a.m, a.scale, rhs, cs + a.scale2);
    return Sign(a.m2) < 0 ? -c : c;
  }
  if (IsDecimalLike(a.kind) && b.kind == TypeKind::kRatio) return -CompareValues(b, a, ok);
  if (a.kind == b.kind && IsIntLike(a.kind)) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  *ok = false;
  return 0;
}

void NormalizeSet(Value* set) {
  auto less = [](const Value& x, const Value& y) {
    bool ok;
    int c = CompareValues(x, y, &ok);
    if (!ok) return x.kind < y.kind;
    return c < 0;
  };
  std::sort(set->elems.begin(), set->elems.end(), less);
  set->elems.erase(std::unique(set->elems.begin(), set->elems.end(),
                               [&](const Value& x, const Value& y) { return !less(x, y) && !less(y, x); }),
                   set->elems.end());
}

bool SetContains(const Value& set, const Value& v) {
  for (const Value& e : set.elems) {
    bool ok;
    if (CompareValues(e, v, &ok) == 0 && ok) return true;
  }
  return false;
}

std::string ValueToDisplay(const Value& v, const Program* program) {
  if (v.null) return "null";
  switch (v.kind) {
    case TypeKind::kBool: return v.i ? "true" : "false";
    case TypeKind::kInteger: return std::to_string(v.i);
    case TypeKind::kDecimal:
    case TypeKind::kRate: return FormatDecimalTrimmed(v.m, v.scale, 0);
    case TypeKind::kMoney: {
      int minor = v.currency >= 0 ? CurrencyMinorUnits(static_cast<CurrencyId>(v.currency)) : 2;
      return FormatDecimalTrimmed(v.m, v.scale, std::min(minor, v.scale)) + " " +
             std::string(CurrencyCode(static_cast<CurrencyId>(v.currency)));
    }
    case TypeKind::kRatio:
      return FormatDecimalTrimmed(v.m, v.scale, 0) + "/" + FormatDecimalTrimmed(v.m2, v.scale2, 0);
    case TypeKind::kDate: return FormatDate(static_cast<int32_t>(v.i));
    case TypeKind::kTimestamp: return FormatTimestamp(v.i, 0);
    case TypeKind::kDuration: {
      int64_t us = v.i;
      if (us % kMicrosPerDay == 0) return std::to_string(us / kMicrosPerDay) + " days";
      if (us % (3600 * kMicrosPerSecond) == 0) return std::to_string(us / (3600 * kMicrosPerSecond)) + " hours";
      if (us % (60 * kMicrosPerSecond) == 0) return std::to_string(us / (60 * kMicrosPerSecond)) + " minutes";
      return std::to_string(us / kMicrosPerSecond) + " seconds";
    }
    case TypeKind::kText:
    case TypeKind::kId:
    case TypeKind::kCountry:
    case TypeKind::kList: return v.s;
    case TypeKind::kCurrency: return std::string(CurrencyCode(static_cast<CurrencyId>(v.i)));
    case TypeKind::kEnum:
      if (program != nullptr && v.enum_id >= 0 && v.enum_id < static_cast<int>(program->enums.size()) &&
          v.i >= 0 && v.i < static_cast<int64_t>(program->enums[v.enum_id].values.size())) {
        return program->enums[v.enum_id].values[v.i];
      }
      return "#" + std::to_string(v.i);
    case TypeKind::kSet: {
      std::string s = "{";
      for (size_t i = 0; i < v.elems.size(); ++i) {
        if (i > 0) s += ", ";
        s += ValueToDisplay(v.elems[i], program);
      }
      return s + "}";
    }
    default: return "?";
  }
}

std::string EncodeValue(const Value& v) {
  if (v.null) return "null";
  std::string k = KindName(v.kind);
  switch (v.kind) {
    case TypeKind::kBool: return k + ":" + (v.i ? "true" : "false");
    case TypeKind::kInteger:
    case TypeKind::kDuration: return k + ":" + std::to_string(v.i);
    case TypeKind::kDecimal:
    case TypeKind::kRate: return k + ":" + FormatDecimal(v.m, v.scale);
    case TypeKind::kMoney:
      return k + ":" + FormatDecimal(v.m, v.scale) + ":" +
             std::string(CurrencyCode(static_cast<CurrencyId>(v.currency)));
    case TypeKind::kRatio:
      return k + ":" + FormatDecimal(v.m, v.scale) + ":" + FormatDecimal(v.m2, v.scale2);
    case TypeKind::kDate: return k + ":" + FormatDate(static_cast<int32_t>(v.i));
    case TypeKind::kTimestamp: return k + ":" + FormatTimestamp(v.i, 0);
    case TypeKind::kText:
    case TypeKind::kId:
    case TypeKind::kCountry:
    case TypeKind::kList: return k + ":" + v.s;
    case TypeKind::kCurrency: return k + ":" + std::string(CurrencyCode(static_cast<CurrencyId>(v.i)));
    case TypeKind::kEnum: return k + ":" + std::to_string(v.enum_id) + ":" + std::to_string(v.i);
    case TypeKind::kSet: {
      std::string s = k + ":" + std::to_string(v.elems.size());
      for (const Value& e : v.elems) {
        std::string enc = EncodeValue(e);
        s += ":" + std::to_string(enc.size()) + ":" + enc;
      }
      return s;
    }
    default: return "null";
  }
}

namespace {

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  bool neg = s[0] == '-';
  if (neg) s.remove_prefix(1);
  if (s.empty()) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = neg ? -v : v;
  return true;
}

}  // namespace

bool DecodeValue(const std::string& text, Value* out) {
  if (text == "null") {
    *out = Value::Null();
    return true;
  }
  size_t colon = text.find(':');
  if (colon == std::string::npos) return false;
  std::string kind = text.substr(0, colon);
  std::string_view rest = std::string_view(text).substr(colon + 1);
  Value v;
  v.null = false;
  bool found = false;
  for (int k = 0; k <= static_cast<int>(TypeKind::kList); ++k) {
    if (kind == KindName(static_cast<TypeKind>(k))) {
      v.kind = static_cast<TypeKind>(k);
      found = true;
    }
  }
  if (!found) return false;
  switch (v.kind) {
    case TypeKind::kBool:
      if (rest != "true" && rest != "false") return false;
      v.i = rest == "true";
      break;
    case TypeKind::kInteger:
    case TypeKind::kDuration:
      if (!ParseInt64(rest, &v.i)) return false;
      break;
    case TypeKind::kDecimal:
    case TypeKind::kRate:
      if (!ParseDecimal(rest, &v.m, &v.scale)) return false;
      break;
    case TypeKind::kMoney: {
      size_t c = rest.find(':');
      if (c == std::string_view::npos || !ParseDecimal(rest.substr(0, c), &v.m, &v.scale)) return false;
      CurrencyId id = LookupCurrency(rest.substr(c + 1));
      if (id == kNoCurrency) return false;
      v.currency = id;
      break;
    }
    case TypeKind::kRatio: {
      size_t c = rest.find(':');
      if (c == std::string_view::npos || !ParseDecimal(rest.substr(0, c), &v.m, &v.scale) ||
          !ParseDecimal(rest.substr(c + 1), &v.m2, &v.scale2)) {
        return false;
      }
      break;
    }
    case TypeKind::kDate: {
      int32_t d;
      if (!ParseDate(rest, &d)) return false;
      v.i = d;
      break;
    }
    case TypeKind::kTimestamp:
      if (!ParseTimestamp(rest, &v.i)) return false;
      break;
    case TypeKind::kText:
    case TypeKind::kId:
    case TypeKind::kCountry:
    case TypeKind::kList: v.s = std::string(rest); break;
    case TypeKind::kCurrency: {
      CurrencyId id = LookupCurrency(rest);
      if (id == kNoCurrency) return false;
      v.i = id;
      break;
    }
    case TypeKind::kEnum: {
      size_t c = rest.find(':');
      int64_t id, code;
      if (c == std::string_view::npos || !ParseInt64(rest.substr(0, c), &id) ||
          !ParseInt64(rest.substr(c + 1), &code)) {
        return false;
      }
      v.enum_id = static_cast<int>(id);
      v.i = code;
      break;
    }
    case TypeKind::kSet: {
      size_t c = rest.find(':');
      int64_t n;
      if (!ParseInt64(rest.substr(0, c), &n) || n < 0) return false;
      size_t pos = c == std::string_view::npos ? rest.size() : c + 1;
      for (int64_t i = 0; i < n; ++i) {
        size_t c2 = rest.find(':', pos);
        int64_t len;
        if (c2 == std::string_view::npos || !ParseInt64(rest.substr(pos, c2 - pos), &len) || len < 0 ||
            c2 + 1 + static_cast<size_t>(len) > rest.size()) {
          return false;
        }
        Value e;
        if (!DecodeValue(std::string(rest.substr(c2 + 1, static_cast<size_t>(len))), &e)) return false;
        v.elems.push_back(std::move(e));
        pos = c2 + 1 + static_cast<size_t>(len) + 1;
      }
      break;
    }
    default: return false;
  }
  *out = std::move(v);
  return true;
}

}  // namespace decree::ir
