#include "ir/types.h"

#include <string_view>

#include "common/codes.h"

namespace decree::ir {

const char* KindName(TypeKind k) {
  switch (k) {
    case TypeKind::kError: return "error";
    case TypeKind::kNull: return "null";
    case TypeKind::kBool: return "bool";
    case TypeKind::kInteger: return "integer";
    case TypeKind::kDecimal: return "decimal";
    case TypeKind::kMoney: return "money";
    case TypeKind::kRate: return "rate";
    case TypeKind::kRatio: return "ratio";
    case TypeKind::kDate: return "date";
    case TypeKind::kTimestamp: return "timestamp";
    case TypeKind::kDuration: return "duration";
    case TypeKind::kText: return "text";
    case TypeKind::kId: return "id";
    case TypeKind::kCountry: return "country";
    case TypeKind::kCurrency: return "currency";
    case TypeKind::kEnum: return "enum";
    case TypeKind::kSet: return "set";
    case TypeKind::kRecord: return "record";
    case TypeKind::kList: return "list";
  }
  return "?";
}

namespace {

std::string ScalarToString(TypeKind kind, const Type& t) {
  std::string s = KindName(kind);
  switch (kind) {
    case TypeKind::kDecimal: return s + "(" + std::to_string(t.scale) + ")";
    case TypeKind::kMoney:
    case TypeKind::kRate:
      return s + "(" + std::to_string(t.scale) + "," +
             (t.currency == kDynamicCurrency ? std::string("*")
                                             : std::string(CurrencyCode(static_cast<CurrencyId>(t.currency)))) +
             ")";
    case TypeKind::kEnum:
    case TypeKind::kRecord: return s + "(" + std::to_string(t.ref) + ")";
    default: return s;
  }
}

bool KindFromName(std::string_view name, TypeKind* out) {
  for (int k = 0; k <= static_cast<int>(TypeKind::kList); ++k) {
    if (name == KindName(static_cast<TypeKind>(k))) {
      *out = static_cast<TypeKind>(k);
      return true;
    }
  }
  return false;
}

// Parses "kind" or "kind(args)" into kind + fields of *t.
bool ParseScalar(std::string_view s, TypeKind* kind, Type* t) {
  size_t paren = s.find('(');
  std::string_view name = s.substr(0, paren);
  if (!KindFromName(name, kind)) return false;
  if (paren == std::string_view::npos) {
    return *kind != TypeKind::kDecimal && *kind != TypeKind::kMoney && *kind != TypeKind::kRate &&
           *kind != TypeKind::kEnum && *kind != TypeKind::kRecord && *kind != TypeKind::kSet;
  }
  if (s.back() != ')') return false;
  std::string_view args = s.substr(paren + 1, s.size() - paren - 2);
  auto parse_int = [](std::string_view v, int* out) {
    if (v.empty() || v.size() > 9) return false;
    int n = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + (c - '0');
    }
    *out = n;
    return true;
  };
  int n;
  switch (*kind) {
    case TypeKind::kDecimal:
      if (!parse_int(args, &n) || n > 30) return false;
      t->scale = static_cast<int8_t>(n);
      return true;
    case TypeKind::kMoney:
    case TypeKind::kRate: {
      size_t comma = args.find(',');
      if (comma == std::string_view::npos || !parse_int(args.substr(0, comma), &n) || n > 30) return false;
      t->scale = static_cast<int8_t>(n);
      std::string_view cur = args.substr(comma + 1);
      if (cur == "*" && *kind == TypeKind::kMoney) {
        t->currency = kDynamicCurrency;
        return true;
      }
      CurrencyId id = LookupCurrency(cur);
      if (id == kNoCurrency) return false;
      t->currency = static_cast<int16_t>(id);
      return true;
    }
    case TypeKind::kEnum:
    case TypeKind::kRecord:
      if (!parse_int(args, &n)) return false;
      t->ref = n;
      return true;
    default: return false;
  }
}

}  // namespace

std::string TypeToString(const Type& t) {
  std::string s;
  if (t.kind == TypeKind::kSet) {
    s = "set(" + ScalarToString(t.elem, t) + ")";
  } else {
    s = ScalarToString(t.kind, t);
  }
  if (t.optional) s += "?";
  return s;
}

bool ParseType(const std::string& text, Type* out) {
  std::string_view s = text;
  Type t;
  if (!s.empty() && s.back() == '?') {
    t.optional = true;
    s.remove_suffix(1);
  }
  if (s.substr(0, 4) == "set(" && s.back() == ')') {
    t.kind = TypeKind::kSet;
    if (!ParseScalar(s.substr(4, s.size() - 5), &t.elem, &t)) return false;
    if (t.elem == TypeKind::kSet) return false;
  } else if (!ParseScalar(s, &t.kind, &t)) {
    return false;
  }
  *out = t;
  return true;
}

}  // namespace decree::ir
