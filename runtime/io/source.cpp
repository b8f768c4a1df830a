// The batch readers: CSV, JSON Lines, a SQLite table, and in-memory records.
#include "io/source.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "io/csv.h"
#include "io/field_parse.h"
#include "io/input_file.h"
#include "io/xml.h"
#include "common/json.h"
#include "common/sqlite_util.h"
#include "common/utf8.h"

namespace decree::io {

namespace {

constexpr size_t kSegmentBytes = 1u << 20;

// Column storage for one reader call: one buffer per layout field, and row positions.
struct ChunkBuffers {
  std::vector<exec::VecBuffer> fields;
  std::unique_ptr<uint64_t[]> pos{new uint64_t[exec::kChunkSize]};
  exec::Chunk chunk;
  exec::Arena arena;

  explicit ChunkBuffers(const std::vector<FieldCodec>& codecs) : fields(codecs.size()) {
    for (size_t f = 0; f < codecs.size(); ++f) codecs[f].InitBuffer(&fields[f]);
    chunk.columns.resize(codecs.size());
    for (size_t f = 0; f < codecs.size(); ++f) chunk.columns[f] = fields[f].vec();
    chunk.pos = pos.get();
  }
  // Keeps the row parsed at index chunk.size, read at `position`; true when the chunk is full
  // (the caller flushes it).
  bool Commit(uint64_t position) {
    pos[chunk.size] = position;
    return ++chunk.size == exec::kChunkSize;
  }
  void Flush(const ChunkFn& fn) {
    if (chunk.size > 0) fn(chunk);
    chunk.size = 0;
    arena.Reset();
  }
};

std::vector<FieldCodec> Codecs(const ir::Program& program, const ir::Layout& layout) {
  std::vector<FieldCodec> codecs;
  for (const ir::Field& f : layout.fields) codecs.emplace_back(program, f);
  return codecs;
}

// Binds layout fields to input column names; reports every missing column at once.
Status BindColumns(const ir::Layout& layout, const std::vector<std::string>& names, const std::string& what,
                   std::vector<int>* field_col, std::vector<int>* currency_col) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!index.emplace(names[i], static_cast<int>(i)).second) {
      return Status::InvalidArgument(fmt::format("{}: column \"{}\" appears twice in the header", what, names[i]));
    }
  }
  std::vector<std::string> missing;
  field_col->assign(layout.fields.size(), -1);
  currency_col->assign(layout.fields.size(), -1);
  for (size_t f = 0; f < layout.fields.size(); ++f) {
    const ir::Field& field = layout.fields[f];
    auto it = index.find(field.column);
    if (it == index.end()) {
      missing.push_back(field.column);
    } else {
      (*field_col)[f] = it->second;
    }
    if (!field.currency_column.empty()) {
      auto c = index.find(field.currency_column);
      if (c == index.end()) {
        missing.push_back(field.currency_column);
      } else {
        (*currency_col)[f] = c->second;
      }
    }
  }
  if (!missing.empty()) {
    std::sort(missing.begin(), missing.end());
    missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
    return Status::InvalidArgument(fmt::format("{}: missing column{} {} (layout {} binds columns by name)", what,
                                               missing.size() == 1 ? "" : "s", fmt::join(missing, ", "), layout.name));
  }
  return Status::Ok();
}

// ------------------------------------------------------------------------------------------

