#include "engine/compact_record.h"

#include <cstring>

namespace decree::engine {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Layout: kCompactMark, then per member: u8 column index | varint value length | value text.
void AppendVarint(std::string* out, size_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

size_t ReadVarint(std::string_view s, size_t* at) {
  size_t v = 0;
  for (int shift = 0; *at < s.size(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(s[(*at)++]);
    v |= static_cast<size_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) break;
  }
  return v;
}

// The end of the string token starting at json[at] (a '"'): one past its closing quote, or npos.
size_t StringEnd(std::string_view json, size_t at) {
  for (size_t i = at + 1; i < json.size(); ++i) {
    if (json[i] == '\\') {
      ++i;
    } else if (json[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

bool CompactRecord(std::string_view json, const std::vector<std::string>& columns, std::string* out) {
  if (columns.size() > 255) return false;
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
  size_t guess = 0;  // the column after the last one found: keys usually come in the layout's order
  if (i < n && json[i] == '}') {
    ++i;
  } else {
    for (;;) {
      if (i == n || json[i] != '"') return fail();
      const char* close = static_cast<const char*>(std::memchr(json.data() + i + 1, '"', n - i - 1));
      if (close == nullptr) return fail();
      std::string_view key = json.substr(i + 1, close - (json.data() + i + 1));
      if (key.find('\\') != std::string_view::npos) return fail();
      size_t col = guess < columns.size() && columns[guess] == key ? guess : columns.size();
      for (size_t c = 0; col == columns.size() && c < columns.size(); ++c) {
        if (columns[c] == key) col = c;
      }
      if (col == columns.size()) return fail();
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
      out->push_back(static_cast<char>(col));
      AppendVarint(out, end - i);
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
    size_t len = ReadVarint(compact, &at);
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
