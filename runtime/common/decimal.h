// Exact fixed-point decimals.
//
// A decimal is a signed 128-bit mantissa `m` and a scale `s` (0..kMaxScale); its value is
// m / 10^s.  Money never touches binary floating point: parsing, arithmetic, comparison and
// printing are all exact, and every operation that could overflow reports it instead of
// wrapping.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace decree {

using i128 = __int128;

inline constexpr int kMaxScale = 30;

// 10^n for 0 <= n <= 38.
i128 Pow10(int n);

// Parses [+-]digits[.digits] (no exponent, no thousands separators).  On success stores the
// mantissa and the number of fractional digits written in the text.  Fails on empty input,
// stray characters, more than kMaxScale fractional digits, or overflow.
bool ParseDecimal(std::string_view text, i128* mantissa, int* scale);

// Like ParseDecimal but rescales to exactly `target_scale`; fails if the text has more
// fractional digits than target_scale (no rounding ever happens).  `written_scale`, if
// non-null, receives the number of fractional digits in the text.
bool ParseDecimalAtScale(std::string_view text, int target_scale, i128* mantissa,
                         int* written_scale = nullptr);

// Exact decimal text with exactly `scale` fractional digits ("-12.50").
std::string FormatDecimal(i128 mantissa, int scale);

// Exact decimal text with trailing fractional zeros removed, but at least `min_scale` digits.
std::string FormatDecimalTrimmed(i128 mantissa, int scale, int min_scale);

// m * 10^(to - from), to >= from.  Returns false on overflow.
bool Rescale(i128 m, int from, int to, i128* out);

// Checked arithmetic.  Return false on overflow.
bool AddChecked(i128 a, i128 b, i128* out);
bool MulChecked(i128 a, i128 b, i128* out);

// Three-way comparison of a/10^sa and b/10^sb, exact even when rescaling would overflow.
int CompareDecimal(i128 a, int sa, i128 b, int sb);

// Integer text of a 128-bit value.
std::string I128ToString(i128 v);

}  // namespace decree
