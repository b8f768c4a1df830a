#include "engine/compact_record.h"

#include <emmintrin.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "common/varint.h"

namespace decree::engine {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Layout: kCompactMark, then per member: u8 column index | varint value length | value text.

// Notes that the line's member-th key is column `col`, for the next line's guesses.
void Remember(std::vector<uint8_t>* order, size_t member, size_t col) {
  if (order == nullptr) return;
  if (member < order->size()) {
    (*order)[member] = static_cast<uint8_t>(col);
  } else {
    order->push_back(static_cast<uint8_t>(col));
  }
}

// The end of the string token starting at json[at] (a '"'): one past its closing quote, or npos.
size_t StringEnd(std::string_view json, size_t at) {
  const char* p = json.data() + at + 1;
  const char* end = json.data() + json.size();
  const char* quote = static_cast<const char*>(std::memchr(p, '"', end - p));
  if (quote != nullptr && std::memchr(p, '\\', quote - p) == nullptr) return quote - json.data() + 1;  // no escape
  for (size_t i = at + 1; i < json.size(); ++i) {
    if (json[i] == '\\') {
      ++i;
    } else if (json[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The column named `key`: `guess` when it is, else the first that is, else columns.size().
size_t ColumnOf(std::string_view key, const std::vector<std::string>& columns, size_t guess) {
  if (guess < columns.size() && columns[guess] == key) return guess;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == key) return c;
  }
  return columns.size();
}

// The positions of the quotes in `json`, 16 bytes at a time (SSE2); false when it has a
// backslash or is too long for `pos` (the general path then reads it).
bool QuotesOf(std::string_view json, uint16_t* pos, size_t capacity, size_t* count) {
  if (json.size() > 4096) return false;
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
  size_t n = 0;
  for (size_t i = 0; i < json.size(); i += 16) {
    alignas(16) char tail[16] = {};
    const char* at = json.data() + i;
    if (i + 16 > json.size()) at = static_cast<const char*>(std::memcpy(tail, at, json.size() - i));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(b, backslash)) != 0) return false;
    for (unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, quote))); m != 0; m &= m - 1) {
      if (n == capacity) return false;
      pos[n++] = static_cast<uint16_t>(i + static_cast<size_t>(__builtin_ctz(m)));
    }
  }
  *count = n;
  return true;
}

// CompactRecord for the common shape alone: {"key":value,...} of at most 4 KiB without
// whitespace or escapes, the strings found from the quotes' positions.  False (out unchanged)
// on anything else, which the general path then reads.
bool CompactPlain(std::string_view json, const std::vector<std::string>& columns, std::string* out,
                  std::vector<uint8_t>* order) {
  uint16_t quotes[1024];
  size_t nq = 0;
  if (json.size() < 2 || json.front() != '{' || json.back() != '}' || !QuotesOf(json, quotes, 1024, &nq)) return false;
  // Written into this thread's buffer first (json.size() + 1 bytes is enough: a member never
  // grows), then appended: no zero-filling of *out.
  thread_local std::unique_ptr<char[]> buffer;
  thread_local size_t capacity = 0;
  if (capacity < json.size() + 1) {
    capacity = std::max<size_t>(json.size() + 1, 2 * capacity);
    buffer = std::make_unique_for_overwrite<char[]>(capacity);
  }
  char* w = buffer.get();
  auto done = [&] {
    out->append(buffer.get(), w - buffer.get());
    return true;
  };
  *w++ = kCompactMark;
  size_t p = 1, q = 0;  // the next byte; the next quote
  const size_t n = json.size();
  if (json[p] == '}') return done();
  for (size_t member = 0;; ++member) {
    if (q + 1 >= nq || quotes[q] != p) return false;  // a key's opening quote
    size_t k = p + 1, kend = quotes[q + 1];
    q += 2;
    size_t guess = order != nullptr && member < order->size() ? (*order)[member] : columns.size();
    size_t col = ColumnOf(json.substr(k, kend - k), columns, guess);
    p = kend + 1;
    if (col == columns.size() || p + 1 >= n || json[p] != ':') return false;
    size_t v = ++p;
    if (json[p] == '"') {
      if (q + 1 >= nq || quotes[q] != p) return false;
      p = quotes[q + 1] + 1u;
      q += 2;
    } else {
      if (json[p] == '{' || json[p] == '[') return false;
      while (p < n && json[p] != ',' && json[p] != '}' && !IsSpace(json[p])) ++p;
      if (p == v) return false;
    }
    if (p >= n) return false;
    size_t len = p - v;
    Remember(order, member, col);
    *w++ = static_cast<char>(col);
    w = PutVarint(w, len);  // with the column, at most 3 bytes: no more than its `"key":`
    std::memcpy(w, json.data() + v, len);
    w += len;
    if (json[p] == ',') {
      ++p;
      continue;
    }
    if (json[p] != '}' || p + 1 != n || q != nq) return false;
    return done();
  }
}

}  // namespace

