// The JSON Lines batch reader: one JSON object per line, keys bound to the layout's columns
// by name, parsed with simdjson's On-Demand API (UTF-8 validated, exact number text kept,
// nothing allocated per row).  A line is rejected when it is not one well-formed object, when
// a key appears twice in it (readers disagree on which value wins), or when a field's value
// does not fit its type; keys the layout does not bind are checked and ignored.
#include <fmt/format.h>
#include <simdjson.h>

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "io/reader_support.h"

namespace decree::io {

namespace {

namespace od = simdjson::ondemand;

struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// One bound column's value in the current line.
struct Cell {
  bool present = false;
  bool is_null = false;
  std::string_view text;
};

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// JSON's number grammar, which simdjson leaves unchecked for a token it does not convert.
bool IsJsonNumber(std::string_view s) {
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

class JsonlSource final : public RowSource {
 public:
  Status Init(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout) {
    layout_ = &layout;
    Status st = file_.Open(spec.path, spec.max_record_bytes);
    if (!st.ok()) return st;
    codecs_ = Codecs(program, layout);
    for (size_t f = 0; f < layout.fields.size(); ++f) {
      value_cell_.push_back(CellOf(layout.fields[f].column));
      currency_cell_.push_back(layout.fields[f].currency_column.empty() ? -1 : CellOf(layout.fields[f].currency_column));
    }
    std::string head;
    st = file_.ReadAt(0, 3, &head);
    if (!st.ok()) return st;
    segments_.Init(&file_, head == "\xEF\xBB\xBF" ? 3 : 0, /*quotes=*/false, kSegmentBytes, spec.max_record_bytes, 1);
    return Status::Ok();
  }

  size_t segment_count() const override { return segments_.count(); }
  uint64_t total_bytes() const override { return file_.size(); }
  std::string format_name() const override { return "JSON Lines"; }
  Status CheckUnchanged() const override { return file_.CheckUnchanged(); }
  bool line_based() const override { return true; }
  std::unique_ptr<PositionLabeler> NewLabeler() const override { return std::make_unique<LineLabeler>(file_, 1); }

  Status ReadSegment(size_t segment, const ChunkFn& on_chunk, SegmentResult* result) override {
    thread_local std::string data;  // this thread's segment buffer, reused
    thread_local od::parser parser;
    uint64_t begin, end;
    Status read = segments_.Read(segment, &data, &begin, &end);
    if (!read.ok()) return read;
    data.reserve(data.size() + simdjson::SIMDJSON_PADDING);  // simdjson reads ahead of each line
    ChunkBuffers buf(codecs_);
    std::vector<Cell> cells(cell_names_.size());
    std::vector<std::string_view> keys;
    std::string reason;
    size_t at = 0;  // in data; file offset begin + at
    uint64_t pos = begin, reported = begin;
    while (at < data.size()) {
      uint64_t start = begin + at;
      const void* nl = std::memchr(data.data() + at, '\n', data.size() - at);
      size_t line_end = nl == nullptr ? data.size() : static_cast<size_t>(static_cast<const char*>(nl) - data.data());
      std::string_view line(data.data() + at, line_end - at);
      at = line_end + 1;
      pos = begin + std::min(at, data.size());
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) {
        ++result->blank_lines;
        continue;
      }
      ++result->rows_read;
      for (Cell& c : cells) c = Cell{};
      std::string id;
      if (!ParseLine(parser, line, data.capacity() - static_cast<size_t>(line.data() - data.data()), &cells, &keys, &buf.arena,
                     &reason)) {
        if (id_cell_ >= 0 && cells[id_cell_].present && !cells[id_cell_].is_null) id = std::string(cells[id_cell_].text.substr(0, 256));
        result->rejects.push_back(Reject{start, 0, std::move(id), std::move(reason)});
        continue;
      }
      if (id_cell_ >= 0 && cells[id_cell_].present && !cells[id_cell_].is_null) id = std::string(cells[id_cell_].text.substr(0, 256));
      uint32_t row = buf.chunk.size;
      bool ok = true;
      for (size_t f = 0; f < codecs_.size() && ok; ++f) {
        const ir::Field& field = layout_->fields[f];
        const Cell& v = cells[value_cell_[f]];
        if (!v.present) {
          if (field.type.optional) {
            ok = codecs_[f].Parse({}, {}, true, buf.chunk.columns[f], row, &reason);
          } else {
            reason = fmt::format("{}: missing", field.column);
            ok = false;
          }
        } else {
          std::string_view cur;
          if (currency_cell_[f] >= 0 && cells[currency_cell_[f]].present) cur = cells[currency_cell_[f]].text;
          ok = codecs_[f].Parse(v.text, cur, v.is_null, buf.chunk.columns[f], row, &reason);
        }
      }
      if (!ok) {
        result->rejects.push_back(Reject{start, 0, std::move(id), reason});
        continue;
      }
      if (buf.Commit(start)) {
        buf.Flush(on_chunk);
        bytes_done_.fetch_add(pos - reported, std::memory_order_relaxed);
        reported = pos;
      }
    }
    buf.Flush(on_chunk);
    bytes_done_.fetch_add(end - reported, std::memory_order_relaxed);
    return Status::Ok();
  }

 private:
  int CellOf(const std::string& column) {
    auto [it, inserted] = cell_of_.try_emplace(column, static_cast<int>(cell_names_.size()));
    if (inserted) cell_names_.push_back(column);
    if (layout_->id_field >= 0 && column == layout_->fields[layout_->id_field].column) id_cell_ = it->second;
    return it->second;
  }

  static constexpr size_t kLinearKeys = 32;  // past this many keys, duplicates are found by hashing

  // Parses one line into the bound cells; false with *reason when the line is rejected.
  bool ParseLine(od::parser& parser, std::string_view line, size_t capacity, std::vector<Cell>* cells,
                 std::vector<std::string_view>* keys, exec::Arena* arena, std::string* reason) {
    keys->clear();
    od::document doc;
    bool started = false;  // the document was indexed: its position can be asked for
    auto fail = [&](simdjson::error_code e, const char* where) {
      const char* loc = nullptr;
      size_t byte = 0;
      if (started && doc.current_location().get(loc) == simdjson::SUCCESS && loc != nullptr && loc >= line.data()) {
        byte = static_cast<size_t>(loc - line.data()) + 1;
      }
      *reason = byte > 0 && byte <= line.size()
                    ? fmt::format("invalid JSON at byte {} of the line ({}): {}", byte, where, simdjson::error_message(e))
                    : fmt::format("invalid JSON ({}): {}", where, simdjson::error_message(e));
      return false;
    };
    simdjson::error_code e = parser.iterate(simdjson::padded_string_view(line.data(), line.size(), capacity)).get(doc);
    if (e) return fail(e, "the line");
    started = true;
    od::object obj;
    if (doc.get_object().get(obj)) {
      *reason = "a JSON Lines record must be an object";
      return false;
    }
    for (auto field_result : obj) {
      od::field field;
      if ((e = std::move(field_result).get(field))) return fail(e, "a member");
      std::string_view key;
      if ((e = field.unescaped_key().get(key))) return fail(e, "a key");
      // Keys stay valid in the parser's string buffer until the next line.
      bool repeated = false;
      if (keys->size() < kLinearKeys) {
        for (std::string_view k : *keys) repeated |= k == key;
      } else {
        if (keys->size() == kLinearKeys) many_keys_.clear(), many_keys_.insert(keys->begin(), keys->end());
        repeated = !many_keys_.insert(key).second;
      }
      if (repeated) {
        *reason = fmt::format("the key \"{}\" appears twice in the object (which value is meant?)", key.substr(0, 64));
        return false;
      }
      keys->push_back(key);
      auto it = cell_of_.find(key);
      Cell* cell = it == cell_of_.end() ? nullptr : &(*cells)[it->second];
      od::value value = field.value();
      od::json_type type;
      if ((e = value.type().get(type))) return fail(e, "a value");
      Cell got;
      got.present = true;
      switch (type) {
        case od::json_type::string: {
          std::string_view s;
          if ((e = value.get_string().get(s))) return fail(e, "a string");
          got.text = cell != nullptr ? arena->Copy(s).view() : std::string_view();
          break;
        }
        case od::json_type::number: {
          std::string_view raw = TrimRight(value.raw_json_token());
          if (!IsJsonNumber(raw)) {
            *reason = fmt::format("\"{}\": {} is not a JSON number", key, raw.substr(0, 40));
            return false;
          }
          if (cell != nullptr && raw.find_first_of("eE") != std::string_view::npos) {
            *reason = fmt::format("{}: {} has an exponent, which is not an exact amount", key, raw);
            return false;
          }
          got.text = raw;
          break;
        }
        case od::json_type::boolean: {
          bool b;
          if ((e = value.get_bool().get(b))) return fail(e, "a boolean");
          got.text = b ? "true" : "false";
          break;
        }
        case od::json_type::null: {
          bool is_null = false;
          if ((e = value.is_null().get(is_null)) || !is_null) return fail(e ? e : simdjson::N_ATOM_ERROR, "null");
          got.is_null = true;
          break;
        }
        default:
          if (cell != nullptr) {
            *reason = fmt::format("{}: expected a value, found a JSON {}", key, type == od::json_type::array ? "array" : "object");
            return false;
          }
          break;  // an unbound nested value is skipped (its structure is checked)
      }
      if (cell != nullptr) *cell = got;
    }
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) {  // in bounds: a token follows the object
      *reason = "invalid JSON: more after the object on the line";
      return false;
    }
    return true;
  }

  const ir::Layout* layout_ = nullptr;
  InputFile file_;
  std::vector<FieldCodec> codecs_;
  std::unordered_map<std::string, int, KeyHash, std::equal_to<>> cell_of_;  // column -> cell
  std::vector<std::string> cell_names_;
  std::vector<int> value_cell_, currency_cell_;  // per layout field
  int id_cell_ = -1;
  SegmentReader segments_;
  static thread_local std::unordered_set<std::string_view> many_keys_;
};

thread_local std::unordered_set<std::string_view> JsonlSource::many_keys_;

}  // namespace

Status OpenJsonlSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout, std::unique_ptr<RowSource>* out) {
  auto s = std::make_unique<JsonlSource>();
  Status st = s->Init(spec, program, layout);
  if (st.ok()) *out = std::move(s);
  return st;
}

}  // namespace decree::io
