#include "decree/json.h"

#include <simdjson.h>

#include <fmt/format.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/utf8.h"

namespace decree {

namespace {

// Index of the first byte of [p, p + n) that JSON needs escaped (< 0x20, '"', '\\', 0x7f),
// or n: 16 bytes at a time.
size_t FirstToEscape(const char* p, size_t n) {
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f);
  const __m128i space = _mm_set1_epi8(0x20), flip = _mm_set1_epi8(static_cast<char>(0x80));
  for (; i + 16 <= n; i += 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // Unsigned v < 0x20, as a signed compare with the top bit flipped.
    __m128i control = _mm_cmplt_epi8(_mm_xor_si128(v, flip), _mm_xor_si128(space, flip));
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, del), control));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
  }
#endif
  for (; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(p[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f) return i;
  }
  return n;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    size_t clean = FirstToEscape(s.data() + i, s.size() - i);
    out->append(s.data() + i, clean);
    i += clean;
    if (i == s.size()) break;
    unsigned char c = static_cast<unsigned char>(s[i++]);
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      default: *out += fmt::format("\\u{:04x}", c);
    }
  }
  out->push_back('"');
}

std::string JsonQuote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_->push_back(',');
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_->push_back('{');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_->push_back('}');
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_->push_back('[');
  first_.push_back(true);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_->push_back(']');
  first_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view k) {
  Separate();
  AppendJsonString(out_, k);
  out_->push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view v) {
  Separate();
  AppendJsonString(out_, v);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  Separate();
  *out_ += std::to_string(v);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
  Separate();
  *out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  Separate();
  *out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  *out_ += json;
  return *this;
}

const JsonValue* JsonValue::Get(std::string_view key) const {
  for (const JsonMember& m : members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

namespace {

namespace od = simdjson::ondemand;

// JSON's number grammar (simdjson leaves a number it does not convert unchecked).
bool IsJsonNumberText(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i >= s.size()) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    size_t d = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == d) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t d = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == d) return false;
  }
  return i == s.size();
}

// Builds the DOM from an On-Demand value, visiting everything (so everything is validated).
class DomBuilder {
 public:
  explicit DomBuilder(const char* base) : base_(base) {}

  bool Build(od::value v, JsonValue* out, int depth) {
    if (depth > kMaxJsonDepth) return Fail(v, "nested too deeply");
    od::json_type type;
    if (auto e = v.type().get(type)) return Fail(v, simdjson::error_message(e));
    switch (type) {
      case od::json_type::object: {
        out->kind = JsonValue::Kind::kObject;
        od::object obj;
        if (auto e = v.get_object().get(obj)) return Fail(v, simdjson::error_message(e));
        for (auto member : obj) {
          od::field f;
          if (auto e = std::move(member).get(f)) return Fail(v, simdjson::error_message(e));
          std::string_view key;
          if (auto e = f.unescaped_key().get(key)) return Fail(v, simdjson::error_message(e));
          for (const JsonMember& m : out->members) {
            if (m.key == key) return Fail(f.value(), "the key \"" + std::string(key.substr(0, 64)) + "\" appears twice in an object");
          }
          out->members.push_back(JsonMember{std::string(key), JsonValue()});
          if (!Build(f.value(), &out->members.back().value, depth + 1)) return false;
        }
        return true;
      }
      case od::json_type::array: {
        out->kind = JsonValue::Kind::kArray;
        od::array arr;
        if (auto e = v.get_array().get(arr)) return Fail(v, simdjson::error_message(e));
        for (auto item : arr) {
          od::value x;
          if (auto e = std::move(item).get(x)) return Fail(v, simdjson::error_message(e));
          out->items.emplace_back();
          if (!Build(x, &out->items.back(), depth + 1)) return false;
        }
        return true;
      }
      case od::json_type::string: {
        out->kind = JsonValue::Kind::kString;
        std::string_view s;
        if (auto e = v.get_string().get(s)) return Fail(v, simdjson::error_message(e));
        out->text.assign(s);
        return true;
      }
      case od::json_type::number: {
        out->kind = JsonValue::Kind::kNumber;
        std::string_view raw = v.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r')) raw.remove_suffix(1);
        if (!IsJsonNumberText(raw)) return Fail(v, "not a JSON number");
        out->text.assign(raw);
        return true;
      }
      case od::json_type::boolean: {
        out->kind = JsonValue::Kind::kBool;
        if (auto e = v.get_bool().get(out->b)) return Fail(v, simdjson::error_message(e));
        return true;
      }
      case od::json_type::null: {
        bool is_null = false;
        if (v.is_null().get(is_null) || !is_null) return Fail(v, "not null");
        out->kind = JsonValue::Kind::kNull;
        return true;
      }
    }
    return Fail(v, "unknown value");
  }

  size_t offset = 0;
  std::string error;

 private:
  bool Fail(od::value v, std::string what) {
    const char* at = nullptr;
    if (v.current_location().get(at) == simdjson::SUCCESS && at != nullptr && at >= base_) offset = static_cast<size_t>(at - base_);
    error = std::move(what);
    return false;
  }

  const char* base_;
};

}  // namespace

bool ParseJson(std::string_view text, JsonValue* out, size_t* error_offset, std::string* error) {
  *out = JsonValue();
  *error_offset = 0;
  simdjson::padded_string padded(text);
  od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(padded).get(doc)) {
    *error = simdjson::error_message(e);
    return false;
  }
  // The root as a value: a scalar document is read through a one-element wrapper below.
  od::json_type type;
  if (auto e = doc.type().get(type)) {
    *error = simdjson::error_message(e);
    return false;
  }
  if (type != od::json_type::object && type != od::json_type::array) {
    // A scalar document: parse it as the only item of an array.
    std::string wrapped = "[" + std::string(text) + "]";
    JsonValue array;
    if (!ParseJson(wrapped, &array, error_offset, error)) {
      if (*error_offset > 0) --*error_offset;
      return false;
    }
    if (array.items.size() != 1) {
      *error = "more than one value";
      return false;
    }
    *out = std::move(array.items[0]);
    return true;
  }
  od::value root;
  if (auto e = doc.get_value().get(root)) {
    *error = simdjson::error_message(e);
    return false;
  }
  DomBuilder builder(padded.data());
  if (!builder.Build(root, out, 1)) {
    *error_offset = builder.offset;
    *error = builder.error;
    return false;
  }
  const char* rest = nullptr;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) {
    *error_offset = rest != nullptr && rest >= padded.data() ? static_cast<size_t>(rest - padded.data()) : 0;
    *error = "more after the JSON value";
    return false;
  }
  return true;
}

}  // namespace decree
