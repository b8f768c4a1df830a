#include "ir/utf8.h"

#include <cstring>

namespace decree {

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

bool IsValidUtf8(std::string_view s, size_t* bad_offset) {
  size_t i = 0;
  const size_t n = s.size();
  uint32_t state = 0;
  size_t seq_start = 0;
  while (i < n) {
    if (state == 0) {
      // ASCII fast path, eight bytes at a time, and the last few bytes in one word.
      while (i + 8 <= n) {
        uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        if ((w & 0x8080808080808080ULL) != 0) break;
        i += 8;
      }
      if (i + 8 > n && i < n) {
        uint64_t w = 0;
        std::memcpy(&w, s.data() + i, n - i);
        if ((w & 0x8080808080808080ULL) == 0) return true;
      }
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

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace decree