class CsvSource final : public RowSource {
 public:
  Status Init(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout) {
    program_ = &program;
    layout_ = &layout;
    Status st = file_.Open(spec.path);
    if (!st.ok()) return st;
    // The header row: read on until it is complete (a line break outside quotes) or the file ends.
    std::string head;
    size_t pos = 0;
    bool inside = false, complete = false;
    for (size_t scan = 0; !complete && head.size() < file_.size();) {
      st = file_.ReadAt(head.size(), 64 << 10, &head);
      if (!st.ok()) return st;
      for (; scan < head.size() && !complete; ++scan) {
        if (head[scan] == '"') inside = !inside;
        complete = head[scan] == '\n' && !inside;
      }
    }
    if (head.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // UTF-8 byte order mark
    if (pos >= head.size()) return Status::InvalidArgument(spec.path + ": empty input: no header row");
    std::vector<CsvField> header;
    CsvError error;
    NextCsvRecord(head.data(), head.size(), &pos, &header, &error);
    if (error != CsvError::kNone) return Status::InvalidArgument(fmt::format("{}: header row: {}", spec.path, CsvErrorText(error)));
    exec::Arena arena;
    std::vector<std::string> names;
    for (const CsvField& f : header) {
      std::string_view name = CsvText(f, &arena);
      if (!IsValidUtf8(name)) return Status::InvalidArgument(spec.path + ": header row: invalid UTF-8");
      names.emplace_back(name);
    }
    ncols_ = header.size();
    st = BindColumns(layout, names, spec.path, &field_col_, &currency_col_);
    if (!st.ok()) return st;
    key_col_ = layout.id_field >= 0 ? field_col_[layout.id_field] : -1;
    codecs_ = Codecs(program, layout);
    segments_.Init(&file_, pos, /*quotes=*/true, kSegmentBytes);
    return Status::Ok();
  }

  size_t segment_count() const override { return segments_.count(); }
  uint64_t total_bytes() const override { return file_.size(); }
  std::string format_name() const override { return "CSV"; }
  Status CheckUnchanged() const override { return file_.CheckUnchanged(); }

  std::vector<std::string> Labels(const std::vector<uint64_t>& positions) const override {
    return LineLabels(file_, positions, 1);  // the header is line 1
  }

  Status ReadSegment(size_t segment, const ChunkFn& on_chunk, SegmentResult* result) override {
    thread_local std::string data;  // this thread's segment buffer, reused
    uint64_t begin, end;
    Status st = segments_.Read(segment, &data, &begin, &end);
    if (!st.ok()) return st;
    // Valid UTF-8 as a whole means valid in every field (fields split at ASCII bytes); only a
    // segment that is not has its text fields checked one by one, to name the bad one.
    const bool utf8_checked = IsValidUtf8(data);
    ChunkBuffers buf(codecs_);
    std::vector<CsvField> fields;
    fields.reserve(ncols_ + 1);
    std::string reason;
    uint64_t pos = begin, reported = begin;  // file offsets
    CsvScanner scanner(data.data(), 0, data.size());
    while (!scanner.done()) {
      uint64_t start = begin + scanner.pos();
      CsvError error;
      scanner.Next(&fields, &error);
      pos = begin + scanner.pos();
      if (error == CsvError::kNone && fields.size() == 1 && fields[0].size == 0 && ncols_ > 1) continue;  // blank line
      ++result->rows_read;
      if (error != CsvError::kNone) {
        result->rejects.push_back(Reject{start, RecordId(fields, &buf.arena), CsvErrorText(error)});
        continue;
      }
      if (fields.size() != ncols_) {
        result->rejects.push_back(Reject{start, RecordId(fields, &buf.arena),
                                         fmt::format("expected {} fields, found {}", ncols_, fields.size())});
        continue;
      }
      uint32_t row = buf.chunk.size;
      bool ok = true;
      for (size_t f = 0; f < codecs_.size(); ++f) {
        std::string_view text = CsvText(fields[field_col_[f]], &buf.arena);
        std::string_view cur = currency_col_[f] >= 0 ? CsvText(fields[currency_col_[f]], &buf.arena) : std::string_view();
        if (!codecs_[f].Parse(text, cur, false, buf.chunk.columns[f], row, &reason, utf8_checked)) {
          result->rejects.push_back(Reject{start, RecordId(fields, &buf.arena), reason});
          ok = false;
          break;
        }
      }
      if (!ok) continue;
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
  std::string RecordId(const std::vector<CsvField>& fields, exec::Arena* arena) const {
    if (key_col_ < 0 || static_cast<size_t>(key_col_) >= fields.size()) return std::string();
    std::string_view id = CsvText(fields[key_col_], arena);
    if (id.size() > 256 || !IsValidUtf8(id)) return std::string();
    return std::string(id);
  }

  const ir::Program* program_ = nullptr;
  const ir::Layout* layout_ = nullptr;
  InputFile file_;
  std::vector<FieldCodec> codecs_;
  std::vector<int> field_col_, currency_col_;
  size_t ncols_ = 0;
  int key_col_ = -1;
  SegmentReader segments_;
};

// ------------------------------------------------------------------------------------------

class JsonlSource final : public RowSource {
 public:
  Status Init(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout) {
    layout_ = &layout;
    Status st = file_.Open(spec.path);
    if (!st.ok()) return st;
    codecs_ = Codecs(program, layout);
    std::string head;
    st = file_.ReadAt(0, 3, &head);
    if (!st.ok()) return st;
    segments_.Init(&file_, head == "\xEF\xBB\xBF" ? 3 : 0, /*quotes=*/false, kSegmentBytes);
    return Status::Ok();
  }

  size_t segment_count() const override { return segments_.count(); }
  uint64_t total_bytes() const override { return file_.size(); }
  std::string format_name() const override { return "JSON Lines"; }
  Status CheckUnchanged() const override { return file_.CheckUnchanged(); }
  std::vector<std::string> Labels(const std::vector<uint64_t>& positions) const override {
    return LineLabels(file_, positions, 1);  // no header: records start on line 1
  }

  Status ReadSegment(size_t segment, const ChunkFn& on_chunk, SegmentResult* result) override {
    thread_local std::string segment_data;  // this thread's segment buffer, reused
    uint64_t begin, end;
    Status read = segments_.Read(segment, &segment_data, &begin, &end);
    if (!read.ok()) return read;
    std::string_view data = segment_data;
    ChunkBuffers buf(codecs_);
    std::string reason;
    std::vector<std::string> scratch(codecs_.size());
    std::vector<std::string> cur_scratch(codecs_.size());
    size_t at = 0;  // in data; file offset begin + at
    uint64_t pos = begin, reported = begin;
    while (at < data.size()) {
      uint64_t start = begin + at;
      const void* nl = std::memchr(data.data() + at, '\n', data.size() - at);
      size_t line_end = nl == nullptr ? data.size() : static_cast<size_t>(static_cast<const char*>(nl) - data.data());
      std::string_view line = data.substr(at, line_end - at);
      at = line_end + 1;
      pos = begin + std::min(at, data.size());
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank line
      ++result->rows_read;
      JsonValue obj;
      size_t off;
      std::string err;
      if (!ParseJson(line, &obj, &off, &err)) {
        result->rejects.push_back(Reject{start, "", fmt::format("invalid JSON at byte {} of the line: {}", off + 1, err)});
        continue;
      }
      if (obj.kind != JsonValue::Kind::kObject) {
        result->rejects.push_back(Reject{start, "", "a JSON Lines record must be an object"});
        continue;
      }
      std::string id;
      if (layout_->id_field >= 0) {
        const JsonValue* v = obj.Get(layout_->fields[layout_->id_field].column);
        if (v != nullptr && v->kind == JsonValue::Kind::kString) id = v->text;
      }
      uint32_t row = buf.chunk.size;
      bool ok = true;
      for (size_t f = 0; f < codecs_.size() && ok; ++f) {
        const ir::Field& field = layout_->fields[f];
        const JsonValue* v = obj.Get(field.column);
        if (v == nullptr) {
          result->rejects.push_back(Reject{start, id, fmt::format("{}: missing", field.column)});
          ok = false;
          break;
        }
        bool is_null = v->kind == JsonValue::Kind::kNull;
        if (v->kind == JsonValue::Kind::kArray || v->kind == JsonValue::Kind::kObject) {
          result->rejects.push_back(Reject{start, id, fmt::format("{}: expected a value, found a JSON {}", field.column,
                                                                   v->kind == JsonValue::Kind::kArray ? "array" : "object")});
          ok = false;
          break;
        }
        if (v->kind == JsonValue::Kind::kNumber && field.type.kind == ir::TypeKind::kMoney &&
            v->text.find_first_of("eE") != std::string::npos) {
          result->rejects.push_back(Reject{start, id, fmt::format("{}: exponent notation is not an exact amount", field.column)});
          ok = false;
          break;
        }
        scratch[f] = v->kind == JsonValue::Kind::kBool ? (v->b ? "true" : "false") : v->text;
        std::string_view cur;
        if (!field.currency_column.empty()) {
          const JsonValue* c = obj.Get(field.currency_column);
          cur_scratch[f] = c != nullptr && c->kind == JsonValue::Kind::kString ? c->text : "";
          cur = cur_scratch[f];
        }
        std::string_view text = buf.arena.Copy(scratch[f]).view();
        if (!codecs_[f].Parse(text, cur, is_null, buf.chunk.columns[f], row, &reason)) {
          result->rejects.push_back(Reject{start, id, reason});
          ok = false;
        }
      }
      if (!ok) continue;
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
  const ir::Layout* layout_ = nullptr;
  InputFile file_;
  std::vector<FieldCodec> codecs_;
  SegmentReader segments_;
};

// ------------------------------------------------------------------------------------------

class SqliteSource final : public RowSource {
 public:
  Status Init(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout) {
    layout_ = &layout;
    path_ = spec.path;
    Status st = db_.Open(spec.path, SQLITE_OPEN_READONLY);
    if (!st.ok()) return st;
    table_ = spec.sqlite_table;
    if (table_.empty()) {
      std::string shortname = layout.name.substr(layout.name.rfind('.') + 1);
      for (std::string candidate : {shortname, std::string("transactions")}) {
        SqliteStmt s;
        if (s.Prepare(db_.get(), "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?").ok()) {
          s.BindText(1, candidate);
          if (s.Step() == SQLITE_ROW) {
            table_ = candidate;
            break;
          }
        }
      }
      if (table_.empty()) {
        return Status::InvalidArgument(fmt::format("{}: no table '{}' or 'transactions'; name one with --input-table", path_, shortname));
      }
    }
    SqliteStmt info;
    st = info.Prepare(db_.get(), "SELECT name FROM pragma_table_info(?)");
    if (!st.ok()) return Status::InvalidArgument(fmt::format("{}: {}", path_, st.message()));
    info.BindText(1, table_);
    std::vector<std::string> names;
    while (info.Step() == SQLITE_ROW) names.push_back(info.Text(0));
    if (names.empty()) return Status::InvalidArgument(fmt::format("{}: no table '{}'", path_, table_));
    st = BindColumns(layout, names, fmt::format("{} table {}", path_, table_), &field_col_, &currency_col_);
    if (!st.ok()) return st;
    codecs_ = Codecs(program, layout);
    std::string sql = "SELECT rowid";
    for (const std::string& n : names) sql += ", \"" + Quote(n) + "\"";
    sql += " FROM \"" + Quote(table_) + "\" ORDER BY rowid";
    ncols_ = names.size();
    st = stmt_.Prepare(db_.get(), sql);
    if (!st.ok()) return Status::InvalidArgument(fmt::format("{}: {}", path_, st.message()));
    SqliteStmt count;
    if (count.Prepare(db_.get(), "SELECT count(*) FROM \"" + Quote(table_) + "\"").ok() && count.Step() == SQLITE_ROW) {
      rows_ = static_cast<uint64_t>(count.Int(0));
    }
    return Status::Ok();
  }

  size_t segment_count() const override { return 1; }
  uint64_t total_bytes() const override { return rows_; }
  std::string format_name() const override { return "SQLite table " + table_; }
  std::vector<std::string> Labels(const std::vector<uint64_t>& positions) const override {
    std::vector<std::string> out;
    for (uint64_t p : positions) out.push_back(fmt::format("rowid {}", p));
    return out;
  }

  Status ReadSegment(size_t, const ChunkFn& on_chunk, SegmentResult* result) override {
    ChunkBuffers buf(codecs_);
    std::string reason;
    std::vector<std::string> text(ncols_ + 1);
    std::vector<bool> null(ncols_ + 1);
    int rc;
    while ((rc = stmt_.Step()) == SQLITE_ROW) {
      ++result->rows_read;
      uint64_t rowid = static_cast<uint64_t>(stmt_.Int(0));
      std::string problem;
      for (size_t c = 0; c < ncols_; ++c) {
        int type = sqlite3_column_type(stmt_.get(), static_cast<int>(c + 1));
        null[c] = type == SQLITE_NULL;
        text[c] = null[c] ? std::string() : stmt_.Text(static_cast<int>(c + 1));
        if (type == SQLITE_FLOAT || type == SQLITE_BLOB) null[c] = false;
        if (type == SQLITE_BLOB) text[c].clear();
      }
      std::string id;
      if (layout_->id_field >= 0) id = text[field_col_[layout_->id_field]];
      uint32_t row = buf.chunk.size;
      bool ok = true;
      for (size_t f = 0; f < codecs_.size() && ok; ++f) {
        int col = field_col_[f];
        int type = sqlite3_column_type(stmt_.get(), col + 1);
        const ir::Field& field = layout_->fields[f];
        if (type == SQLITE_FLOAT && exec::PhysicalType(field.type.kind) == exec::PType::kI128) {
          result->rejects.push_back(Reject{rowid, id, fmt::format("{}: a floating-point value is not exact; store amounts as TEXT or INTEGER", field.column)});
          ok = false;
          break;
        }
        std::string value = text[col];
        if (field.type.kind == ir::TypeKind::kBool && type == SQLITE_INTEGER) value = value == "0" ? "false" : value == "1" ? "true" : value;
        std::string_view cur = currency_col_[f] >= 0 ? std::string_view(text[currency_col_[f]]) : std::string_view();
        std::string_view stored = buf.arena.Copy(value).view();
        if (!codecs_[f].Parse(stored, cur, null[col], buf.chunk.columns[f], row, &reason)) {
          result->rejects.push_back(Reject{rowid, id, reason});
          ok = false;
        }
      }
      if (!ok) continue;
      if (buf.Commit(rowid)) {
        buf.Flush(on_chunk);
        bytes_done_.fetch_add(exec::kChunkSize, std::memory_order_relaxed);
      }
    }
    if (rc != SQLITE_DONE) return Status::IoError(fmt::format("{}: {}", path_, sqlite3_errmsg(db_.get())));
    bytes_done_.fetch_add(buf.chunk.size, std::memory_order_relaxed);
    buf.Flush(on_chunk);
    return Status::Ok();
  }

 private:
  static std::string Quote(const std::string& s) {
    std::string out;
    for (char c : s) {
      out.push_back(c);
      if (c == '"') out.push_back('"');
    }
    return out;
  }

  const ir::Layout* layout_ = nullptr;
  std::string path_, table_;
  SqliteDb db_;
  SqliteStmt stmt_;
  std::vector<FieldCodec> codecs_;
  std::vector<int> field_col_, currency_col_;
  size_t ncols_ = 0;
  uint64_t rows_ = 0;
};

// ------------------------------------------------------------------------------------------

// An XML filing: the document is parsed whole (filings are small), and each element named like
// the layout's record element is a record ("a/b/record": one whose parent is b, in a).  A
// field's column is looked up on the record, then on each ancestor in turn: an attribute of
// that name, or a child element whose path (steps separated by '/') leads there; names compare
// by their local part.  So a transaction record reads its own <amount> and its report's
// <report_id> alike; "../SeqNum" starts at the parent.  An absent element is null (a
// non-optional field rejects the record as missing); an empty one is empty text.  A record's
// position is the line of its start tag.
class XmlSource final : public RowSource {
 public:
  Status Init(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout) {
    layout_ = &layout;
    path_ = spec.path;
    if (layout.record.empty()) {
      return Status::InvalidArgument(fmt::format("{}: layout {} reads no XML (declare it `from xml \"<record element>\"`)", path_,
                                                 layout.name));
    }
    Status st = file_.Open(spec.path);
    if (!st.ok()) return st;
    std::string text;
    if (!(st = file_.ReadAt(0, static_cast<size_t>(file_.size()), &text)).ok()) return st;
    if (!IsValidUtf8(text)) return Status::InvalidArgument(path_ + ": invalid UTF-8");
    if (!(st = ParseXmlDocument(text, &doc_)).ok()) return Status::InvalidArgument(fmt::format("{}: {}", path_, st.message()));
    // "lvtr_report/finding/transaction": the element's name and its nearest ancestors' names.
    std::vector<std::string_view> path = Steps(layout.record);
    for (size_t i = 0; i < doc_.size(); ++i) {
      int n = static_cast<int>(i);
      size_t k = path.size();
      while (k > 0 && n >= 0 && XmlLocalName(doc_[n].name) == path[k - 1]) {
        --k;
        n = doc_[n].parent;
      }
      if (k == 0) records_.push_back(static_cast<int>(i));
    }
    codecs_ = Codecs(program, layout);
    return Status::Ok();
  }

  size_t segment_count() const override { return 1; }
  uint64_t total_bytes() const override { return records_.size(); }  // progress counts records
  std::string format_name() const override { return "XML"; }
  Status CheckUnchanged() const override { return file_.CheckUnchanged(); }
  std::vector<std::string> Labels(const std::vector<uint64_t>& positions) const override {
    std::vector<std::string> out;
    for (uint64_t p : positions) out.push_back(fmt::format("line {}", p));
    return out;
  }

  Status ReadSegment(size_t, const ChunkFn& on_chunk, SegmentResult* result) override {
    ChunkBuffers buf(codecs_);
    std::string reason;
    for (int r : records_) {
      ++result->rows_read;
      uint64_t line = doc_[r].line;
      const std::string* idv = layout_->id_field >= 0 ? Resolve(r, layout_->fields[layout_->id_field].column) : nullptr;
      std::string id = idv != nullptr ? Trimmed(*idv) : "";
      uint32_t row = buf.chunk.size;
      bool ok = true;
      for (size_t f = 0; f < codecs_.size() && ok; ++f) {
        const ir::Field& field = layout_->fields[f];
        const std::string* v = Resolve(r, field.column);
        std::string_view cur;
        std::string cur_text;
        if (!field.currency_column.empty()) {
          const std::string* c = Resolve(r, field.currency_column);
          if (c != nullptr) cur_text = Trimmed(*c);
          cur = cur_text;
        }
        std::string_view text = v != nullptr ? buf.arena.Copy(Trimmed(*v)).view() : std::string_view();
        if (v == nullptr && !field.type.optional) {
          result->rejects.push_back(Reject{line, id, fmt::format("{}: missing", field.column)});
          ok = false;
        } else if (!codecs_[f].Parse(text, cur, v == nullptr, buf.chunk.columns[f], row, &reason)) {
          result->rejects.push_back(Reject{line, id, reason});
          ok = false;
        }
      }
      if (ok && buf.Commit(line)) buf.Flush(on_chunk);
      bytes_done_.fetch_add(1, std::memory_order_relaxed);
    }
    buf.Flush(on_chunk);
    return Status::Ok();
  }

 private:
  static std::string Trimmed(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
  }

  static std::vector<std::string_view> Steps(std::string_view path) {
    std::vector<std::string_view> steps;
    for (size_t start = 0;;) {
      size_t slash = path.find('/', start);
      steps.push_back(XmlLocalName(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start)));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return steps;
  }

  // The value `column` names for record element r (see the class comment), or null.  Each
  // leading "../" starts the lookup one ancestor higher.
  const std::string* Resolve(int r, const std::string& column) const {
    std::string_view rest = column;
    while (rest.starts_with("../") && r >= 0) {
      rest.remove_prefix(3);
      r = doc_[r].parent;
    }
    std::vector<std::string_view> steps = Steps(rest);
    for (int n = r; n >= 0; n = doc_[n].parent) {
      if (steps.size() == 1) {
        for (const auto& [name, value] : doc_[n].attributes) {
          if (XmlLocalName(name) == steps[0]) return &value;
        }
      }
      int at = n;
      for (std::string_view step : steps) {
        int next = -1;
        for (int c : doc_[at].children) {
          if (XmlLocalName(doc_[c].name) == step) {
            next = c;
            break;
          }
        }
        at = next;
        if (at < 0) break;
      }
      if (at >= 0) return &doc_[at].text;
    }
    return nullptr;
  }

  const ir::Layout* layout_ = nullptr;
  std::string path_;
  InputFile file_;
  std::vector<XmlElement> doc_;
  std::vector<int> records_;
  std::vector<FieldCodec> codecs_;
};

// ------------------------------------------------------------------------------------------

class ValueSource final : public RowSource {
 public:
  ValueSource(const ir::Program& program, const ir::Layout& layout, std::vector<std::vector<ir::Value>> records)
      : layout_(&layout), codecs_(Codecs(program, layout)), records_(std::move(records)) {}

  size_t segment_count() const override { return 1; }
  uint64_t total_bytes() const override { return records_.size(); }
  std::string format_name() const override { return "records"; }
  std::vector<std::string> Labels(const std::vector<uint64_t>& positions) const override {
    std::vector<std::string> out;
    for (uint64_t p : positions) out.push_back(fmt::format("record {}", p + 1));
    return out;
  }

  Status ReadSegment(size_t, const ChunkFn& on_chunk, SegmentResult* result) override {
    ChunkBuffers buf(codecs_);
    for (size_t r = 0; r < records_.size(); ++r) {
      ++result->rows_read;
      const std::vector<ir::Value>& rec = records_[r];
      uint32_t row = buf.chunk.size;
      std::string id = layout_->id_field >= 0 && !rec[layout_->id_field].null ? rec[layout_->id_field].s : "";
      bool ok = true;
      for (size_t f = 0; f < codecs_.size(); ++f) {
        const ir::Value& v = rec[f];
        const ir::Field& field = layout_->fields[f];
        if (v.null && !field.type.optional) {
          result->rejects.push_back(Reject{r, id, fmt::format("{}: missing value", field.column)});
          ok = false;
          break;
        }
        if (field.positive && !v.null &&
            ((v.kind == ir::TypeKind::kInteger && v.i <= 0) || (v.kind != ir::TypeKind::kInteger && v.m <= 0))) {
          result->rejects.push_back(Reject{r, id, fmt::format("{}: must be positive", field.column)});
          ok = false;
          break;
        }
        exec::StoreValue(v, buf.chunk.columns[f], row, &buf.arena);
      }
      if (!ok) continue;
      if (buf.Commit(r)) buf.Flush(on_chunk);
    }
    buf.Flush(on_chunk);
    return Status::Ok();
  }

 private:
  const ir::Layout* layout_;
  std::vector<FieldCodec> codecs_;
  std::vector<std::vector<ir::Value>> records_;
};

InputFormat Sniff(const std::string& path) {
  auto ends = [&](const char* ext) {
    size_t n = std::strlen(ext);
    return path.size() >= n && path.compare(path.size() - n, n, ext) == 0;
  };
  if (ends(".csv")) return InputFormat::kCsv;
  if (ends(".jsonl") || ends(".ndjson")) return InputFormat::kJsonl;
  if (ends(".db") || ends(".sqlite") || ends(".sqlite3")) return InputFormat::kSqlite;
  if (ends(".xml")) return InputFormat::kXml;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return InputFormat::kCsv;
  char head[16] = {};
  size_t n = std::fread(head, 1, sizeof(head), f);
  std::fclose(f);
  if (n == 16 && std::memcmp(head, "SQLite format 3", 16) == 0) return InputFormat::kSqlite;
  size_t i = 0;
  while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\t')) ++i;
  if (i < n && head[i] == '{') return InputFormat::kJsonl;
  if (i < n && head[i] == '<') return InputFormat::kXml;
  return InputFormat::kCsv;
}

}  // namespace

Status ParseInputFormat(const std::string& name, InputFormat* out) {
  if (name == "auto") {
    *out = InputFormat::kAuto;
  } else if (name == "csv") {
    *out = InputFormat::kCsv;
  } else if (name == "jsonl") {
    *out = InputFormat::kJsonl;
  } else if (name == "sqlite") {
    *out = InputFormat::kSqlite;
  } else if (name == "xml") {
    *out = InputFormat::kXml;
  } else {
    return Status::InvalidArgument("unknown input format '" + name + "' (csv, jsonl, sqlite, xml)");
  }
  return Status::Ok();
}

Status OpenSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout,
                  std::unique_ptr<RowSource>* out) {
  InputFormat format = spec.format == InputFormat::kAuto ? (spec.path == "-" ? InputFormat::kCsv : Sniff(spec.path))
                                                         : spec.format;
  Status st;
  switch (format) {
    case InputFormat::kJsonl: {
      auto s = std::make_unique<JsonlSource>();
      st = s->Init(spec, program, layout);
      *out = std::move(s);
      break;
    }
    case InputFormat::kXml: {
      auto s = std::make_unique<XmlSource>();
      st = s->Init(spec, program, layout);
      *out = std::move(s);
      break;
    }
    case InputFormat::kSqlite: {
      auto s = std::make_unique<SqliteSource>();
      st = s->Init(spec, program, layout);
      *out = std::move(s);
      break;
    }
    default: {
      auto s = std::make_unique<CsvSource>();
      st = s->Init(spec, program, layout);
      *out = std::move(s);
      break;
    }
  }
  if (!st.ok()) out->reset();
  return st;
}

Status RecordLabels(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout,
                    std::vector<std::pair<std::string, std::string>>* out) {
  std::unique_ptr<RowSource> source;
  Status st = OpenSource(spec, program, layout, &source);
  if (!st.ok()) return st;
  std::vector<std::pair<uint64_t, std::string>> rows;  // (position, id)
  for (size_t s = 0; s < source->segment_count(); ++s) {
    SegmentResult seg;
    st = source->ReadSegment(s, [&](const exec::Chunk& c) {
      for (uint32_t r = 0; r < c.size; ++r) {
        ir::Value id = layout.id_field >= 0 ? exec::SlotValue(c.columns[layout.id_field], r, layout.fields[layout.id_field].type)
                                            : ir::Value();
        rows.emplace_back(c.pos[r], id.null ? std::string() : id.s);
      }
    }, &seg);
    if (!st.ok()) return st;
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<uint64_t> positions;
  for (const auto& r : rows) positions.push_back(r.first);
  std::vector<std::string> labels = source->Labels(positions);
  for (size_t i = 0; i < rows.size(); ++i) out->emplace_back(rows[i].second, labels[i]);
  return Status::Ok();
}

std::unique_ptr<RowSource> MakeValueSource(const ir::Program& program, const ir::Layout& layout,
                                           std::vector<std::vector<ir::Value>> records) {
  return std::make_unique<ValueSource>(program, layout, std::move(records));
}

}  // namespace decree::io
