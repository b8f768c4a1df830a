// The JSON Lines batch reader: one JSON object per line, keys bound to the layout's columns
// by name, parsed with simdjson's On-Demand API (UTF-8 validated, exact number text kept,
// nothing allocated per row).  A line is rejected when it is not one well-formed object, when
// a key appears twice in it (readers disagree on which value wins), or when a field's value
// does not fit its type; keys the layout does not bind are checked and ignored.
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "io/jsonl_flat.h"
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

class JsonlSource final : public RowSource {
 public:
  Status Init(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout) {
    layout_ = &layout;
    max_record_bytes_ = spec.max_record_bytes;
    Status st = spec.bytes ? Status::Ok() : file_.Open(spec.path, spec.max_record_bytes);
    if (!st.ok()) return st;
    if (spec.bytes) file_.OpenBytes(spec.path, spec.bytes);
    // A few records in memory (one decided online) get buffers their size, not a chunk's.
    if (spec.bytes && spec.bytes->size() < (64u << 10)) chunk_rows_ = 64;
    codecs_ = Codecs(program, layout);
    for (size_t f = 0; f < layout.fields.size(); ++f) {
      value_cell_.push_back(CellOf(layout.fields[f].column));
      currency_cell_.push_back(layout.fields[f].currency_column.empty() ? -1 : CellOf(layout.fields[f].currency_column));
    }
    IndexCells();
    return StartSegments();
  }

