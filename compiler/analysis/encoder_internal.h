// What the encoder's files (encoder.cpp, encoder_expr.cpp, encoder_witness.cpp) share and no
// one else uses.
#pragma once

#include <string>
#include <vector>

#include "analysis/encoder.h"
#include "common/decimal.h"

namespace decree::analysis {

using ir::Op;
using ir::TypeKind;

inline std::string Pow10Text(int n) { return "1" + std::string(static_cast<size_t>(n), '0'); }

inline bool IsIntKind(TypeKind k) { return k != TypeKind::kBool; }

// Model values: Z3 numerals as exact integers.
inline bool NumeralToI128(const z3::expr& e, i128* out) {
  if (!e.is_numeral()) return false;
  std::string s = e.get_decimal_string(0);
  if (!s.empty() && s.back() == '?') return false;
  int scale;
  return ParseDecimal(s, out, &scale) && scale == 0;
}

// The expressions in scope while a rule is encoded: its record, keys and aggregates.
struct Encoder::Scope {
  const ir::Rule* rule = nullptr;
  RecordVars* rec = nullptr;
  std::vector<Term>* keys = nullptr;
  std::vector<Term>* aggs = nullptr;
};

}  // namespace decree::analysis
