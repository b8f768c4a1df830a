// The SQLite batch reader: one table (or view) of a database, columns bound by name, read in
// rowid order.  Every storage class is read by the layout's type: TEXT and BLOB as text (a
// BLOB must be valid UTF-8), INTEGER as its digits (0/1 for booleans), REAL only where a
// number may be inexact — nowhere: a REAL in any field rejects the row, naming the column.
#include <fmt/format.h>
#include <sqlite3.h>

#include "common/sqlite_util.h"
#include "common/utf8.h"
#include "io/reader_support.h"

namespace decree::io {

namespace {

std::string Quote(const std::string& s) {
  std::string out;
  for (char c : s) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  return out;
}

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
        return Status::InvalidArgument(fmt::format("{}: no table '{}' or 'transactions'; name the table to read", path_, shortname));
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
    names_ = names;
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
  std::unique_ptr<PositionLabeler> NewLabeler() const override { return std::make_unique<CountLabeler>("rowid", 0); }

  Status ReadSegment(size_t, const ChunkFn& on_chunk, SegmentResult* result) override {
    ChunkBuffers buf(codecs_);
    std::string reason;
    int rc;
    while ((rc = stmt_.Step()) == SQLITE_ROW) {
      ++result->rows_read;
      uint64_t rowid = static_cast<uint64_t>(stmt_.Int(0));
      std::string id;
      if (layout_->id_field >= 0) {
        std::string_view v;
        if (ColumnText(field_col_[layout_->id_field], ir::TypeKind::kId, &buf.arena, &v, &reason) == Cell::kText && IsValidUtf8(v)) {
          id = std::string(v.substr(0, 256));
        }
      }
      uint32_t row = buf.chunk.size;
      bool ok = true;
      for (size_t f = 0; f < codecs_.size() && ok; ++f) {
        const ir::Field& field = layout_->fields[f];
        std::string_view value, cur;
        Cell cell = ColumnText(field_col_[f], field.type.kind, &buf.arena, &value, &reason);
        if (cell != Cell::kBad && currency_col_[f] >= 0 &&
            ColumnText(currency_col_[f], ir::TypeKind::kCurrency, &buf.arena, &cur, &reason) == Cell::kBad) {
          cell = Cell::kBad;
        }
        if (cell == Cell::kBad || !codecs_[f].Parse(value, cur, cell == Cell::kNull, buf.chunk.columns[f], row, &reason)) {
          result->rejects.push_back(Reject{rowid, 0, id, reason});
          ok = false;
        }
      }
      if (!ok) continue;
      if (buf.Commit(rowid)) {
        buf.Flush(on_chunk);
        bytes_done_.fetch_add(kChunkSize, std::memory_order_relaxed);
      }
    }
    if (rc != SQLITE_DONE) return Status::IoError(fmt::format("{}: {}", path_, sqlite3_errmsg(db_.get())));
    bytes_done_.fetch_add(buf.chunk.size, std::memory_order_relaxed);
    buf.Flush(on_chunk);
    return Status::Ok();
  }

 private:
  enum class Cell { kText, kNull, kBad };

  // Column `col` of the current row as the text the field codecs parse, by its storage class
  // and the field's type; kBad sets *reason.
  Cell ColumnText(int col, ir::TypeKind kind, Arena* arena, std::string_view* out, std::string* reason) {
    sqlite3_stmt* s = stmt_.get();
    const int c = col + 1;
    const std::string& name = names_[col];
    switch (sqlite3_column_type(s, c)) {
      case SQLITE_NULL: return Cell::kNull;
      case SQLITE_FLOAT:
        *reason = fmt::format("{}: stored as a floating-point number (REAL), which is not exact; store it as TEXT{}", name,
                              kind == ir::TypeKind::kMoney || kind == ir::TypeKind::kDecimal || kind == ir::TypeKind::kInteger
                                  ? " or INTEGER"
                                  : "");
        return Cell::kBad;
      case SQLITE_INTEGER: {
        int64_t v = sqlite3_column_int64(s, c);
        if (kind == ir::TypeKind::kBool) {
          if (v != 0 && v != 1) {
            *reason = fmt::format("{}: the integer {} is not a boolean (0 or 1)", name, v);
            return Cell::kBad;
          }
          *out = v != 0 ? "true" : "false";
          return Cell::kText;
        }
        if (kind == ir::TypeKind::kDate || kind == ir::TypeKind::kTimestamp) {
          *reason = fmt::format("{}: stored as the integer {}; store {} as ISO 8601 TEXT", name, v,
                                kind == ir::TypeKind::kDate ? "dates" : "timestamps with their offset");
          return Cell::kBad;
        }
        std::string text = std::to_string(v);
        *out = arena->Copy(text).view();
        return Cell::kText;
      }
      case SQLITE_BLOB: {
        const char* p = static_cast<const char*>(sqlite3_column_blob(s, c));
        std::string_view bytes(p == nullptr ? "" : p, static_cast<size_t>(sqlite3_column_bytes(s, c)));
        size_t bad;
        if (!IsValidUtf8(bytes, &bad)) {
          *reason = fmt::format("{}: stored as a BLOB that is not UTF-8 text (invalid byte at {} of {})", name, bad + 1, bytes.size());
          return Cell::kBad;
        }
        *out = arena->Copy(bytes).view();
        return Cell::kText;
      }
      default: {  // TEXT: SQLite does not check its UTF-8; the codecs do
        const char* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
        std::string_view text(p == nullptr ? "" : p, static_cast<size_t>(sqlite3_column_bytes(s, c)));
        *out = arena->Copy(text).view();
        return Cell::kText;
      }
    }
  }

  const ir::Layout* layout_ = nullptr;
  std::string path_, table_;
  SqliteDb db_;
  SqliteStmt stmt_;
  std::vector<FieldCodec> codecs_;
  std::vector<int> field_col_, currency_col_;
  std::vector<std::string> names_;
  size_t ncols_ = 0;
  uint64_t rows_ = 0;
};

}  // namespace

Status OpenSqliteSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout, std::unique_ptr<RowSource>* out) {
  auto s = std::make_unique<SqliteSource>();
  Status st = s->Init(spec, program, layout);
  if (st.ok()) *out = std::move(s);
  return st;
}

}  // namespace decree::io
