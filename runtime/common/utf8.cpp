#include "common/utf8.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <tmmintrin.h>
#endif

namespace decree {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool DecodeUtf8(std::string_view s, size_t* pos, uint32_t* cp) {
  size_t i = *pos;
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *cp = c;
    *pos = i + 1;
    return true;
  }
  int n;
  uint32_t v, min;
  if ((c & 0xE0) == 0xC0) {
    n = 1; v = c & 0x1F; min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 2; v = c & 0x0F; min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 3; v = c & 0x07; min = 0x10000;
  } else {
    *pos = i + 1;
    return false;
  }
  for (int k = 1; k <= n; ++k) {
    if (i + k >= s.size()) {
      *pos = i + 1;
      return false;
    }
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) {
      *pos = i + 1;
      return false;
    }
    v = (v << 6) | (d & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    *pos = i + 1;
    return false;
  }
  *cp = v;
  *pos = i + n + 1;
  return true;
}

namespace {

// Bjoern Hoehrmann's UTF-8 DFA (http://bjoern.hoehrmann.de/utf-8/decoder/dfa/): byte classes,
// then transitions; state 0 accepts, 12 rejects.  Rejects overlongs, surrogates, > U+10FFFF.
constexpr uint8_t kClass[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
    8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    10, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 3, 3, 11, 6, 6, 6, 5, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
constexpr uint8_t kTransition[108] = {
    0,  12, 24, 36, 60, 96, 84, 12, 12, 12, 48, 72, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12,
    12, 0,  12, 12, 12, 12, 12, 0,  12, 0,  12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 24, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 24, 12, 12, 12, 12, 12, 12, 12, 24, 12, 12,
    12, 12, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12, 12, 36, 12, 12, 12, 12, 12, 36, 12, 36, 12, 12,
    12, 36, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12};

}  // namespace

bool IsValidUtf8Scalar(std::string_view s, size_t* bad_offset) {
  size_t i = 0;
  const size_t n = s.size();
  uint32_t state = 0;
  size_t seq_start = 0;
  while (i < n) {
    if (state == 0) {
      // ASCII fast path: sixteen bytes at a time, then eight, then one.
#if defined(__SSE2__)
      while (i + 16 <= n &&
             _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i))) == 0) {
        i += 16;
      }
#endif
      while (i + 8 <= n) {
        uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if ((w & 0x8080808080808080ULL) != 0) break;
        i += 8;
      }
      while (i < n && static_cast<unsigned char>(s[i]) < 0x80) ++i;
      if (i >= n) break;
      seq_start = i;
      // Three-byte sequences (all of CJK) checked whole: a lead E0-EF, two continuation
      // bytes, not overlong (E0 needs A0-BF next) and not a surrogate (ED needs 80-9F next).
      unsigned char c = static_cast<unsigned char>(s[i]);
      if ((c & 0xF0) == 0xE0 && i + 2 < n) {
        unsigned char c1 = static_cast<unsigned char>(s[i + 1]), c2 = static_cast<unsigned char>(s[i + 2]);
        if ((c1 & 0xC0) == 0x80 && (c2 & 0xC0) == 0x80 && (c != 0xE0 || c1 >= 0xA0) && (c != 0xED || c1 < 0xA0)) {
          i += 3;
          continue;
        }
      }
    }
    state = kTransition[state + kClass[static_cast<unsigned char>(s[i])]];
    if (state == 12) {
      if (bad_offset != nullptr) *bad_offset = seq_start;
      return false;
    }
    ++i;
    if (state == 0) seq_start = i;
  }
  if (state != 0) {
    if (bad_offset != nullptr) *bad_offset = seq_start;
    return false;
  }
  return true;
}

