#include "ir/decimal.h"

#include <cassert>

namespace decree {

i128 Pow10(int n) {
  assert(n >= 0 && n <= 38);
  i128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

bool AddChecked(i128 a, i128 b, i128* out) { return !__builtin_add_overflow(a, b, out); }

bool MulChecked(i128 a, i128 b, i128* out) { return !__builtin_mul_overflow(a, b, out); }

bool Rescale(i128 m, int from, int to, i128* out) {
  assert(to >= from);
  if (to - from > 38) {
    if (m != 0) return false;
    *out = 0;
    return true;
  }
  return MulChecked(m, Pow10(to - from), out);
}

bool ParseDecimal(std::string_view text, i128* mantissa, int* scale) {
  size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  i128 m = 0;
  int digits = 0;
  int frac = 0;
  bool seen_dot = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (seen_dot || digits == 0) return false;  // "1.2.3", ".5"
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    if (!MulChecked(m, 10, &m) || !AddChecked(m, c - '0', &m)) return false;
    ++digits;
    if (seen_dot) ++frac;
  }
  if (digits == 0) return false;
  if (seen_dot && frac == 0) return false;  // "12." is not a decimal
  if (frac > kMaxScale) return false;
  *mantissa = negative ? -m : m;
  *scale = frac;
  return true;
}

bool ParseDecimalAtScale(std::string_view text, int target_scale, i128* mantissa,
                         int* written_scale) {
  i128 m;
  int s;
  if (!ParseDecimal(text, &m, &s)) return false;
  if (written_scale != nullptr) *written_scale = s;
  if (s > target_scale) return false;
  return Rescale(m, s, target_scale, mantissa);
}

namespace {

std::string U128ToString(unsigned __int128 u) {
  if (u == 0) return "0";
  char buf[48];
  int n = 0;
  while (u != 0) {
    buf[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  }
  std::string out;
  out.reserve(n);
  while (n > 0) out.push_back(buf[--n]);
  return out;
}

unsigned __int128 Magnitude(i128 v) {
  return v < 0 ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
}

}  // namespace

std::string I128ToString(i128 v) { return (v < 0 ? "-" : "") + U128ToString(Magnitude(v)); }

std::string FormatDecimal(i128 mantissa, int scale) {
  bool negative = mantissa < 0;
  std::string digits = U128ToString(Magnitude(mantissa));
  if (static_cast<int>(digits.size()) <= scale) {
    digits.insert(0, static_cast<size_t>(scale - static_cast<int>(digits.size()) + 1), '0');
  }
  std::string out = negative ? "-" : "";
  out += digits.substr(0, digits.size() - scale);
  if (scale > 0) {
    out.push_back('.');
    out += digits.substr(digits.size() - scale);
  }
  return out;
}

std::string FormatDecimalTrimmed(i128 mantissa, int scale, int min_scale) {
  while (scale > min_scale && mantissa % 10 == 0) {
    mantissa /= 10;
    --scale;
  }
  if (scale < min_scale) {
    i128 r;
    if (Rescale(mantissa, scale, min_scale, &r)) {
      mantissa = r;
      scale = min_scale;
    }
  }
  return FormatDecimal(mantissa, scale);
}

int CompareDecimal(i128 a, int sa, i128 b, int sb) {
  if (sa == sb) return a < b ? -1 : (a > b ? 1 : 0);
  // Bring both to the larger scale.  If rescaling overflows, that operand's magnitude exceeds
  // every representable value at the common scale, so its sign decides.
  if (sa < sb) {
    i128 ra;
    if (!Rescale(a, sa, sb, &ra)) return a < 0 ? -1 : 1;
    return ra < b ? -1 : (ra > b ? 1 : 0);
  }
  i128 rb;
  if (!Rescale(b, sb, sa, &rb)) return b < 0 ? 1 : -1;
  return a < rb ? -1 : (a > rb ? 1 : 0);
}

}  // namespace decree
