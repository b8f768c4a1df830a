#include "io/field_parse.h"

#include <fmt/format.h>

#include <array>

#include "common/civil.h"
#include "common/codes.h"
#include "common/utf8.h"

namespace decree::io {

namespace {

// 26^3 table from a 3-letter upper-case code to CurrencyId, built once.
struct CurrencyTable {
  std::array<uint16_t, 26 * 26 * 26> ids;
  CurrencyTable() {
    ids.fill(kNoCurrency);
    for (int c = 0; c < CurrencyCount(); ++c) {
      std::string_view code = CurrencyCode(static_cast<CurrencyId>(c));
      ids[(code[0] - 'A') * 676 + (code[1] - 'A') * 26 + (code[2] - 'A')] = static_cast<uint16_t>(c);
    }
  }
};

const CurrencyTable& Currencies() {
  static const CurrencyTable* t = new CurrencyTable();
  return *t;
}

std::string Shown(std::string_view text) {
  std::string s;
  size_t n = 0;
  for (size_t i = 0; i < text.size() && n < 40; ++n) {
    uint32_t cp;
    size_t start = i;
    if (!DecodeUtf8(text, &i, &cp)) {
      s += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[start]));
      continue;
    }
    if (cp < 0x20) {
      s += fmt::format("\\x{:02x}", cp);
    } else if (cp == '"') {
      s += "\\\"";
    } else {
      s.append(text.substr(start, i - start));
    }
  }
  if (n >= 40 && text.size() > s.size()) s += fmt::format("… ({} bytes)", text.size());
  return "\"" + s + "\"";
}

enum class DecimalError { kNone, kMalformed, kIntDigits, kFracDigits, kScale };

// Parses -?[0-9]+(\.[0-9]+)? into a mantissa at `scale`.  Sets *frac to the number of
// decimals written and *digits to the number of digits before the point; on kIntDigits,
// kFracDigits or kScale these say by how much the text is too long or too precise.
DecimalError FastDecimal(std::string_view s, int scale, i128* out, int* frac, bool* negative, int* digits = nullptr) {
  size_t i = 0;
  *negative = false;
  if (i < s.size() && s[i] == '-') {
    *negative = true;
    ++i;
  }
  uint64_t intpart = 0;
  int n = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++n) {
    if (n < 18) intpart = intpart * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (digits != nullptr) *digits = n;
  if (n == 0) return DecimalError::kMalformed;
  uint64_t fracpart = 0;
  int f = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++f) {
      if (f < 18) fracpart = fracpart * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    if (f == 0) return DecimalError::kMalformed;
  }
  if (i != s.size()) return DecimalError::kMalformed;
  *frac = f;
  if (n > 18) return DecimalError::kIntDigits;
  if (f > 18) return DecimalError::kFracDigits;
  if (f > scale) return DecimalError::kScale;
  i128 m = static_cast<i128>(intpart) * Pow10(scale) + static_cast<i128>(fracpart) * Pow10(scale - f);
  *out = *negative ? -m : m;
  return DecimalError::kNone;
}

}  // namespace

uint16_t FastCurrency(std::string_view code) {
  if (code.size() != 3) return kNoCurrency;
  unsigned a = static_cast<unsigned char>(code[0]) - 'A', b = static_cast<unsigned char>(code[1]) - 'A',
           c = static_cast<unsigned char>(code[2]) - 'A';
  if (a >= 26 || b >= 26 || c >= 26) return kNoCurrency;
  return Currencies().ids[a * 676 + b * 26 + c];
}