  bool Rebind(const std::string& path, std::shared_ptr<const std::string> bytes) override {
    if (!file_.in_memory() || bytes == nullptr) return false;
    file_.OpenBytes(path, std::move(bytes));
    chunk_rows_ = file_.size() < (64u << 10) ? 64 : kChunkSize;
    bytes_done_.store(0, std::memory_order_relaxed);
    return StartSegments().ok();
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
    std::unique_ptr<ChunkBuffers> spare = TakeBuffers();
    ChunkBuffers& buf = *spare;
    std::vector<Cell> cells(cell_names_.size());
    std::vector<std::string_view> keys;
    // This thread's guesses, kept from its last segment of this source (a record decided online
    // is a segment of its own): another source's cells are numbered otherwise.
    thread_local std::vector<KeyGuess> guesses;
    thread_local uint64_t guesses_of = 0;
    if (guesses_of != id_) {
      guesses.clear();
      guesses_of = id_;
    }
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
      // The record's id as far as it was read, for a reject.
      auto id = [&] {
        const bool has = id_cell_ >= 0 && cells[id_cell_].present && !cells[id_cell_].is_null;
        return has ? std::string(cells[id_cell_].text.substr(0, 256)) : std::string();
      };
      if (!ParseLine(parser, line, data.capacity() - static_cast<size_t>(line.data() - data.data()), &cells, &keys, &guesses, &buf.arena,
                     &reason)) {
        result->rejects.push_back(Reject{start, 0, id(), std::move(reason)});
        continue;
      }
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
          ok = codecs_[f].Parse(v.text, cur, v.is_null, buf.chunk.columns[f], row, &reason, /*utf8_checked=*/true);
        }
      }
      if (!ok) {
        result->rejects.push_back(Reject{start, 0, id(), reason});
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
    GiveBuffers(std::move(spare));
    return Status::Ok();
  }

 private:
  // Chunk buffers of the source's size, kept between segments and rebinds (an online
  // decision reads one record a segment: building them was a tenth of its cost).
  std::unique_ptr<ChunkBuffers> TakeBuffers() {
    {
      std::lock_guard<std::mutex> lock(spare_mu_);
      while (!spare_.empty()) {
        std::unique_ptr<ChunkBuffers> b = std::move(spare_.back());
        spare_.pop_back();
        if (b->capacity == chunk_rows_) return b;
      }
    }
    return std::make_unique<ChunkBuffers>(codecs_, chunk_rows_);
  }
  void GiveBuffers(std::unique_ptr<ChunkBuffers> b) {
    std::lock_guard<std::mutex> lock(spare_mu_);
    if (spare_.size() < 4) spare_.push_back(std::move(b));
  }

  int CellOf(const std::string& column) {
    auto [it, inserted] = cell_of_.try_emplace(column, static_cast<int>(cell_names_.size()));
    if (inserted) cell_names_.push_back(column);
    if (layout_->id_field >= 0 && column == layout_->fields[layout_->id_field].column) id_cell_ = it->second;
    return it->second;
  }

  static constexpr size_t kLinearKeys = 32;  // past this many unbound keys, duplicates are found by hashing
  static constexpr size_t kGuessedKeys = 64;  // keys of a line whose cells are guessed from the line before
  // Distinct for every source made: names this one's guesses (ReadSegment).
  const uint64_t id_ = [] {
    static std::atomic<uint64_t> sources{0};
    return ++sources;
  }();

  // The cell a key binds, or -1: a 256-slot table hashed by (length, first and last 8 bytes)
  // with a salt chosen so the bound names do not collide; a hit is verified by the words
  // (which cover a key of up to 24 bytes) and, past that, the bytes between.
  struct KeyWords {
    uint64_t a = 0, b = 0, c = 0;  // bytes [0, 8), [size - 8, size), [8, 16) when size > 16
    bool operator==(const KeyWords&) const = default;
  };
  static KeyWords Words(std::string_view k) {
    KeyWords w;
    if (k.size() >= 8) {  // fixed-size loads
      std::memcpy(&w.a, k.data(), 8);
      std::memcpy(&w.b, k.data() + k.size() - 8, 8);
      if (k.size() > 16) std::memcpy(&w.c, k.data() + 8, 8);
    } else {
      for (size_t i = 0; i < k.size(); ++i) w.a = (w.a << 8) | static_cast<unsigned char>(k[i]);
      w.b = w.a;
    }
    return w;
  }
  static size_t KeySlot(size_t size, KeyWords w, uint32_t salt) {
    uint64_t h = (w.a * 0x9E3779B97F4A7C15ull) ^ (w.b * 0xC2B2AE3D27D4EB4Full) ^ (size + salt * 0x165667B19E3779F9ull);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    return (h >> 56) & 255;
  }
  int CellFor(std::string_view key, const KeyWords& w) const {
    if (key.empty()) return Lookup(key);
    int16_t slot = cell_slots_[KeySlot(key.size(), w, salt_)];
    if (slot == 0) return -1;
    if (slot < 0) return Lookup(key);
    const std::string& name = cell_names_[slot - 1];
    if (name.size() != key.size() || !(cell_words_[slot - 1] == w)) return -1;
    if (key.size() > 24 && std::memcmp(name.data() + 16, key.data() + 16, key.size() - 24) != 0) return -1;
    return slot - 1;
  }
  // The k-th key of the line before, and its cell: lines from one writer repeat their keys in
  // one order, so a key equal to its guess (up to 24 bytes: its words say it) skips the table.
  struct KeyGuess {
    size_t size = SIZE_MAX;
    KeyWords w;
    int cell = -1;
  };
  int GuessCell(std::string_view key, size_t k, std::vector<KeyGuess>* guesses) const {
    KeyWords w = Words(key);
    if (k < guesses->size()) {
      const KeyGuess& g = (*guesses)[k];
      if (g.size == key.size() && g.w == w) return g.cell;
    }
    int cell = CellFor(key, w);
    if (key.size() <= 24 && k < kGuessedKeys) {
      if (guesses->size() <= k) guesses->resize(k + 1);
      (*guesses)[k] = KeyGuess{key.size(), w, cell};
    }
    return cell;
  }
  int Lookup(std::string_view key) const {
    auto it = cell_of_.find(key);
    return it == cell_of_.end() ? -1 : it->second;
  }
  void IndexCells() {
    cell_words_.clear();
    for (const std::string& n : cell_names_) cell_words_.push_back(Words(n));
    for (uint32_t salt = 1; salt < 256; ++salt) {
      std::fill(std::begin(cell_slots_), std::end(cell_slots_), 0);
      bool collision = false;
      for (size_t c = 0; c < cell_names_.size(); ++c) {
        if (cell_names_[c].empty()) continue;
        int16_t& slot = cell_slots_[KeySlot(cell_names_[c].size(), cell_words_[c], salt)];
        collision |= slot != 0;
        slot = slot == 0 ? static_cast<int16_t>(c + 1) : -1;
      }
      salt_ = salt;
      if (!collision) return;  // else keep the last salt: colliding slots fall back to Lookup
    }
  }

  // Whether an unbound key was seen before in the line (else it is added to *keys).
  bool Repeated(std::vector<std::string_view>* keys, std::string_view key) const {
    bool repeated = false;
    if (keys->size() < kLinearKeys) {
      for (std::string_view k : *keys) repeated |= k == key;
    } else {
      if (keys->size() == kLinearKeys) many_keys_.clear(), many_keys_.insert(keys->begin(), keys->end());
      repeated = !many_keys_.insert(key).second;
    }
    if (!repeated) keys->push_back(key);
    return repeated;
  }

  // The fast path (jsonl_flat.h): a flat object of plain values read in one pass into the
  // bound cells.  False when the line is to be read by simdjson (cells and keys then reset),
  // which also finds every reason to reject it.
  bool ParseFlat(std::string_view line, std::vector<Cell>* cells, std::vector<std::string_view>* keys,
                 std::vector<KeyGuess>* guesses) const {
    size_t member = 0;
    bool ok = ScanFlatObject(line, [&](std::string_view key, FlatKind kind, std::string_view value) {
      int c = GuessCell(key, member++, guesses);
      if (c < 0) return !Repeated(keys, key);
      Cell& cell = (*cells)[c];
      if (cell.present) return false;
      if (kind == FlatKind::kNumber && value.find_first_of("eE") != std::string_view::npos) return false;
      cell.present = true;
      cell.is_null = kind == FlatKind::kNull;
      if (!cell.is_null) cell.text = value;
      return true;
    });
    if (ok) return true;
    for (Cell& c : *cells) c = Cell{};
    keys->clear();
    return false;
  }

  // Parses one line into the bound cells; false with *reason when the line is rejected.
  bool ParseLine(od::parser& parser, std::string_view line, size_t capacity, std::vector<Cell>* cells,
                 std::vector<std::string_view>* keys, std::vector<KeyGuess>* guesses, Arena* arena, std::string* reason) {
    keys->clear();  // unbound keys (bound ones are found twice through their cell)
    if (ParseFlat(line, cells, keys, guesses)) return true;
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
    auto twice = [&](std::string_view key) {
      *reason = fmt::format("the key \"{}\" appears twice in the object (which value is meant?)", key.substr(0, 64));
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
    size_t member = 0;  // the key's place in the line
    for (auto field_result : obj) {
      od::field field;
      if ((e = std::move(field_result).get(field))) return fail(e, "a member");
      // The key as written when it holds no escape (a view of the line), else unescaped into
      // the parser's buffer; either stays valid until the next line.
      std::string_view key;
      const char* key_at = reinterpret_cast<const char*>(field.key().raw());
      const char* line_end = line.data() + line.size();
      const char* close = StringStop(key_at, line_end);
      if (close != line_end && *close == '"') {
        key = std::string_view(key_at, static_cast<size_t>(close - key_at));
      } else if ((e = field.unescaped_key().get(key))) {
        return fail(e, "a key");
      }
      int c = GuessCell(key, member++, guesses);
      Cell* cell = c >= 0 ? &(*cells)[c] : nullptr;
      if (cell != nullptr) {
        if (cell->present) return twice(key);
      } else if (Repeated(keys, key)) {
        return twice(key);
      }
      // The value's token, as simdjson's index delimits it; scalars are checked here from their
      // exact text (no conversion), strings unescaped only when they hold an escape.
      od::value value = field.value();
      std::string_view raw = TrimRight(value.raw_json_token());
      Cell got;
      got.present = true;
      switch (raw.empty() ? '\0' : raw.front()) {
        case '"':
          if (raw.size() >= 2 && raw.back() == '"' && StringStop(raw.data() + 1, raw.data() + raw.size()) == raw.data() + raw.size() - 1) {
            got.text = raw.substr(1, raw.size() - 2);  // no escape: the bytes as written (UTF-8 checked by stage 1)
          } else {
            std::string_view text;
            if ((e = value.get_string().get(text))) return fail(e, "a string");
            if (cell != nullptr) got.text = arena->Copy(text).view();
          }
          break;
        case 't':
        case 'f':
          if (raw != "true" && raw != "false") return fail(simdjson::T_ATOM_ERROR, "a literal");
          got.text = raw;
          break;
        case 'n':
          if (raw != "null") return fail(simdjson::N_ATOM_ERROR, "a literal");
          got.is_null = true;
          break;
        case '{':
        case '[':
          if (cell != nullptr) {
            *reason = fmt::format("{}: expected a value, found a JSON {}", key, raw.front() == '[' ? "array" : "object");
            return false;
          }
          break;  // an unbound nested value is skipped (its structure is checked)
        default:
          if (!IsJsonNumber(raw)) {
            *reason = fmt::format("\"{}\": {} is not a JSON value", key, raw.substr(0, 40));
            return false;
          }
          if (cell != nullptr && raw.find_first_of("eE") != std::string_view::npos) {
            *reason = fmt::format("{}: {} has an exponent, which is not an exact amount", key, raw);
            return false;
          }
          got.text = raw;
          break;
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

  // The segments of file_ (after a byte order mark).
  Status StartSegments() {
    std::string head;
    Status st = file_.ReadAt(0, 3, &head);
    if (!st.ok()) return st;
    segments_.Init(&file_, head == "\xEF\xBB\xBF" ? 3 : 0, /*quotes=*/false, kSegmentBytes, max_record_bytes_, 1);
    return Status::Ok();
  }

  const ir::Layout* layout_ = nullptr;
  uint64_t max_record_bytes_ = 0;
  uint32_t chunk_rows_ = kChunkSize;
  std::mutex spare_mu_;
  std::vector<std::unique_ptr<ChunkBuffers>> spare_;
  InputFile file_;
  std::vector<FieldCodec> codecs_;
  std::unordered_map<std::string, int, KeyHash, std::equal_to<>> cell_of_;  // column -> cell
  std::vector<std::string> cell_names_;
  std::vector<int> value_cell_, currency_cell_;  // per layout field
  int id_cell_ = -1;
  int16_t cell_slots_[256] = {};  // see CellFor
  std::vector<KeyWords> cell_words_;
  uint32_t salt_ = 1;
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
