#include "sql/engine_upload.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/arena.h"
#include "common/civil.h"
#include "common/codes.h"
#include "common/decimal.h"
#include "decree/files.h"
#include "io/csv.h"
#include "io/csv_records.h"
#include "io/input_file.h"

namespace decree::sql {

namespace {

constexpr size_t kBlockRows = 50000;  // records per INSERT

// For each column, its field in the CSV header (an error names a missing one).
Status MapColumns(const std::vector<std::string>& names, const std::vector<SqlColumn>& columns, const std::string& path,
                  std::vector<size_t>* at) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < names.size(); ++i) index.emplace(names[i], i);
  for (const SqlColumn& c : columns) {
    auto it = index.find(c.name);
    if (it == index.end()) return Status::InvalidArgument(fmt::format("{}: no column {}", path, c.name));
    at->push_back(it->second);
  }
  return Status::Ok();
}

void AppendValue(std::string_view text, const SqlColumn& c, std::string* out) {
  if (text.empty() && c.optional) {
    *out += "\\N";
  } else {
    AppendTsv(text, out);
  }
}

std::string InsertInto(const std::string& table, const std::vector<SqlColumn>& columns, bool with_pos) {
  std::string cols;
  for (const SqlColumn& c : columns) cols += (cols.empty() ? "`" : ", `") + c.name + "`";
  if (with_pos) cols += fmt::format(", `{}`, `{}`", kPosColumn, kRecordColumn);
  return fmt::format("INSERT INTO `{}` ({}) FORMAT TabSeparated", table, cols);
}

// The native reader over every segment, each chunk of accepted records to `on_chunk`: the
// reader's counts and rejects (in input order) into *out, progress as it goes.
Status ReadSegments(io::RowSource& source, const io::ChunkFn& on_chunk, const std::function<void(const RunProgress&)>& progress,
                    Upload* out) {
  for (size_t s = 0; s < source.segment_count(); ++s) {
    io::SegmentResult seg;
    if (Status st = source.ReadSegment(s, on_chunk, &seg); !st.ok()) return st;
    out->rows_read += seg.rows_read;
    out->blank_lines += seg.blank_lines;
    out->multiline_rows += seg.multiline_rows;
    out->extra_lines += seg.extra_lines;
    std::move(seg.rejects.begin(), seg.rejects.end(), std::back_inserter(out->rejects));
    if (progress) progress(RunProgress{source.bytes_done(), source.total_bytes(), out->rows_read});
  }
  std::stable_sort(out->rejects.begin(), out->rejects.end(), [](const io::Reject& a, const io::Reject& b) { return a.pos < b.pos; });
  return source.CheckUnchanged();
}

// A field's value at `row` as the CSV text the native reader reads back as that value ("" for
// null); a money field's currency into *currency.
void ValueText(const ir::Program& program, const ir::Field& f, const Vec& v, uint32_t row, std::string* out, std::string* currency) {
  using ir::TypeKind;
  out->clear();
  const size_t r = v.at(row);
  if (!v.IsValid(row)) {
    if (currency != nullptr) currency->clear();
    return;
  }
  switch (f.type.kind) {
    case TypeKind::kText:
    case TypeKind::kId:
    case TypeKind::kCountry: out->assign(v.s[r].view()); break;
    case TypeKind::kEnum: out->assign(program.enums[f.type.ref].values[static_cast<size_t>(v.i[r])]); break;
    case TypeKind::kBool: out->assign(v.b[r] ? "true" : "false"); break;
    case TypeKind::kInteger: *out = std::to_string(v.i[r]); break;
    case TypeKind::kDuration: *out = std::to_string(v.i[r] / 1000000); break;
    case TypeKind::kDecimal:
    case TypeKind::kRate: *out = FormatDecimalTrimmed(v.m[r], v.scale, 0); break;
    case TypeKind::kMoney:
      *out = FormatDecimalTrimmed(v.m[r], v.scale, 0);
      if (currency != nullptr) currency->assign(CurrencyCode(v.cur[r]));
      break;
    case TypeKind::kCurrency: out->assign(CurrencyCode(static_cast<CurrencyId>(v.i[r]))); break;
    case TypeKind::kDate: *out = FormatDate(static_cast<int32_t>(v.i[r])); break;
    case TypeKind::kTimestamp: *out = FormatTimestamp(v.i[r], 0); break;
    default: break;
  }
}