namespace {

inline size_t EnumSlot(std::string_view v) {
  if (v.empty()) return 0;
  return (v.size() * 7 + static_cast<unsigned char>(v.front()) * 3 + static_cast<unsigned char>(v.back())) & 63;
}

// ISO 3166-1 alpha-2 codes as a 26 x 26 bitmap.
struct CountryTable {
  bool known[26 * 26] = {};
  CountryTable() {
    for (char a = 'A'; a <= 'Z'; ++a) {
      for (char b = 'A'; b <= 'Z'; ++b) {
        char code[2] = {a, b};
        known[(a - 'A') * 26 + (b - 'A')] = IsCountryCode(std::string_view(code, 2));
      }
    }
  }
};

bool FastCountry(std::string_view s) {
  static const CountryTable* t = new CountryTable();
  if (s.size() != 2) return false;
  unsigned a = static_cast<unsigned char>(s[0]) - 'A', b = static_cast<unsigned char>(s[1]) - 'A';
  return a < 26 && b < 26 && t->known[a * 26 + b];
}

}  // namespace

FieldCodec::FieldCodec(const ir::Program& program, const ir::Field& field)
    : field_(&field), ptype_(PhysicalType(field.type.kind)), optional_(field.type.optional) {
  if (field.type.kind == ir::TypeKind::kEnum && field.type.ref >= 0 &&
      field.type.ref < static_cast<int>(program.enums.size())) {
    enum_ = &program.enums[field.type.ref];
    for (size_t c = 0; c < enum_->values.size() && c < 127; ++c) {
      int8_t& slot = enum_slots_[EnumSlot(enum_->values[c])];
      slot = slot == 0 ? static_cast<int8_t>(c + 1) : -1;
    }
  }
}

int FieldCodec::EnumCode(std::string_view text) const {
  if (enum_ == nullptr) return -1;
  int8_t slot = enum_slots_[EnumSlot(text)];
  if (slot > 0) return enum_->values[slot - 1] == text ? slot - 1 : -1;
  if (slot == 0) return -1;
  for (size_t c = 0; c < enum_->values.size(); ++c) {
    if (enum_->values[c] == text) return static_cast<int>(c);
  }
  return -1;
}

void FieldCodec::InitBuffer(VecBuffer* buf, uint32_t rows) const {
  buf->Init(ptype_, field_->type.scale, is_money(), optional_, rows);
}

bool FieldCodec::Fail(std::string* reason, const char* what, std::string_view text) const {
  *reason = fmt::format("{}: {}: {}", field_->column, what, Shown(text));
  return false;
}

bool FieldCodec::FailDecimal(std::string* reason, int error, int digits, int frac, int scale, const char* what,
                             std::string_view text) const {
  switch (static_cast<DecimalError>(error)) {
    case DecimalError::kIntDigits:
      *reason = fmt::format("{} has {} digits (at most 18): {}", field_->column, digits, Shown(text));
      return false;
    case DecimalError::kFracDigits:
    case DecimalError::kScale:
      *reason = fmt::format("{} has {} decimal places (at most {}): {}", field_->column, frac, scale, Shown(text));
      return false;
    default: return Fail(reason, what, text);
  }
}

