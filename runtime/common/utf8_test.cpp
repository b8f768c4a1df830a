#include "common/utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace decree {
namespace {

// RFC 3629, table 3-7 of the Unicode standard, one code point at a time.
bool ReferenceValid(const std::string& s, size_t* bad) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    auto at = [&](size_t k) -> unsigned { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
    auto cont = [&](size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) { return at(k) >= lo && at(k) <= hi && i + k < s.size(); };
    size_t len = 0;
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF && cont(1)) len = 2;
    else if (c == 0xE0 && cont(1, 0xA0) && cont(2)) len = 3;
    else if (((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) && cont(1) && cont(2)) len = 3;
    else if (c == 0xED && cont(1, 0x80, 0x9F) && cont(2)) len = 3;
    else if (c == 0xF0 && cont(1, 0x90) && cont(2) && cont(3)) len = 4;
    else if (c >= 0xF1 && c <= 0xF3 && cont(1) && cont(2) && cont(3)) len = 4;
    else if (c == 0xF4 && cont(1, 0x80, 0x8F) && cont(2) && cont(3)) len = 4;
    if (len == 0) {
      *bad = i;
      return false;
    }
    i += len;
  }
  return true;
}

TEST(Utf8, Examples) {
  EXPECT_TRUE(IsValidUtf8("张伟 Zhang Wei, Müller"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xe5\xbc"));          // truncated 张
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\x80"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));   // 😀
  size_t bad = 0;
  EXPECT_FALSE(IsValidUtf8("ab\xe5\xbc\xa0\xc3", &bad));
  EXPECT_EQ(bad, 5u);
}

// The validator (ASCII words at a time, three-byte sequences whole, the DFA otherwise) agrees
// with the reference on random strings dense in lead, continuation and edge bytes.
TEST(Utf8, AgreesWithTheReference) {
  std::mt19937_64 rng(13);
  const unsigned char bytes[] = {'a', ' ', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf,
                                 0xe0, 0xe1, 0xe5, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff};
  for (int round = 0; round < 300000; ++round) {
    // Short strings take the scalar path; long ones (64 bytes and more) the 16-byte blocks,
    // with errors anywhere, also across block boundaries and in the tail after the blocks.
    std::string s(round % 3 == 0 ? 64 + rng() % 100 : rng() % 24, 'x');
    if (round % 3 == 0 && round % 2 == 0) {
      // Mostly valid text (ASCII and 张), with one random byte somewhere, or none.
      s.clear();
      while (s.size() < 80 + rng() % 80) s += rng() % 2 ? "\xe5\xbc\xa0" : "ab";
      if (rng() % 4 != 0) s[rng() % s.size()] = static_cast<char>(bytes[rng() % sizeof(bytes)]);
    } else {
      for (char& c : s) c = static_cast<char>(rng() % 3 == 0 ? 'a' + rng() % 26 : bytes[rng() % sizeof(bytes)]);
    }
    size_t bad_ref = 0, bad = 0;
    bool ref = ReferenceValid(s, &bad_ref);
    ASSERT_EQ(IsValidUtf8(s, &bad), ref) << testing::PrintToString(s);
    if (!ref) {
      ASSERT_EQ(bad, bad_ref) << testing::PrintToString(s);
    }
  }
}

}  // namespace
}  // namespace decree
