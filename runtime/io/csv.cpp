#include "io/csv.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace decree::io {

namespace {

// Bytes that end an unquoted field (or are not allowed in one).
struct Specials {
  bool table[256] = {};
  Specials() {
    table[static_cast<unsigned char>(',')] = true;
    table[static_cast<unsigned char>('\n')] = true;
    table[static_cast<unsigned char>('\r')] = true;
    table[static_cast<unsigned char>('"')] = true;
  }
};
const Specials kSpecials;

inline uint64_t HasByte(uint64_t w, uint64_t pattern) {
  uint64_t x = w ^ pattern;
  return (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
}

// Nonzero when any byte of w is one of , \n \r " (may report a false positive after a zero
// byte, which only ends the fast path early).
inline bool HasSpecial(uint64_t w) {
  return (HasByte(w, 0x2C2C2C2C2C2C2C2CULL) | HasByte(w, 0x0A0A0A0A0A0A0A0AULL) | HasByte(w, 0x0D0D0D0D0D0D0D0DULL) |
          HasByte(w, 0x2222222222222222ULL)) != 0;
}

void SkipLine(const char* base, size_t end, size_t* pos) {
  const void* nl = std::memchr(base + *pos, '\n', end - *pos);
  *pos = nl == nullptr ? end : static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
}

}  // namespace

const char* CsvErrorText(CsvError e) {
  switch (e) {
    case CsvError::kNone: return "";
    case CsvError::kUnterminatedQuote: return "unterminated quoted field (it runs to the end of the input)";
    case CsvError::kCharAfterQuote: return "unexpected character after a closing quote";
    case CsvError::kQuoteInField: return "a quote inside an unquoted field";
  }
  return "";
}

void NextCsvRecord(const char* base, size_t end, size_t* pos, std::vector<CsvField>* fields, CsvError* error) {
  fields->clear();
  *error = CsvError::kNone;
  size_t p = *pos;
  for (;;) {
    if (p < end && base[p] == '"') {
      size_t q = p + 1;
      bool escaped = false;
      size_t close;
      for (;;) {
        const void* hit = std::memchr(base + q, '"', end - q);
        if (hit == nullptr) {
          *error = CsvError::kUnterminatedQuote;
          *pos = end;
          return;
        }
        size_t at = static_cast<size_t>(static_cast<const char*>(hit) - base);
        if (at + 1 < end && base[at + 1] == '"') {
          escaped = true;
          q = at + 2;
          continue;
        }
        close = at;
        break;
      }
      fields->push_back(CsvField{base + p + 1, static_cast<uint32_t>(close - p - 1), escaped});
      p = close + 1;
      if (p < end && base[p] != ',' && base[p] != '\n' && base[p] != '\r') {
        *error = CsvError::kCharAfterQuote;
        *pos = p;
        SkipLine(base, end, pos);
        return;
      }
    } else {
      size_t q = p;
      // Eight bytes at a time while none of them is special (, \n \r ").
      while (q + 8 <= end) {
        uint64_t w;
        std::memcpy(&w, base + q, 8);
        if (HasSpecial(w)) break;
        q += 8;
      }
      while (q < end && !kSpecials.table[static_cast<unsigned char>(base[q])]) ++q;
      if (q < end && base[q] == '"') {
        *error = CsvError::kQuoteInField;
        *pos = q;
        SkipLine(base, end, pos);
        return;
      }
      fields->push_back(CsvField{base + p, static_cast<uint32_t>(q - p), false});
      p = q;
    }
    if (p >= end) {
      *pos = end;
      return;
    }
    char c = base[p];
    if (c == ',') {
      ++p;
      if (p >= end) {  // a trailing comma at the end of the input: one more, empty field
        fields->push_back(CsvField{base + p, 0, false});
        *pos = end;
        return;
      }
      continue;
    }
    if (c == '\r') {
      ++p;
      if (p < end && base[p] == '\n') ++p;
    } else {  // '\n'
      ++p;
    }
    *pos = p;
    return;
  }
}

std::string_view CsvText(const CsvField& f, Arena* arena) {
  if (!f.escaped) return std::string_view(f.data, f.size);
  char* out = arena->Allocate(f.size);
  size_t n = 0;
  for (uint32_t i = 0; i < f.size; ++i) {
    out[n++] = f.data[i];
    if (f.data[i] == '"' && i + 1 < f.size && f.data[i + 1] == '"') ++i;
  }
  return std::string_view(out, n);
}

uint64_t CountByte(const char* p, size_t n, char c) {
  uint64_t count = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i needle = _mm_set1_epi8(c);
  for (; i + 64 <= n; i += 64) {
    // Four 16-byte compares; each matching byte is 0xFF (-1), so subtracting accumulates counts.
    __m128i acc = _mm_setzero_si128();
    for (int k = 0; k < 4; ++k) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 16 * k));
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, needle));
    }
    // Horizontal sum of the 16 byte counters (each at most 4).
    __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
    count += static_cast<uint64_t>(_mm_cvtsi128_si32(sums)) + static_cast<uint64_t>(_mm_extract_epi16(sums, 4));
  }