bool FieldCodec::Parse(std::string_view text, std::string_view currency, bool is_null, Vec& v, uint32_t row,
                       std::string* reason, bool utf8_checked) const {
  using ir::TypeKind;
  const TypeKind kind = field_->type.kind;
  if (is_null || (text.empty() && kind != TypeKind::kText)) {
    if (optional_) {
      v.valid[row] = 0;
      return true;
    }
    *reason = fmt::format("{}: missing value", field_->column);
    return false;
  }
  if (v.valid != nullptr) v.valid[row] = 1;
  switch (kind) {
    case TypeKind::kText:
    case TypeKind::kId: {
      size_t bad;
      if (!utf8_checked && !IsValidUtf8(text, &bad)) {
        *reason = fmt::format("{}: invalid UTF-8 at byte {} of the field", field_->column, bad + 1);
        return false;
      }
      v.s[row] = StrRef{text.data(), static_cast<uint32_t>(text.size())};
      return true;
    }
    case TypeKind::kCountry:
      if (!FastCountry(text)) return Fail(reason, "not an ISO 3166-1 alpha-2 country code", text);
      v.s[row] = StrRef{text.data(), 2};
      return true;
    case TypeKind::kEnum: {
      int code = EnumCode(text);
      if (code >= 0) {
        v.i[row] = code;
        return true;
      }
      *reason = fmt::format("{}: {} is not one of {}", field_->column, Shown(text),
                            enum_ != nullptr ? fmt::format("{}", fmt::join(enum_->values, ", ")) : "the enum values");
      return false;
    }
    case TypeKind::kBool:
      if (text == "true") {
        v.b[row] = 1;
      } else if (text == "false") {
        v.b[row] = 0;
      } else {
        return Fail(reason, "not true or false", text);
      }
      return true;
    case TypeKind::kInteger: {
      i128 m;
      int frac = 0, digits = 0;
      bool neg;
      if (DecimalError e = FastDecimal(text, 0, &m, &frac, &neg, &digits); e != DecimalError::kNone) {
        return FailDecimal(reason, static_cast<int>(e), digits, frac, 0, "not a whole number", text);
      }
      if (field_->positive && m <= 0) return Fail(reason, "must be positive", text);
      v.i[row] = static_cast<int64_t>(m);
      return true;
    }
    case TypeKind::kDecimal:
    case TypeKind::kRate: {
      i128 m;
      int frac = 0, digits = 0;
      bool neg;
      if (DecimalError e = FastDecimal(text, field_->type.scale, &m, &frac, &neg, &digits); e != DecimalError::kNone) {
        return FailDecimal(reason, static_cast<int>(e), digits, frac, field_->type.scale, "not a decimal number", text);
      }
      if ((field_->positive || kind == TypeKind::kRate) && m <= 0) {
        return Fail(reason, kind == TypeKind::kRate ? "a rate must be greater than zero" : "must be positive", text);
      }
      v.m[row] = m;
      return true;
    }
    case TypeKind::kMoney: {
      uint16_t cur;
      if (field_->type.currency != ir::kDynamicCurrency) {
        cur = static_cast<uint16_t>(field_->type.currency);
      } else {
        cur = FastCurrency(currency);
        if (cur == kNoCurrency) {
          *reason = fmt::format("{}: unknown currency {}", field_->currency_column, Shown(currency));
          return false;
        }
      }
      i128 m;
      int frac = 0, digits = 0;
      bool neg;
      DecimalError e = FastDecimal(text, field_->type.scale, &m, &frac, &neg, &digits);
      if (e != DecimalError::kNone && e != DecimalError::kScale && e != DecimalError::kFracDigits) {
        return FailDecimal(reason, static_cast<int>(e), digits, frac, field_->type.scale,
                           "not an amount (digits, optionally '.' and decimals)", text);
      }
      if (frac > CurrencyMinorUnits(cur) || e != DecimalError::kNone) {
        *reason = fmt::format("{}: {} has {} decimal places, {} has {}", field_->column, Shown(text), frac,
                              CurrencyCode(cur), CurrencyMinorUnits(cur));
        return false;
      }
      if (field_->positive && m <= 0) return Fail(reason, neg ? "negative amount" : "amount must be positive", text);
      v.m[row] = m;
      v.cur[row] = cur;
      return true;
    }
    case TypeKind::kCurrency: {
      uint16_t cur = FastCurrency(text);
      if (cur == kNoCurrency) return Fail(reason, "unknown currency", text);
      v.i[row] = cur;
      return true;
    }
    case TypeKind::kDate: {
      int32_t d;
      if (!ParseDate(text, &d)) return Fail(reason, DateError(text).c_str(), text);
      v.i[row] = d;
      return true;
    }
    case TypeKind::kTimestamp: {
      int64_t t;
      if (!ParseTimestamp(text, &t)) return Fail(reason, TimestampError(text).c_str(), text);
      v.i[row] = t;
      return true;
    }
    case TypeKind::kDuration: {
      i128 m;
      int frac;
      bool neg;
      if (FastDecimal(text, 0, &m, &frac, &neg) != DecimalError::kNone) return Fail(reason, "not a duration in seconds", text);
      v.i[row] = static_cast<int64_t>(m) * kMicrosPerSecond;
      return true;
    }
    default:
      *reason = fmt::format("{}: unsupported field type", field_->column);
      return false;
  }
}

}  // namespace decree::io