void AppendCsvField(std::string_view text, std::string* out) {
  out->push_back('"');
  for (char c : text) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// A batch that is not CSV: read once, each accepted record's values written as text, to the
// engine's columns and as a CSV record.
Status UploadRendered(const ir::Program& program, const ir::Layout& layout, const std::vector<SqlColumn>& columns, ClickHouse& engine,
                      const std::string& table, const std::function<void(const RunProgress&)>& progress, Upload* out) {
  out->records = true;
  std::map<std::string, std::pair<size_t, bool>> source_of;  // column -> (field, its currency column)
  for (size_t f = 0; f < layout.fields.size(); ++f) {
    source_of.emplace(layout.fields[f].column, std::make_pair(f, false));
    if (!layout.fields[f].currency_column.empty()) source_of.emplace(layout.fields[f].currency_column, std::make_pair(f, true));
  }
  for (const SqlColumn& c : columns) out->header += (out->header.empty() ? "" : ",") + c.name;
  out->header += "\n";
  const std::string insert = InsertInto(table, columns, true);
  std::string rows, record, text, currency;
  std::vector<std::string> values(columns.size());
  Status failed;
  auto flush = [&]() {
    if (failed.ok() && !rows.empty()) failed = engine.Insert(insert, rows);
    rows.clear();
  };
  Status st = ReadSegments(*out->source, [&](const Chunk& c) {
    for (uint32_t row = 0; row < c.size; ++row) {
      record.clear();
      for (size_t k = 0; k < columns.size(); ++k) {
        auto [f, is_currency] = source_of.at(columns[k].name);
        ValueText(program, layout.fields[f], c.columns[f], row, &text, &currency);
        values[k] = is_currency ? currency : text;
        if (k > 0) record.push_back(',');
        if (!values[k].empty()) AppendCsvField(values[k], &record);
      }
      for (size_t k = 0; k < columns.size(); ++k) {
        AppendValue(values[k], columns[k], &rows);
        rows.push_back('\t');
      }
      rows += std::to_string(c.pos[row]);
      rows.push_back('\t');
      AppendTsv(record, &rows);
      rows.push_back('\n');
    }
    if (rows.size() > (size_t{32} << 20)) flush();
  }, progress, out);
  if (!st.ok()) return st;
  flush();
  return failed;
}

}  // namespace

Status UploadInput(const ir::Program& program, const ir::Layout& layout, const InputSpec& input, const std::vector<SqlColumn>& columns,
                   ClickHouse& engine, const std::string& table, const std::function<void(const RunProgress&)>& progress, Upload* out) {
  if (input.path == "-" || input.bytes != nullptr) return Status::NotSupported("--engine reads the batch from a file, not standard input");
  if (Status st = io::OpenSource(input, program, layout, &out->source); !st.ok()) return st;
  if (out->source->format_name() != "CSV") return UploadRendered(program, layout, columns, engine, table, progress, out);
  std::vector<uint64_t> accepted;  // positions, in order
  Status read = ReadSegments(*out->source, [&](const Chunk& c) { accepted.insert(accepted.end(), c.pos, c.pos + c.size); }, progress, out);
  if (!read.ok()) return read;
  std::sort(accepted.begin(), accepted.end());
  out->file = std::make_unique<io::InputFile>();
  io::InputFile& file = *out->file;
  if (Status st = file.Open(input.path, input.max_record_bytes); !st.ok()) return st;
  std::vector<std::string> names;
  size_t start = 0;
  if (Status st = io::ReadCsvHeader(file, input.path, input.max_record_bytes, &names, &start); !st.ok()) return st;
  if (Status st = file.ReadAt(0, start, &out->header); !st.ok()) return st;
  std::vector<size_t> at;
  if (Status st = MapColumns(names, columns, input.path, &at); !st.ok()) return st;
  const std::string insert = InsertInto(table, columns, true);
  std::string data, rows;
  std::vector<io::CsvField> fields;
  Arena arena;
  for (size_t b = 0; b < accepted.size(); b += kBlockRows) {
    size_t e = std::min(accepted.size(), b + kBlockRows);
    uint64_t from = accepted[b], to = e < accepted.size() ? accepted[e] : file.size();
    data.clear();
    if (Status st = file.ReadAt(from, static_cast<size_t>(to - from), &data); !st.ok()) return st;
    rows.clear();
    for (size_t i = b; i < e; ++i) {
      size_t off = static_cast<size_t>(accepted[i] - from);
      io::CsvScanner scanner(data.data(), off, data.size());
      io::CsvError error = io::CsvError::kNone;
      scanner.Next(&fields, &error);
      if (error != io::CsvError::kNone || fields.size() != names.size()) {
        return Status::Internal(fmt::format("{}: the record at byte {} read differently the second time", input.path, accepted[i]));
      }
      arena.Reset();
      for (size_t c = 0; c < columns.size(); ++c) {
        AppendValue(io::CsvText(fields[at[c]], &arena), columns[c], &rows);
        rows.push_back('\t');
      }
      rows += std::to_string(accepted[i]);
      rows += "\t\n";
    }
    if (Status st = engine.Insert(insert, rows); !st.ok()) return st;
  }
  return Status::Ok();
}

