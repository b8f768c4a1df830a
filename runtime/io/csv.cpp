#include "io/csv.h"

#include <cstring>

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

std::string_view CsvText(const CsvField& f, exec::Arena* arena) {
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
  const uint64_t pattern = 0x0101010101010101ULL * static_cast<unsigned char>(c);
  const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    uint64_t x = w ^ pattern;  // zero bytes where w == c
    uint64_t y = (x & low7) + low7;
    y = ~(y | x | low7);       // high bit set exactly in the zero bytes of x
    count += static_cast<uint64_t>(__builtin_popcountll(y));
  }
  for (; i < n; ++i) count += p[i] == c;
  return count;
}

}  // namespace decree::io
