#include "common/decimal.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace decree {
namespace {

TEST(Decimal, ParsesExactly) {
  i128 m;
  int s;
  ASSERT_TRUE(ParseDecimal("50000.00", &m, &s));
  EXPECT_EQ(m, 5000000);
  EXPECT_EQ(s, 2);
  ASSERT_TRUE(ParseDecimal("-0.001", &m, &s));
  EXPECT_EQ(m, -1);
  EXPECT_EQ(s, 3);
  ASSERT_TRUE(ParseDecimal("+7", &m, &s));
  EXPECT_EQ(m, 7);
}

TEST(Decimal, RejectsMalformed) {
  i128 m;
  int s;
  for (const char* bad : {"", "-", ".", "1.", ".5", "1.2.3", "1e5", "12a", " 1", "1,000", "--1", "0x10"}) {
    EXPECT_FALSE(ParseDecimal(bad, &m, &s)) << bad;
  }
  // 40 digits overflow 128 bits.
  EXPECT_FALSE(ParseDecimal("1234567890123456789012345678901234567890", &m, &s));
}

TEST(Decimal, ParseAtScaleNeverRounds) {
  i128 m;
  int written;
  ASSERT_TRUE(ParseDecimalAtScale("12.5", 4, &m, &written));
  EXPECT_EQ(m, 125000);
  EXPECT_EQ(written, 1);
  EXPECT_FALSE(ParseDecimalAtScale("1.23456", 4, &m));  // would need rounding
}

TEST(Decimal, FormatsExactly) {
  EXPECT_EQ(FormatDecimal(5100000, 2), "51000.00");
  EXPECT_EQ(FormatDecimal(-5, 3), "-0.005");
  EXPECT_EQ(FormatDecimal(0, 0), "0");
  EXPECT_EQ(FormatDecimalTrimmed(5100000000, 4, 2), "510000.00");
  EXPECT_EQ(FormatDecimalTrimmed(1234567, 6, 0), "1.234567");
  EXPECT_EQ(FormatDecimalTrimmed(1000000, 6, 0), "1");
  i128 min = static_cast<i128>(static_cast<unsigned __int128>(1) << 127);
  EXPECT_EQ(FormatDecimal(min, 0), "-170141183460469231731687303715884105728");
}

// Formatting agrees with a digit-at-a-time reference across the 64-bit boundary and at every
// scale, with zeros before and after the point.
TEST(Decimal, FormatsLikeTheReference) {
  auto reference = [](i128 m, int scale) {
    unsigned __int128 u = m < 0 ? -static_cast<unsigned __int128>(m) : static_cast<unsigned __int128>(m);
    std::string digits;
    do {
      digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
      u /= 10;
    } while (u != 0);
    while (static_cast<int>(digits.size()) <= scale) digits.insert(digits.begin(), '0');
    std::string out = m < 0 ? "-" : "";
    out += digits.substr(0, digits.size() - scale);
    if (scale > 0) out.append(".").append(digits.substr(digits.size() - scale));
    return out;
  };
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    int bits = static_cast<int>(rng() % 127);
    i128 m = static_cast<i128>((static_cast<unsigned __int128>(rng()) << 64 | rng()) >> (127 - bits));
    if (rng() & 1) m = -m;
    int scale = static_cast<int>(rng() % (kMaxScale + 1));
    ASSERT_EQ(FormatDecimal(m, scale), reference(m, scale)) << bits << " bits, scale " << scale;
    ASSERT_EQ(I128ToString(m), reference(m, 0));
  }
  EXPECT_EQ(FormatDecimal(static_cast<i128>(UINT64_MAX) + 1, 2), "184467440737095516.16");
}

TEST(Decimal, ComparesAcrossScales) {
  EXPECT_EQ(CompareDecimal(5000000, 2, 50000, 0), 0);
  EXPECT_LT(CompareDecimal(4999999, 2, 50000, 0), 0);
  EXPECT_GT(CompareDecimal(1, 0, 9999, 4), 0);
  // Rescaling 10^30 to scale 30 overflows: the sign decides.
  i128 big = Pow10(30);
  EXPECT_GT(CompareDecimal(big, 0, 1, 30), 0);
  EXPECT_LT(CompareDecimal(-big, 0, 1, 30), 0);
}

TEST(Decimal, CheckedArithmetic) {
  i128 r;
  i128 max = static_cast<i128>((~static_cast<unsigned __int128>(0)) >> 1);
  EXPECT_FALSE(AddChecked(max, 1, &r));
  EXPECT_FALSE(MulChecked(max / 2 + 1, 2, &r));
  EXPECT_TRUE(MulChecked(Pow10(18), Pow10(18), &r));
  EXPECT_FALSE(Rescale(Pow10(30), 0, 10, &r));
}

}  // namespace
}  // namespace decree
