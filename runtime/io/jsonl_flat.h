// The JSON Lines reader's fast path for the common record: one flat object whose strings hold
// no escape.  Measured: simdjson's per-line iterate and On-Demand walk cost more than the rest
// of reading such a line; this scanner reads it in one pass.  It only ever accepts: any line
// it does not fully understand (nested values, escapes, control characters, invalid UTF-8,
// numbers outside JSON's grammar, anything after the object) is left to simdjson, which gives
// the answer and the message.  Every line it accepts, RFC 8259 accepts with the same members
// (tested against simdjson in jsonl_flat_test.cpp and fuzz_jsonl_flat).
#pragma once

#include <algorithm>
#include <string_view>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/utf8.h"

namespace decree::io {

enum class FlatKind { kString, kNumber, kTrue, kFalse, kNull };

// The first '"', '\\' or control character (< 0x20) in [p, end), or end.  Reads 16-byte blocks,
// so up to 15 bytes past `end`: the buffer must be padded past it (a segment buffer has
// simdjson's padding).  Keys and values are short, so one block usually answers.
inline const char* StringStop(const char* p, const char* end) {
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), escape = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
  for (; p < end; p += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, escape));
    stop = _mm_or_si128(stop, _mm_cmpeq_epi8(_mm_min_epu8(v, control), v));  // v <= 0x1F
    auto m = static_cast<unsigned>(_mm_movemask_epi8(stop));
    if (m != 0) return std::min(p + __builtin_ctz(m), end);
  }
  return end;
#else
  while (p < end && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
  return p;
#endif
}

// JSON's number grammar (RFC 8259 section 6).
inline bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

namespace flat_detail {

inline bool IsWs(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// A string without escape at *p (its opening quote): its bytes to *out, *p past its close.
inline bool String(const char** p, const char* end, std::string_view* out) {
  const char* from = *p + 1;
  const char* stop = StringStop(from, end);
  if (stop == end || *stop != '"') return false;
  *out = std::string_view(from, static_cast<size_t>(stop - from));
  *p = stop + 1;
  return true;
}

}  // namespace flat_detail

// Reads `line` (padded: see StringStop) as one flat object and calls
// on_member(key, kind, value) for each member in order: value is a string's bytes between
// its quotes, or a number's or literal's token as written.  Returns false when the line is
// anything else or on_member returns false; on_member may have been called for some members
// by then, and the caller reads the line again with the full parser.
template <class OnMember>
bool ScanFlatObject(std::string_view line, OnMember&& on_member) {
  using flat_detail::IsWs;
  const char* p = line.data();
  const char* end = p + line.size();
  if (!IsValidUtf8(line)) return false;
  auto skip = [&] {
    while (p < end && IsWs(*p)) ++p;
  };
  skip();
  if (p == end || *p != '{') return false;
  ++p;
  skip();
  if (p < end && *p == '}') {
    ++p;
    skip();
    return p == end;
  }
  for (;;) {
    std::string_view key, value;
    if (p == end || *p != '"' || !flat_detail::String(&p, end, &key)) return false;
    skip();
    if (p == end || *p != ':') return false;
    ++p;
    skip();
    if (p == end) return false;
    FlatKind kind;
    if (*p == '"') {
      if (!flat_detail::String(&p, end, &value)) return false;
      kind = FlatKind::kString;
    } else {
      const char* from = p;
      while (p < end && !IsWs(*p) && *p != ',' && *p != '}') ++p;
      value = std::string_view(from, static_cast<size_t>(p - from));
      if (value == "true") {
        kind = FlatKind::kTrue;
      } else if (value == "false") {
        kind = FlatKind::kFalse;
      } else if (value == "null") {
        kind = FlatKind::kNull;
      } else if (IsJsonNumber(value)) {
        kind = FlatKind::kNumber;
      } else {
        return false;  // nested, or not JSON
      }
    }
    if (!on_member(key, kind, value)) return false;
    skip();
    if (p == end) return false;
    if (*p == ',') {
      ++p;
      skip();
      continue;
    }
    if (*p != '}') return false;
    ++p;
    skip();
    return p == end;
  }
}

}  // namespace decree::io