#endif
  for (; i < n; ++i) count += p[i] == c;
  return count;
}

void CsvScanner::LoadBlock(size_t b) {
  block_ = b;
  uint64_t m = 0;
  if (b + 64 <= end_) {
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"'), cr = _mm_set1_epi8('\r'), nl = _mm_set1_epi8('\n');
    for (int i = 0; i < 4; ++i) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base_ + b + 16 * i));
      __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, nl)));
      m |= static_cast<uint64_t>(static_cast<uint16_t>(_mm_movemask_epi8(hit))) << (16 * i);
    }
#else
    for (int i = 0; i < 64; ++i) m |= static_cast<uint64_t>(kSpecials.table[static_cast<unsigned char>(base_[b + i])]) << i;
#endif
  } else {
    for (size_t i = 0; b + i < end_; ++i) m |= static_cast<uint64_t>(kSpecials.table[static_cast<unsigned char>(base_[b + i])]) << i;
  }
  mask_ = m;
}

size_t CsvScanner::NextSpecial(size_t from) {
  for (;;) {
    if (from >= end_) return end_;
    size_t b = from & ~static_cast<size_t>(63);
    if (b != block_) LoadBlock(b);
    uint64_t m = mask_ & (~static_cast<uint64_t>(0) << (from - b));
    if (m != 0) return b + static_cast<size_t>(__builtin_ctzll(m));
    from = b + 64;
  }
}

void CsvScanner::Next(std::vector<CsvField>* fields, CsvError* error) {
  fields->clear();
  *error = CsvError::kNone;
  quoted_ = false;
  size_t p = pos_;
  for (;;) {
    if (p < end_ && base_[p] == '"') {
      quoted_ = true;
      // A quoted field: the general path handles doubled quotes and line breaks inside.
      size_t q = p;
      NextCsvRecord(base_, end_, &q, &rest_, error);
      fields->insert(fields->end(), rest_.begin(), rest_.end());
      pos_ = q;
      return;
    }
    size_t q = NextSpecial(p);
    if (q < end_ && base_[q] == '"') {
      *error = CsvError::kQuoteInField;
      const void* nl = std::memchr(base_ + q, '\n', end_ - q);
      pos_ = nl == nullptr ? end_ : static_cast<size_t>(static_cast<const char*>(nl) - base_) + 1;
      return;
    }
    fields->push_back(CsvField{base_ + p, static_cast<uint32_t>(q - p), false});
    if (q >= end_) {
      pos_ = end_;
      return;
    }
    char c = base_[q];
    if (c == ',') {
      p = q + 1;
      if (p >= end_) {
        fields->push_back(CsvField{base_ + p, 0, false});
        pos_ = end_;
        return;
      }
      continue;
    }
    p = q + 1;
    if (c == '\r' && p < end_ && base_[p] == '\n') ++p;
    pos_ = p;
    return;
  }
}

}  // namespace decree::io
