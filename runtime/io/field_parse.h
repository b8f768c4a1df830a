// Typed parsing of input fields into column slots, shared by every reader.
//
// A FieldCodec is prepared once per layout field; Parse() converts one field's text (and, for
// money, the text of its currency column) into slot `row` of a Vec, or returns a reason the row
// must be rejected ("amount: not a number: \"12,00\"").  Nothing is allocated per row.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "vector/vector.h"
#include "ir/ir.h"

namespace decree::io {

class FieldCodec {
 public:
  FieldCodec(const ir::Program& program, const ir::Field& field);

  const ir::Field& field() const { return *field_; }
  PType ptype() const { return ptype_; }
  bool is_money() const { return field_->type.kind == ir::TypeKind::kMoney; }
  // Allocates the column storage for this field: `rows` slots.
  void InitBuffer(VecBuffer* buf, uint32_t rows = kChunkSize) const;

  // Parses `text` (and `currency` for money fields) into v[row].  On failure returns false and
  // sets *reason.  `is_null` means the input had no value at all (JSON null, SQL NULL);
  // empty text is null for optional fields and the empty string for text.  `utf8_checked`:
  // the caller has validated the UTF-8 of a span holding `text` (then text is not rechecked).
  bool Parse(std::string_view text, std::string_view currency, bool is_null, Vec& v, uint32_t row,
             std::string* reason, bool utf8_checked = false) const;

 private:
  bool Fail(std::string* reason, const char* what, std::string_view text) const;
  bool FailDecimal(std::string* reason, int error, int digits, int frac, int scale, const char* what, std::string_view text) const;

  // The enum value `text` names, or -1.
  int EnumCode(std::string_view text) const;

  const ir::Field* field_;
  const ir::EnumType* enum_ = nullptr;
  // Enum values by a small hash of (length, first byte, last byte): index + 1, 0 for none,
  // -1 when two values share the slot (then every value is compared).
  int8_t enum_slots_[64] = {};
  PType ptype_;
  bool optional_;
};

// Fast ISO 4217 lookup of a 3-letter code; kNoCurrency when unknown.
uint16_t FastCurrency(std::string_view code);

}  // namespace decree::io