Status ReadRecords(const io::InputFile& file, const std::vector<uint64_t>& positions, std::string* csv, std::vector<uint64_t>* offsets) {
  std::string block;
  uint64_t base = 0;
  std::vector<io::CsvField> fields;
  for (uint64_t pos : positions) {
    for (size_t want = size_t{1} << 20;; want *= 2) {
      if (pos < base || pos >= base + block.size()) {
        block.clear();
        base = pos;
        if (Status st = file.ReadAt(pos, want, &block); !st.ok()) return st;
      }
      io::CsvScanner scanner(block.data(), static_cast<size_t>(pos - base), block.size());
      io::CsvError error = io::CsvError::kNone;
      scanner.Next(&fields, &error);
      // A record that reaches the block's end may go on past it: read again, more.
      if (scanner.pos() == block.size() && base + block.size() < file.size()) {
        block.clear();
        if (want > (uint64_t{1} << 34)) return Status::Internal("a record past 16 GB");
        continue;
      }
      offsets->push_back(csv->size());
      csv->append(block, static_cast<size_t>(pos - base), scanner.pos() - static_cast<size_t>(pos - base));
      if (csv->back() != '\n') csv->push_back('\n');
      break;
    }
  }
  return file.CheckUnchanged();
}

Status UploadTableCsv(const std::string& path, const std::vector<SqlColumn>& columns, EngineSession& session, const std::string& table) {
  std::string text;
  if (Status st = ReadWholeFile(path, uint64_t{4} << 30, &text, "table"); !st.ok()) return st;
  io::CsvRecords records(text, path);
  std::vector<std::string_view> fields;
  Status error;
  if (!records.Next(&fields, &error)) return error.ok() ? Status::InvalidArgument(path + ": empty table file") : error;
  std::vector<std::string> names(fields.begin(), fields.end());
  if (!names.empty() && names[0].rfind("\xEF\xBB\xBF", 0) == 0) names[0].erase(0, 3);
  std::vector<size_t> at;
  if (Status st = MapColumns(names, columns, path, &at); !st.ok()) return st;
  std::string rows;
  while (records.Next(&fields, &error)) {
    if (fields.size() != names.size()) return Status::InvalidArgument(fmt::format("{}: expected {} fields", records.Where(), names.size()));
    for (size_t c = 0; c < columns.size(); ++c) {
      AppendValue(fields[at[c]], columns[c], &rows);
      rows.push_back(c + 1 < columns.size() ? '\t' : '\n');
    }
  }
  if (!error.ok()) return error;
  return session.InsertEverywhere(InsertInto(table, columns, false), rows);
}

}  // namespace decree::sql
