#include "sql/engine_batch.h"

#include <fmt/format.h>

#include <cstdlib>

#include "sql/clickhouse.h"
#include "sql/ddl.h"
#include "sql/engine_table.h"
#include "sql/engine_upload.h"

namespace decree::sql {

namespace {

// A table's rows are named by the table (and their id), not by a line.
class TableLabeler final : public io::PositionLabeler {
 public:
  explicit TableLabeler(std::string name) : name_(std::move(name)) {}
  std::string Label(uint64_t, uint64_t) override { return name_; }

 private:
  std::string name_;
};

}  // namespace

Status IdTable(EngineSession& session, const std::string& table, const std::vector<std::string>& ids, bool everywhere) {
  const std::string create = fmt::format("CREATE TABLE `{}` (id String) ENGINE = Memory", table);
  const std::string insert = fmt::format("INSERT INTO `{}` FORMAT TabSeparated", table);
  std::string rows;
  for (const std::string& i : ids) {
    AppendTsv(i, &rows);
    rows.push_back('\n');
  }
  Status st = session.CreateOnce(table, create);
  if (st.ok()) st = session.initiator().Insert(insert, rows);
  if (st.ok() && everywhere && session.distributed()) {
    const std::string local = table + "_local";
    st = session.CreateEverywhere(local, fmt::format("CREATE TABLE `{}` (id String) ENGINE = Memory", local));
    if (st.ok()) st = session.InsertEverywhere(fmt::format("INSERT INTO `{}` FORMAT TabSeparated", local), rows);
  }
  return st;
}

Status Fetch(EngineSession& session, const Batch& batch, const std::string& where, Fetched* out) {
  *out->csv = batch.header;
  if (!out->csv->empty() && out->csv->back() != '\n') out->csv->push_back('\n');
  std::string answer;
  const bool from_file = batch.record.empty();
  Status st = session.initiator().Query(fmt::format("SELECT {}{}{} FROM `{}` {} ORDER BY {} FORMAT TabSeparated", batch.pos, from_file ? "" : ", ",
                                                    batch.record, batch.table, where, batch.order),
                                        &answer);
  if (!st.ok()) return st;
  for (size_t at = 0, nl; at < answer.size(); at = nl + 1) {
    nl = answer.find('\n', at);
    if (nl == std::string::npos) nl = answer.size();
    std::vector<std::string> v = SplitTsv(std::string_view(answer).substr(at, nl - at));
    if (v.size() != (from_file ? 1u : 2u)) return Status::Internal("the records fetched back have " + std::to_string(v.size()) + " columns");
    out->positions.push_back(std::strtoull(v[0].c_str(), nullptr, 10));
    if (from_file) continue;
    out->offsets.push_back(out->csv->size());
    *out->csv += v[1];
    if (out->csv->back() != '\n') out->csv->push_back('\n');
  }
  // An uploaded file's records are read from it again, as the reader read them.
  return from_file ? ReadRecords(*batch.file, out->positions, out->csv.get(), &out->offsets) : Status::Ok();
}

Status EvaluateNatively(const ir::Program& program, const ir::Layout& layout, const Batch& batch, const InputSpec& input,
                        const RunOptions& options, const std::vector<std::string>& rules, const Fetched& fetched, RunResult* out,
                        std::function<void(Finding&&)> on_finding) {
  InputSpec spec;
  spec.path = batch.name + " (records fetched back from the engine)";
  spec.format = InputFormat::kCsv;
  spec.max_record_bytes = input.max_record_bytes;
  spec.multiline_records = batch.multiline;
  spec.bytes = fetched.csv;
  RunOptions sub = NativeOptions(layout, options, rules);
  sub.on_finding = std::move(on_finding);
  return Run(program, spec, sub, out);
}

RunOptions NativeOptions(const ir::Layout& layout, const RunOptions& options, const std::vector<std::string>& rules) {
  RunOptions sub;
  sub.layout = layout.name;
  sub.threads = options.threads;
  sub.tables = options.tables;
  sub.watch_lists = options.watch_lists;
  sub.allow_partial_lists = options.allow_partial_lists;
  sub.only_rules = rules;
  sub.memory_budget = options.memory_budget;
  sub.memory_limit = options.memory_limit;
  return sub;
}

Status MapRejects(const RunResult& native, const Fetched& fetched, std::vector<io::Reject>* out) {
  for (const RejectedRow& r : native.rejects) {
    auto it = std::upper_bound(fetched.offsets.begin(), fetched.offsets.end(), r.order);
    if (it == fetched.offsets.begin()) return Status::Internal("a reject outside the records fetched back: " + r.reason);
    out->push_back(io::Reject{fetched.positions[static_cast<size_t>(it - fetched.offsets.begin()) - 1], 0, r.record_id, r.reason});
  }
  return Status::Ok();
}

Status UploadBatch(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const InputSpec& input,
                   const RunOptions& options, Batch* out) {
  const std::string name = layout.name.substr(layout.name.rfind('.') + 1);
  std::vector<SqlColumn> columns = InputColumns(layout, SqlDialect::kClickHouse);
  std::vector<SqlColumn> stored = columns;
  stored.push_back({kPosColumn, "UInt64", false});
  stored.push_back({kRecordColumn, "String", false});
  const std::string order = "`" + layout.fields[layout.id_field].column + "`";
  out->table = session.Name(name);
  const std::string local = session.distributed() ? session.Name(name + "_local") : out->table;
  Status st = session.CreateEverywhere(local, CreateTableSql(local, stored, order, SqlDialect::kClickHouse));
  if (!st.ok()) return st;
  const int part = ir::SharedKeyField(program, layout.name);
  if (session.distributed()) {
    // Sharded by the key every grouped rule keys on: each group on one shard (shard-local plan).
    std::string key = part >= 0 ? fmt::format("cityHash64(`{}`)", layout.fields[part].column) : "rand()";
    st = session.CreateOnce(out->table, fmt::format("CREATE TABLE `{}` AS `{}` ENGINE = Distributed({}, {}, {}, {})", out->table, local,
                                                    session.cluster(), session.database(), local, key));
    if (!st.ok()) return st;
    if (part >= 0 || part == ir::kNoGroupedRules) out->local = local;
  }
  Upload upload;
  if (st = UploadInput(program, layout, input, columns, session.initiator(), out->table, options.progress, &upload); !st.ok()) return st;
  // A CSV batch's records are read again from the file; another format's, from the engine.
  out->record = upload.records ? fmt::format("`{}`", kRecordColumn) : "";
  out->pos = out->order = fmt::format("`{}`", kPosColumn);
  out->header = upload.header;
  out->name = input.path;
  out->multiline = input.multiline_records || upload.records;  // a rendered text with a line break is a value
  out->rejects = std::move(upload.rejects);
  out->format = upload.source->format_name();
  out->labeler = upload.source->NewLabeler();
  out->source = std::move(upload.source);
  out->file = std::move(upload.file);
  out->rows_read = upload.rows_read;
  out->lines_read = upload.rows_read + upload.extra_lines + upload.blank_lines;
  out->blank_lines = upload.blank_lines;
  out->multiline_rows = upload.multiline_rows;
  return Status::Ok();
}

Status TableBatch(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const std::string& table,
                  const RunOptions& options, const std::vector<std::string>& rules, Batch* out) {
  TableInput t;
  if (Status st = OpenTableInput(session, program, layout, table, &t); !st.ok()) return st;
  out->table = table;
  out->local = t.shard_local ? t.local : "";
  out->columns = t.typed;
  out->record = t.record;
  out->pos = "0";
  out->order = t.id;
  out->header = t.header;
  out->name = "table " + table;
  out->multiline = true;  // a text with a line break is a value, not a broken record
  out->format = "ClickHouse table " + table;
  out->labeler = std::make_unique<TableLabeler>(out->name);
  out->rows_read = t.rows;
  // The rows SQL suspects, read and evaluated natively: what that rejects is rejected.
  Fetched suspects;
  Status st = Fetch(session, *out, "WHERE " + t.suspect, &suspects);
  if (!st.ok() || suspects.positions.empty()) return st;
  RunResult native;
  if (st = EvaluateNatively(program, layout, *out, InputSpec(), options, rules, suspects, &native); !st.ok()) return st;
  for (RejectedRow& r : native.rejects) {
    out->excluded.push_back(r.record_id);
    out->rejects.push_back(io::Reject{0, 0, std::move(r.record_id), std::move(r.reason)});
  }
  return Status::Ok();
}

}  // namespace decree::sql
