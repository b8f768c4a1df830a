// A reference for jsonl_flat.h, for its unit test and fuzz target: the members simdjson's
// On-Demand API reads from a line, independently of the scanner.
#pragma once

#include <simdjson.h>

#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "io/jsonl_flat.h"

namespace decree::io::flat_reference {

struct Member {
  std::string key;
  FlatKind kind;
  std::string value;
  bool operator==(const Member&) const = default;
};

// JSON's number grammar, written independently of the scanner's.
inline bool NumberToken(std::string_view t) {
  static const std::regex kNumber(R"(-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?)");
  return std::regex_match(t.begin(), t.end(), kNumber);
}

// The members simdjson's On-Demand API reads from a flat object (strings unescaped, literals
// parsed, numbers as their token, which must match the grammar), or false: not JSON, not an
// object, a nested value, or more after the object.
inline bool Reference(const std::string& line, std::vector<Member>* out) {
  namespace od = simdjson::ondemand;
  simdjson::padded_string padded(line);
  od::parser parser;
  od::document doc;
  if (parser.iterate(padded).get(doc)) return false;
  od::object obj;
  if (doc.get_object().get(obj)) return false;
  out->clear();
  for (auto field_result : obj) {
    od::field field;
    if (std::move(field_result).get(field)) return false;
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    Member m{std::string(key), FlatKind::kNull, ""};
    od::value value = field.value();
    od::json_type type;
    if (value.type().get(type)) return false;
    switch (type) {
      case od::json_type::string: {
        std::string_view text;
        if (value.get_string().get(text)) return false;
        m.kind = FlatKind::kString;
        m.value = std::string(text);
        break;
      }
      case od::json_type::boolean: {
        bool b;
        if (value.get_bool().get(b)) return false;
        m.kind = b ? FlatKind::kTrue : FlatKind::kFalse;
        break;
      }
      case od::json_type::null:
        if (!value.is_null()) return false;
        break;
      case od::json_type::number: {
        std::string_view token = value.raw_json_token();
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\r' || token.back() == '\n')) {
          token.remove_suffix(1);
        }
        if (!NumberToken(token)) return false;
        m.kind = FlatKind::kNumber;
        m.value = std::string(token);
        break;
      }
      default:
        return false;  // nested
    }
    out->push_back(m);
  }
  const char* rest = nullptr;
  return doc.current_location().get(rest) != simdjson::SUCCESS;  // out of bounds: nothing follows
}

// The members ScanFlatObject reads, or false.  The line is copied into a padded buffer, as the
// reader's segment buffer is.
inline bool Scan(const std::string& line, std::vector<Member>* out) {
  std::string padded = line;
  padded.reserve(line.size() + simdjson::SIMDJSON_PADDING);
  out->clear();
  return ScanFlatObject(std::string_view(padded.data(), line.size()), [&](std::string_view k, FlatKind kind, std::string_view v) {
    out->push_back(Member{std::string(k), kind, std::string(v)});
    return true;
  });
}

// Empty when the scanner leaves the line alone or reads it as the reference does; else what
// differs.
inline std::string Disagreement(const std::string& line) {
  std::vector<Member> fast, ref;
  if (!Scan(line, &fast)) return "";
  if (!Reference(line, &ref)) return "the fast path accepted what simdjson rejects";
  if (fast.size() != ref.size()) return "a different number of members";
  for (size_t i = 0; i < fast.size(); ++i) {
    bool valued = fast[i].kind == FlatKind::kString || fast[i].kind == FlatKind::kNumber;
    if (fast[i].key != ref[i].key || fast[i].kind != ref[i].kind || (valued && fast[i].value != ref[i].value)) {
      return "member " + std::to_string(i) + " differs";
    }
  }
  return "";
}

}  // namespace decree::io::flat_reference