bool CompactRecord(std::string_view json, const std::vector<std::string>& columns, std::string* out,
                   std::vector<uint8_t>* order) {
  if (columns.size() > 255) return false;
  if (CompactPlain(json, columns, out, order)) return true;
  const size_t start = out->size();
  auto fail = [&] {
    out->resize(start);
    return false;
  };
  size_t i = 0, n = json.size();
  auto skip = [&] {
    while (i < n && IsSpace(json[i])) ++i;
  };
  skip();
  if (i == n || json[i] != '{') return false;
  ++i;
  skip();
  out->push_back(kCompactMark);
  size_t guess = 0;  // without `order`: the column after the last one found
  size_t member = 0;
  if (i < n && json[i] == '}') {
    ++i;
  } else {
    for (;;) {
      if (i == n || json[i] != '"') return fail();
      const char* close = static_cast<const char*>(std::memchr(json.data() + i + 1, '"', n - i - 1));
      if (close == nullptr) return fail();
      std::string_view key = json.substr(i + 1, close - (json.data() + i + 1));
      if (key.find('\\') != std::string_view::npos) return fail();
      if (order != nullptr && member < order->size()) guess = (*order)[member];
      size_t col = ColumnOf(key, columns, guess);
      if (col == columns.size()) return fail();
      Remember(order, member++, col);
      guess = col + 1;
      i = close - json.data() + 1;
      skip();
      if (i == n || json[i] != ':') return fail();
      ++i;
      skip();
      if (i == n || json[i] == '{' || json[i] == '[') return fail();
      size_t end = i;
      if (json[i] == '"') {
        end = StringEnd(json, i);
        if (end == std::string_view::npos) return fail();
      } else {
        while (end < n && !IsSpace(json[end]) && json[end] != ',' && json[end] != '}') ++end;
        if (end == i) return fail();
      }
      char head[11];
      head[0] = static_cast<char>(col);
      out->append(head, PutVarint(head + 1, end - i) - head);
      out->append(json.data() + i, end - i);
      i = end;
      skip();
      if (i < n && json[i] == ',') {
        ++i;
        skip();
        continue;
      }
      if (i < n && json[i] == '}') {
        ++i;
        break;
      }
      return fail();
    }
  }
  skip();
  return i == n ? true : fail();
}

void ExpandRecord(std::string_view compact, const std::vector<std::string>& columns, std::string* json) {
  json->clear();
  json->push_back('{');
  size_t at = 1;  // past the mark
  while (at < compact.size()) {
    size_t col = static_cast<uint8_t>(compact[at++]);
    uint64_t len = 0;
    at = GetVarint(compact.data() + at, &len) - compact.data();
    if (json->size() > 1) json->push_back(',');
    json->push_back('"');
    json->append(columns.at(col));
    json->append("\":");
    json->append(compact.substr(at, len));
    at += len;
  }
  json->push_back('}');
}

}  // namespace decree::engine