#if defined(__x86_64__)
namespace {

// Sixteen bytes at a time with SSSE3 byte shuffles, after Keiser and Lemire, "Validating
// UTF-8 In Less Than One Instruction Per Byte" (2021): every byte is classified by its high
// nibble and the previous byte's nibbles, three table lookups whose AND is non-zero exactly
// at an error in a two-byte window; three- and four-byte sequences are then checked against
// the bytes two and three back.  True when all of [p, p + n) (n a multiple of 16, the
// caller checks the bytes after) is valid as far as a sequence crossing the end allows.
__attribute__((target("ssse3"))) bool ValidBlocksSsse3(const char* p, size_t n, size_t* checked) {
  constexpr uint8_t kTooShort = 1 << 0;   // a lead or ASCII byte where a continuation is due
  constexpr uint8_t kTooLong = 1 << 1;    // a continuation after ASCII
  constexpr uint8_t kOverlong3 = 1 << 2;  // E0 80..9F
  constexpr uint8_t kTooLarge = 1 << 3;   // F4 90.. and F5..FF
  constexpr uint8_t kSurrogate = 1 << 4;  // ED A0..BF
  constexpr uint8_t kOverlong2 = 1 << 5;  // C0, C1
  constexpr uint8_t kTooLarge1000 = 1 << 6;
  constexpr uint8_t kOverlong4 = 1 << 6;  // F0 80..8F
  constexpr uint8_t kTwoConts = 1 << 7;   // a continuation after a continuation (checked below)
  constexpr uint8_t kCarry = kTooShort | kTooLong | kTwoConts;
  const __m128i byte1_high = _mm_setr_epi8(
      kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong,  // 0___
      kTwoConts, kTwoConts, kTwoConts, kTwoConts,                                      // 10__
      kTooShort | kOverlong2,                                                          // 1100
      kTooShort,                                                                       // 1101
      kTooShort | kOverlong3 | kSurrogate,                                             // 1110
      static_cast<char>(kTooShort | kTooLarge | kTooLarge1000 | kOverlong4));          // 1111
  const __m128i byte1_low = _mm_setr_epi8(
      kCarry | kOverlong3 | kOverlong2 | kOverlong4,  // ____0000
      kCarry | kOverlong2,                            // ____0001
      kCarry, kCarry,                                 // ____001_
      kCarry | kTooLarge,                             // ____0100
      static_cast<char>(kCarry | kTooLarge | kTooLarge1000), static_cast<char>(kCarry | kTooLarge | kTooLarge1000),
      static_cast<char>(kCarry | kTooLarge | kTooLarge1000), static_cast<char>(kCarry | kTooLarge | kTooLarge1000),
      static_cast<char>(kCarry | kTooLarge | kTooLarge1000), static_cast<char>(kCarry | kTooLarge | kTooLarge1000),
      static_cast<char>(kCarry | kTooLarge | kTooLarge1000), static_cast<char>(kCarry | kTooLarge | kTooLarge1000),
      static_cast<char>(kCarry | kTooLarge | kTooLarge1000 | kSurrogate),  // ____1101
      static_cast<char>(kCarry | kTooLarge | kTooLarge1000), static_cast<char>(kCarry | kTooLarge | kTooLarge1000));
  const __m128i byte2_high = _mm_setr_epi8(
      kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,  // 0___
      static_cast<char>(kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge1000 | kOverlong4),  // 1000
      static_cast<char>(kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge),                   // 1001
      static_cast<char>(kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge),                   // 101_
      static_cast<char>(kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge),
      kTooShort, kTooShort, kTooShort, kTooShort);  // 11__
  const __m128i nibble = _mm_set1_epi8(0x0F);
  __m128i prev = _mm_setzero_si128(), error = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m128i in = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (_mm_movemask_epi8(in) == 0) {  // ASCII: only a sequence left open by the block before can fail
      __m128i open = _mm_subs_epu8(prev, _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                         static_cast<char>(0xF0 - 1), static_cast<char>(0xE0 - 1),
                                                         static_cast<char>(0xC0 - 1)));
      error = _mm_or_si128(error, open);
      prev = in;
      continue;
    }
    __m128i prev1 = _mm_alignr_epi8(in, prev, 15);
    __m128i special = _mm_and_si128(
        _mm_and_si128(_mm_shuffle_epi8(byte1_high, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble)),
                      _mm_shuffle_epi8(byte1_low, _mm_and_si128(prev1, nibble))),
        _mm_shuffle_epi8(byte2_high, _mm_and_si128(_mm_srli_epi16(in, 4), nibble)));
    __m128i prev2 = _mm_alignr_epi8(in, prev, 14), prev3 = _mm_alignr_epi8(in, prev, 13);
    __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8(static_cast<char>(0xE0 - 0x80)));
    __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(static_cast<char>(0xF0 - 0x80)));
    __m128i must23 = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
    error = _mm_or_si128(error, _mm_xor_si128(must23, special));
    prev = in;
  }
  *checked = i;
  return _mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) == 0xFFFF;
}

bool HaveSsse3() {
  static const bool have = __builtin_cpu_supports("ssse3");
  return have;
}

}  // namespace
#endif

bool IsValidUtf8(std::string_view s, size_t* bad_offset) {
#if defined(__x86_64__)
  if (s.size() >= 64 && HaveSsse3()) {
    size_t checked = 0;
    if (ValidBlocksSsse3(s.data(), s.size(), &checked)) {
      // The rest, from the lead byte of a sequence the blocks left open, if one is.
      size_t from = checked;
      for (size_t j = checked; j-- > 0 && j + 3 >= checked;) {
        unsigned char c = static_cast<unsigned char>(s[j]);
        if (c < 0x80) break;              // ASCII: nothing open
        if (c < 0xC0) continue;           // a continuation: look further back
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (j + len > checked) from = j;  // this sequence runs past the blocks
        break;
      }
      size_t bad;
      if (IsValidUtf8Scalar(s.substr(from), &bad)) return true;
      if (bad_offset != nullptr) *bad_offset = from + bad;
      return false;
    }
    return IsValidUtf8Scalar(s, bad_offset);  // find where
  }
#endif
  return IsValidUtf8Scalar(s, bad_offset);
}

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace decree
