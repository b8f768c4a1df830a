// A single typed value: constants in the IR, fields of test records and witnesses, and the
// results of group-level (per-finding) evaluation.  The row-level hot path never uses Value;
// it works on typed columns (runtime/exec).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/decimal.h"
#include "ir/types.h"

namespace decree::ir {

struct Program;

struct Value {
  TypeKind kind = TypeKind::kNull;
  bool null = true;
  // kBool (0/1), kInteger, kDate (days), kTimestamp / kDuration (microseconds), kEnum (code),
  // kCurrency (CurrencyId).
  int64_t i = 0;
  // kDecimal, kMoney, kRate: mantissa at `scale`.  kRatio: numerator (m, scale) over
  // denominator (m2, scale2).
  i128 m = 0;
  int scale = 0;
  i128 m2 = 0;
  int scale2 = 0;
  int currency = -1;  // kMoney: the value's currency (always known at run time)
  int enum_id = -1;   // kEnum: which enum type
  std::string s;      // kText, kId, kCountry, kList (list id)
  std::vector<Value> elems;  // kSet, sorted and unique (see Normalize)

  static Value Null() { return Value(); }
  static Value Bool(bool b) { Value v; v.kind = TypeKind::kBool; v.null = false; v.i = b; return v; }
  static Value Integer(int64_t i) { Value v; v.kind = TypeKind::kInteger; v.null = false; v.i = i; return v; }
  static Value Decimal(i128 m, int scale) {
    Value v; v.kind = TypeKind::kDecimal; v.null = false; v.m = m; v.scale = scale; return v;
  }
  static Value Money(i128 m, int scale, int currency) {
    Value v; v.kind = TypeKind::kMoney; v.null = false; v.m = m; v.scale = scale; v.currency = currency; return v;
  }
  static Value Date(int32_t d) { Value v; v.kind = TypeKind::kDate; v.null = false; v.i = d; return v; }
  static Value Timestamp(int64_t us) { Value v; v.kind = TypeKind::kTimestamp; v.null = false; v.i = us; return v; }
  static Value Duration(int64_t us) { Value v; v.kind = TypeKind::kDuration; v.null = false; v.i = us; return v; }
  static Value Text(std::string s, TypeKind k = TypeKind::kText) {
    Value v; v.kind = k; v.null = false; v.s = std::move(s); return v;
  }
  static Value Currency(int id) { Value v; v.kind = TypeKind::kCurrency; v.null = false; v.i = id; return v; }
  static Value Enum(int enum_id, int code) {
    Value v; v.kind = TypeKind::kEnum; v.null = false; v.enum_id = enum_id; v.i = code; return v;
  }

  bool truthy() const { return !null && kind == TypeKind::kBool && i != 0; }
};

// Three-way comparison of two non-null values of comparable kinds (money with money of the
// same currency, decimal with integer, text with text ...).  Sets `*ok` false when the values
// cannot be compared (different currencies, a null, unrelated kinds).
int CompareValues(const Value& a, const Value& b, bool* ok);

// Sorts and de-duplicates a set's elements.
void NormalizeSet(Value* set);
bool SetContains(const Value& set, const Value& v);

// The value as it appears in findings and messages: dates "2026-03-01", money "51000.00 CNY"
// (printed with the currency's minor units when exact), enums by name (needs the program).
std::string ValueToDisplay(const Value& v, const Program* program);

// Lossless text encoding used in the rule library ("money:51000.0000:CNY").  Round-trips with
// DecodeValue.
std::string EncodeValue(const Value& v);
bool DecodeValue(const std::string& text, Value* out);

}  // namespace decree::ir
