// JSON text: a streaming writer (findings, diagnostics, SARIF) and a small DOM parser (JSON
// Lines input, findings read back by `decree report`).
//
// The writer produces compact, deterministic output: keys in the order written, strings
// escaped per RFC 8259 (non-ASCII UTF-8 passes through unescaped).  The parser is bounded in
// depth and reports the byte offset of the first error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace decree {

void AppendJsonString(std::string* out, std::string_view s);
std::string JsonQuote(std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view k);
  JsonWriter& String(std::string_view v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Inserts already-encoded JSON.
  JsonWriter& Raw(std::string_view json);
  // Shorthands for "key": value.
  JsonWriter& Field(std::string_view k, std::string_view v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, const char* v) { return Key(k).String(v); }
  JsonWriter& Field(std::string_view k, int64_t v) { return Key(k).Int(v); }
  JsonWriter& Field(std::string_view k, int v) { return Key(k).Int(v); }
  JsonWriter& FieldBool(std::string_view k, bool v) { return Key(k).Bool(v); }

 private:
  void Separate();
  std::string* out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

struct JsonMember;

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool b = false;
  std::string text;  // kNumber: the literal as written (exact); kString: the decoded string
  std::vector<JsonValue> items;
  std::vector<JsonMember> members;  // in document order

  const JsonValue* Get(std::string_view key) const;
  bool is_string() const { return kind == Kind::kString; }
};

struct JsonMember {
  std::string key;
  JsonValue value;
};

inline constexpr int kMaxJsonDepth = 256;

// Parses one JSON value spanning all of `text` (surrounding whitespace allowed).  On failure
// returns false and sets *error_offset and *error.
bool ParseJson(std::string_view text, JsonValue* out, size_t* error_offset, std::string* error);

}  // namespace decree
