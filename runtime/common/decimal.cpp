#include "common/decimal.h"

#include <cassert>
#include <cstdint>

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

// Writes the decimal digits of u into the end of buf[0, 40) and returns where they start.
// 128-bit division (a library call) only for the digits above 2^64.
char* U128Digits(unsigned __int128 u, char* end) {
  char* p = end;
  constexpr uint64_t k1e19 = 10000000000000000000ull;
  while (u > UINT64_MAX) {
    unsigned __int128 q = u / k1e19;
    uint64_t r = static_cast<uint64_t>(u - q * k1e19);
    for (int i = 0; i < 19; ++i, r /= 10) *--p = static_cast<char>('0' + r % 10);
    u = q;
  }
  uint64_t v = static_cast<uint64_t>(u);
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  return p;
}

unsigned __int128 Magnitude(i128 v) {
  return v < 0 ? -static_cast<unsigned __int128>(v) : static_cast<unsigned __int128>(v);
}

}  // namespace

std::string I128ToString(i128 v) {
  char buf[48];
  char* end = buf + sizeof(buf);
  char* p = U128Digits(Magnitude(v), end);
  if (v < 0) *--p = '-';
  return std::string(p, end);
}

std::string FormatDecimal(i128 mantissa, int scale) {
  // At most 39 digits, and up to kMaxScale zeros before them ("0.000…"): the buffer holds both.
  char buf[48 + kMaxScale];
  char* end = buf + sizeof(buf);
  char* p = U128Digits(Magnitude(mantissa), end);
  std::string out;
  if (scale <= 0) {
    if (mantissa < 0) out.push_back('-');
    out.append(p, end);
    return out;
  }
  if (scale > kMaxScale) scale = kMaxScale;  // not a valid decimal; never read past the buffer
  while (end - p <= scale) *--p = '0';       // at least one digit before the point
  out.reserve(static_cast<size_t>(end - p) + 2);
  if (mantissa < 0) out.push_back('-');
  out.append(p, static_cast<size_t>(end - p - scale));
  out.push_back('.');
  out.append(end - scale, static_cast<size_t>(scale));
  return out;
}

std::string FormatDecimalTrimmed(i128 mantissa, int scale, int min_scale) {
  if (mantissa >= INT64_MIN && mantissa <= INT64_MAX) {  // 64-bit division when it fits
    int64_t m = static_cast<int64_t>(mantissa);
    while (scale > min_scale && m % 10 == 0) {
      m /= 10;
      --scale;
    }
    mantissa = m;
  }
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
