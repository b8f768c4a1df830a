// A held record's JSON object kept without its keys, for the engine's state: the keys are the
// layout's column names, so a column index stands for each.  About half the bytes of the
// generated records' text, and the state holds every accepted record until it is evicted.
// The compact form is expanded again only when a reloaded library must evaluate the record.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decree::engine {

// The first byte of a compact form; a JSON text never starts with it.
constexpr char kCompactMark = '\x01';

inline bool IsCompact(std::string_view held) { return !held.empty() && held[0] == kCompactMark; }

// Appends the compact form of `json` to *out and returns true when `json` is one object of
// plain values (no nested object or array) whose keys are all among `columns` (at most 255),
// written without escapes; otherwise returns false and leaves *out as it was (the text is kept
// as it is).  Each member keeps its value's text exactly as written, in the members' order.
// `order`, when given, holds the columns of the last line compacted by member position: tried
// first for each key (records of one source repeat their keys' order), and updated.
bool CompactRecord(std::string_view json, const std::vector<std::string>& columns, std::string* out,
                   std::vector<uint8_t>* order = nullptr);

// The JSON object of a compact form: the same members in the same order, each value as written
// (whitespace between tokens dropped), which a reader reads exactly as it read `json`.
void ExpandRecord(std::string_view compact, const std::vector<std::string>& columns, std::string* json);

}  // namespace decree::engine
