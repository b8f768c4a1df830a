// Decree's types, shared by the compiler (type checking) and the runtime (evaluation).
//
// A Type is a small value.  Money carries its decimal scale and either a static currency
// (known at compile time: `50000 CNY`, `x in USD using rates`) or kDynamicCurrency (read from a
// column: `amount: money(currency)`).  Mixing two static currencies without a conversion is a
// type error; a dynamic currency may only meet a static one where a guard has fixed it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace decree::ir {

enum class TypeKind : uint8_t {
  kError,  // the type of an expression that already produced a diagnostic
  kNull,   // the literal `null`
  kBool,
  kInteger,
  kDecimal,
  kMoney,
  kRate,   // a decimal that converts one unit of a currency into `currency`
  kRatio,  // ratio(a, b): only compared, exactly, by cross-multiplication
  kDate,
  kTimestamp,
  kDuration,
  kText,
  kId,
  kCountry,
  kCurrency,
  kEnum,
  kSet,     // a constant set; the element is described by elem and the scalar fields
  kRecord,  // a row of a layout (`t` in `for Transaction t`) or a const record
  kList,    // a watch-list reference: list "un-sc"
};

inline constexpr int16_t kDynamicCurrency = -1;

struct Type {
  TypeKind kind = TypeKind::kError;
  bool optional = false;
  int8_t scale = 0;        // kDecimal, kMoney, kRate: digits after the point
  int16_t currency = -1;   // kMoney: CurrencyId or kDynamicCurrency; kRate: target CurrencyId
  int32_t ref = -1;        // kEnum: index into Program::enums; kRecord: index into Program::layouts
  TypeKind elem = TypeKind::kError;  // kSet: kind of the elements

  static Type Of(TypeKind k) { Type t; t.kind = k; return t; }
  static Type Decimal(int scale) { Type t; t.kind = TypeKind::kDecimal; t.scale = static_cast<int8_t>(scale); return t; }
  static Type Money(int scale, int currency) {
    Type t; t.kind = TypeKind::kMoney; t.scale = static_cast<int8_t>(scale);
    t.currency = static_cast<int16_t>(currency); return t;
  }
  static Type Enum(int id) { Type t; t.kind = TypeKind::kEnum; t.ref = id; return t; }
  static Type Record(int layout) { Type t; t.kind = TypeKind::kRecord; t.ref = layout; return t; }

  bool is_error() const { return kind == TypeKind::kError; }
  bool is_numeric() const {
    return kind == TypeKind::kInteger || kind == TypeKind::kDecimal || kind == TypeKind::kRate;
  }
  bool is_textual() const {
    return kind == TypeKind::kText || kind == TypeKind::kId || kind == TypeKind::kCountry;
  }
  // The element type of a set.
  Type Element() const { Type t = *this; t.kind = elem; t.elem = TypeKind::kError; t.optional = false; return t; }
  Type NonOptional() const { Type t = *this; t.optional = false; return t; }
  Type AsOptional() const { Type t = *this; t.optional = true; return t; }

  bool operator==(const Type& o) const {
    return kind == o.kind && optional == o.optional && scale == o.scale && currency == o.currency &&
           ref == o.ref && elem == o.elem;
  }
};

// Canonical encoding used in the rule library: "money(4,CNY)", "money(4,*)", "decimal(6)",
// "enum(2)", "set(text)", "rate(6,USD)", "text?" ...  Round-trips through ParseType.
std::string TypeToString(const Type& t);
bool ParseType(const std::string& s, Type* out);

// The name of a kind as users read it ("money", "timestamp").
const char* KindName(TypeKind k);

struct EnumType {
  std::vector<std::string> values;  // in declaration order; a value's code is its index
};

}  // namespace decree::ir
