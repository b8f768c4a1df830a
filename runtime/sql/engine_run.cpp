// decree::RunOnEngine (decree/sql.h).  The rules, lowered to SQL, run inside ClickHouse and
// decide which findings exist; Decree fetches back the records of the partitions those
// findings lie in and evaluates them natively, so that totals, due dates and explanations are
// the native runtime's own, and checks that both found the same findings, row for row.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

#include "decree/atomic_file.h"
#include "decree/run.h"
#include "decree/sql.h"
#include "exec/rejects.h"
#include "exec/run_source.h"
#include "ir/ir.h"
#include "sql/ddl.h"
#include "sql/engine_session.h"
#include "sql/engine_upload.h"
#include "sql/lower.h"

namespace decree {

namespace {

using sql::EngineSession;
using sql::SqlColumn;

// Phase times on standard error under DECREE_TIMING, as decree run prints its own.
class Phases {
 public:
  void Done(const std::string& what) {
    auto now = std::chrono::steady_clock::now();
    if (on_) fmt::print(stderr, "decree timing: {:<28} {:8.3f} s\n", what, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  bool on_ = std::getenv("DECREE_TIMING") != nullptr;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// The rules run: the layout's (exemptions apart), within options.only_rules when given.
std::vector<std::string> RuleIds(const ir::Program& program, const ir::Layout& layout, const RunOptions& options) {
  std::vector<std::string> ids;
  for (const ir::Rule& r : program.rules) {
    if (r.layout != layout.name || r.kind == ir::RuleKind::kExempt) continue;
    if (!options.only_rules.empty() && std::find(options.only_rules.begin(), options.only_rules.end(), r.id) == options.only_rules.end()) continue;
    if (std::find(options.skip_rules.begin(), options.skip_rules.end(), r.id) != options.skip_rules.end()) continue;
    if (std::find(ids.begin(), ids.end(), r.id) == ids.end()) ids.push_back(r.id);
  }
  return ids;
}

// A finding as the lowered queries give it: rule, key values joined by '|', txn_ids by ','.
std::string Row(const Finding& f) {
  std::string key;
  for (size_t i = 0; i < f.key.size(); ++i) key += (i > 0 ? "|" : "") + f.key[i].second;
  std::string ids;
  for (size_t i = 0; i < f.txn_ids.size(); ++i) ids += (i > 0 ? "," : "") + f.txn_ids[i];
  return f.rule + '\t' + key + '\t' + ids;
}

// Every lowered query's findings, as rows; *ids the txn ids they name.
Status EngineFindings(sql::ClickHouse& server, const std::vector<std::string>& queries, std::vector<std::string>* rows,
                      std::vector<std::string>* ids) {
  for (const std::string& q : queries) {
    std::string answer;
    if (Status st = server.Query(q + "\nFORMAT TabSeparated", &answer); !st.ok()) return st;
    size_t at = 0;
    while (at < answer.size()) {
      size_t nl = answer.find('\n', at);
      if (nl == std::string::npos) nl = answer.size();
      std::vector<std::string> v = sql::SplitTsv(std::string_view(answer).substr(at, nl - at));
      at = nl + 1;
      if (v.size() != 3) return Status::Internal("a lowered query gave a row of " + std::to_string(v.size()) + " columns");
      for (size_t b = 0, e; b <= v[2].size(); b = e + 1) {
        e = v[2].find(',', b);
        if (e == std::string::npos) e = v[2].size();
        ids->push_back(v[2].substr(b, e - b));
      }
      rows->push_back(v[0] + '\t' + v[1] + '\t' + v[2]);
    }
  }
  return Status::Ok();
}

// Records fetched back from the engine, in input order, as CSV after the batch's header.
struct Fetched {
  std::shared_ptr<std::string> csv = std::make_shared<std::string>();
  std::vector<uint64_t> positions;  // each record's input position
  std::vector<uint64_t> offsets;    // where it starts in *csv
};

// A Memory table `table` holding `ids` on the initiator (and `table`_local on every shard when
// `everywhere`: the initiator may be a shard too).
Status IdTable(EngineSession& session, const std::string& table, const std::vector<std::string>& ids, bool everywhere = false) {
  const std::string create = fmt::format("CREATE TABLE `{}` (id String) ENGINE = Memory", table);
  const std::string insert = fmt::format("INSERT INTO `{}` FORMAT TabSeparated", table);
  std::string rows;
  for (const std::string& i : ids) {
    sql::AppendTsv(i, &rows);
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

// The lowered queries of `rules`; a rule that is not lowered is an error naming it.
Status Lower(const ir::Program& program, const SqlOptions& sql_options, std::vector<std::string>* queries) {
  std::string text;
  std::vector<std::string> refused;
  if (Status st = SqlRules(program, sql_options, &text, &refused); !st.ok()) return st;
  if (!refused.empty()) {
    return Status::NotSupported(fmt::format("not every rule runs in the engine: {}; leave such rules out with --skip-rule and run them "
                                            "natively",
                                            fmt::join(refused, "; ")));
  }
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find(";\n", at);
    if (end == std::string::npos) end = text.size();
    std::string q = text.substr(at, end - at);
    if (q.find("SELECT") != std::string::npos) queries->push_back(q);
    at = end + 2;
  }
  return Status::Ok();
}

// The rules' findings.  Shard-local when every group lies on one shard (the input is sharded
// by the key field every grouped rule keys on, or the rules are row rules): each shard runs
// every query over its local table, at the same time, and the rows are put together; else
// the initiator runs them over the Distributed table.
Status RunRules(EngineSession& session, const ir::Program& program, const SqlOptions& global, const SqlOptions& local,
                bool shard_local, std::vector<std::string>* rows, std::vector<std::string>* ids) {
  std::vector<std::string> queries;
  if (!shard_local) {
    if (Status st = Lower(program, global, &queries); !st.ok()) return st;
    return EngineFindings(session.initiator(), queries, rows, ids);
  }
  if (Status st = Lower(program, local, &queries); !st.ok()) return st;
  const size_t n = session.shard_count();
  std::vector<std::vector<std::string>> shard_rows(n), shard_ids(n);
  std::vector<Status> status(n);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] { status[i] = EngineFindings(session.shard(i), queries, &shard_rows[i], &shard_ids[i]); });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < n; ++i) {
    if (!status[i].ok()) return status[i];
    rows->insert(rows->end(), shard_rows[i].begin(), shard_rows[i].end());
    ids->insert(ids->end(), shard_ids[i].begin(), shard_ids[i].end());
  }
  return Status::Ok();
}

// The records of `input` that pass `where` ("WHERE …" or empty), after `header`.
Status Fetch(EngineSession& session, const std::string& input, const std::string& where, const std::string& header, Fetched* out) {
  *out->csv = header;
  if (!out->csv->empty() && out->csv->back() != '\n') out->csv->push_back('\n');
  std::string answer;
  Status st = session.initiator().Query(fmt::format("SELECT `{}`, `{}` FROM `{}` {} ORDER BY `{}` FORMAT TabSeparated", sql::kPosColumn,
                                                    sql::kRecordColumn, input, where, sql::kPosColumn),
                                        &answer);
  if (!st.ok()) return st;
  size_t at = 0;
  while (at < answer.size()) {
    size_t nl = answer.find('\n', at);
    if (nl == std::string::npos) nl = answer.size();
    std::vector<std::string> v = sql::SplitTsv(std::string_view(answer).substr(at, nl - at));
    at = nl + 1;
    if (v.size() != 2) return Status::Internal("the records fetched back have " + std::to_string(v.size()) + " columns");
    out->positions.push_back(std::strtoull(v[0].c_str(), nullptr, 10));
    out->offsets.push_back(out->csv->size());
    *out->csv += v[1];
    if (out->csv->back() != '\n') out->csv->push_back('\n');
  }
  return Status::Ok();
}

// The WHERE that selects every partition (the key field all grouped rules share) holding a
// record whose id is in `ids_table`: every group a finding can come from, whole.
Status PartitionWhere(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const std::string& input,
                      const std::string& ids_table, std::string* where) {
  const std::string id = layout.fields[layout.id_field].column;
  int part = ir::SharedKeyField(program, layout.name);
  if (part == ir::kNoGroupedRules) {
    *where = fmt::format("WHERE `{}` GLOBAL IN `{}`", id, ids_table);
  } else if (part >= 0 && !layout.fields[part].type.optional) {
    const std::string k = layout.fields[part].column, keys = session.Name("keys");
    Status st = session.CreateOnce(keys, fmt::format("CREATE TABLE `{}` (k String) ENGINE = Memory", keys));
    if (st.ok()) st = session.initiator().Query(fmt::format("INSERT INTO `{}` SELECT DISTINCT toString(`{}`) FROM `{}` WHERE `{}` GLOBAL IN `{}`",
                                                            keys, k, input, id, ids_table));
    if (!st.ok()) return st;
    *where = fmt::format("WHERE toString(`{}`) GLOBAL IN `{}`", k, keys);
  } else {
    where->clear();  // no key every grouped rule shares: every record
  }
  return Status::Ok();
}

// The native evaluation's rejects, at their input positions.
Status MapRejects(const RunResult& native, const Fetched& fetched, std::vector<io::Reject>* out) {
  for (const RejectedRow& r : native.rejects) {
    auto it = std::upper_bound(fetched.offsets.begin(), fetched.offsets.end(), r.order);
    if (it == fetched.offsets.begin()) return Status::Internal("a reject outside the records fetched back: " + r.reason);
    out->push_back(io::Reject{fetched.positions[static_cast<size_t>(it - fetched.offsets.begin()) - 1], 0, r.record_id, r.reason});
  }
  return Status::Ok();
}

// The engine's findings and the native evaluation's must be the same rows.
Status Agree(std::vector<std::string> engine, const std::vector<Finding>& native) {
  std::vector<std::string> ours;
  for (const Finding& f : native) ours.push_back(Row(f));
  std::sort(engine.begin(), engine.end());
  std::sort(ours.begin(), ours.end());
  if (engine == ours) return Status::Ok();
  std::vector<std::string> only_engine, only_native;
  std::set_difference(engine.begin(), engine.end(), ours.begin(), ours.end(), std::back_inserter(only_engine));
  std::set_difference(ours.begin(), ours.end(), engine.begin(), engine.end(), std::back_inserter(only_native));
  auto first = [](const std::vector<std::string>& v) { return v.empty() ? std::string("none") : "'" + v.front() + "'"; };
  return Status::Internal(fmt::format("the engine and the native evaluation disagree: {} findings from the engine, {} natively over "
                                      "the records fetched back; only from the engine: {} (first {}); only native: {} (first {})",
                                      engine.size(), ours.size(), only_engine.size(), first(only_engine), only_native.size(),
                                      first(only_native)));
}

}  // namespace

namespace {

// The native evaluation of the fetched records (findings and rejects kept in memory).
Status EvaluateNatively(const ir::Program& program, const ir::Layout& layout, const InputSpec& input, const RunOptions& options,
                        const std::vector<std::string>& rules, std::shared_ptr<std::string> csv, RunResult* out) {
  InputSpec spec;
  spec.path = input.path + " (records fetched back from the engine)";
  spec.format = InputFormat::kCsv;
  spec.max_record_bytes = input.max_record_bytes;
  spec.multiline_records = input.multiline_records;
  spec.bytes = std::move(csv);
  RunOptions sub;
  sub.layout = layout.name;
  sub.threads = options.threads;
  sub.tables = options.tables;
  sub.watch_lists = options.watch_lists;
  sub.allow_partial_lists = options.allow_partial_lists;
  sub.only_rules = rules;
  sub.memory_budget = options.memory_budget;
  sub.memory_limit = options.memory_limit;
  return Run(program, spec, sub, out);
}

// Every reject (the reader's, and the evaluation's at their input positions, each once)
// labelled and in input order; written to options.rejects_path when set.
Status Rejects(sql::Upload& upload, std::vector<io::Reject> evaluated, const RunOptions& options, RunResult* result) {
  std::vector<io::Reject> all = std::move(upload.rejects);
  std::stable_sort(evaluated.begin(), evaluated.end(), [](const io::Reject& a, const io::Reject& b) { return a.pos < b.pos; });
  for (size_t i = 0; i < evaluated.size(); ++i) {
    if (i == 0 || evaluated[i].pos != evaluated[i - 1].pos) all.push_back(std::move(evaluated[i]));
  }
  std::stable_sort(all.begin(), all.end(), [](const io::Reject& a, const io::Reject& b) { return a.pos < b.pos; });
  std::unique_ptr<io::PositionLabeler> labeler = upload.source->NewLabeler();
  std::string text;
  for (io::Reject& r : all) {
    RejectedRow row{labeler->Label(r.pos, r.last), r.pos, std::move(r.record_id), std::move(r.reason)};
    if (!options.rejects_path.empty()) {
      exec::AppendRejectJson(row, &text);
      text.push_back('\n');
    }
    if (options.rejects_path.empty() || result->rejects.size() < 100) result->rejects.push_back(std::move(row));
  }
  result->rows_rejected = all.size();
  return options.rejects_path.empty() ? Status::Ok() : WriteFileAtomically(options.rejects_path, text);
}

// The records whose rate is missing (sql::SqlMissingRates), evaluated natively: those it
// rejects go to *rejects and are left out of the rules' input (*sql_options, and the shards'
// *local_options when given, name the input table as a subquery without them).
Status MissingRates(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const InputSpec& input,
                    const RunOptions& options, const std::vector<std::string>& rules, const std::string& input_table,
                    const std::string& header, SqlOptions* sql_options, SqlOptions* local_options, std::vector<io::Reject>* rejects) {
  std::vector<std::string> queries, rows, ids;
  if (Status st = sql::SqlMissingRates(program, *sql_options, &queries); !st.ok()) return st;
  for (const std::string& q : queries) {
    std::string answer;
    if (Status st = session.initiator().Query(q + "\nFORMAT TabSeparated", &answer); !st.ok()) return st;
    for (size_t at = 0, nl; at < answer.size(); at = nl + 1) {
      nl = answer.find('\n', at);
      if (nl == std::string::npos) nl = answer.size();
      ids.push_back(sql::SplitTsv(std::string_view(answer).substr(at, nl - at))[0]);
    }
  }
  if (ids.empty()) return Status::Ok();
  const std::string suspects = session.Name("suspects"), rejected = session.Name("rejected");
  Fetched fetched;
  RunResult native;
  const std::string id = layout.fields[layout.id_field].column;
  Status st = IdTable(session, suspects, ids);
  if (st.ok()) st = Fetch(session, input_table, fmt::format("WHERE `{}` GLOBAL IN `{}`", id, suspects), header, &fetched);
  if (st.ok()) st = EvaluateNatively(program, layout, input, options, rules, fetched.csv, &native);
  if (st.ok()) st = MapRejects(native, fetched, rejects);
  if (!st.ok() || native.rejects.empty()) return st;
  std::vector<std::string> out;
  for (const RejectedRow& r : native.rejects) out.push_back(r.record_id);
  if (st = IdTable(session, rejected, out, true); !st.ok()) return st;
  const std::string name = layout.name.substr(layout.name.rfind('.') + 1);
  sql_options->table_names[name] = fmt::format("(SELECT * FROM `{}` WHERE `{}` GLOBAL NOT IN `{}`)", input_table, id, rejected);
  if (local_options != nullptr) {
    local_options->table_names[name] =
        fmt::format("(SELECT * FROM `{}` WHERE `{}` NOT IN `{}_local`)", local_options->table_names[name], id, rejected);
  }
  return Status::Ok();
}

// The run's tables in the engine: the input (local on every shard, and Distributed over them)
// and the declared tables given, on every shard, filled from their files.
Status CreateTables(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const RunOptions& options,
                    SqlOptions* sql_options, std::string* input_table) {
  const std::string name = layout.name.substr(layout.name.rfind('.') + 1);
  std::vector<SqlColumn> columns = sql::InputColumns(layout, SqlDialect::kClickHouse);
  columns.push_back({sql::kPosColumn, "UInt64", false});
  columns.push_back({sql::kRecordColumn, "String", false});
  const std::string order = layout.id_field >= 0 ? "`" + layout.fields[layout.id_field].column + "`" : "tuple()";
  *input_table = session.Name(name);
  const std::string local = session.distributed() ? session.Name(name + "_local") : *input_table;
  Status st = session.CreateEverywhere(local, sql::CreateTableSql(local, columns, order, SqlDialect::kClickHouse));
  if (!st.ok()) return st;
  if (session.distributed()) {
    int shard = ir::SharedKeyField(program, layout.name);
    std::string key = shard >= 0 ? fmt::format("cityHash64(`{}`)", layout.fields[shard].column) : "rand()";
    st = session.CreateOnce(*input_table, fmt::format("CREATE TABLE `{}` AS `{}` ENGINE = Distributed({}, {}, {}, {})", *input_table, local,
                                                      session.cluster(), session.database(), local, key));
    if (!st.ok()) return st;
  }
  sql_options->table_names[name] = *input_table;
  for (const auto& [given, path] : options.tables) {
    for (const ir::TableDecl& t : program.tables) {
      std::string tname = t.name.substr(t.name.rfind('.') + 1);
      if (given != t.name && given != tname) continue;
      std::string keys;
      std::vector<SqlColumn> cols = sql::DeclaredColumns(t, SqlDialect::kClickHouse, &keys);
      const std::string engine_name = session.Name(tname);
      st = session.CreateEverywhere(engine_name, sql::CreateTableSql(engine_name, cols, keys, SqlDialect::kClickHouse));
      if (st.ok()) st = sql::UploadTableCsv(path, cols, session, engine_name);
      if (!st.ok()) return st;
      sql_options->table_names[tname] = engine_name;
    }
  }
  return Status::Ok();
}

}  // namespace

Status RunOnEngine(const ir::Program& program, const InputSpec& input, const EngineTarget& target, const RunOptions& options,
                   RunResult* result) {
  auto started = std::chrono::steady_clock::now();
  Phases phases;
  *result = RunResult();
  const ir::Layout* layout = nullptr;
  if (Status st = exec::SelectLayout(program, options.layout, &layout); !st.ok()) return st;
  if (layout->id_field < 0) return Status::InvalidArgument(fmt::format("layout {} has no id field, which --engine needs", layout->name));
  if (!target.input_table.empty()) return Status::NotSupported("--input-table with --engine is not built yet: give the batch as a CSV file");
  for (const std::string& id : options.skip_rules) {
    if (program.FindRule(id) == nullptr) return Status::InvalidArgument(fmt::format("no rule {} to skip in the library", id));
  }
  std::vector<std::string> rules = RuleIds(program, *layout, options);
  if (rules.empty()) return Status::InvalidArgument(fmt::format("no rule of layout {} is left to run", layout->name));
  SqlOptions sql_options;
  sql_options.layout = layout->name;
  sql_options.rules = rules;
  std::vector<std::string> queries;
  if (Status st = Lower(program, sql_options, &queries); !st.ok()) return st;  // refusals first, before any work
  std::unique_ptr<EngineSession> session;
  if (Status st = EngineSession::Open(target, &session); !st.ok()) return st;
  sql_options.database = session->database();
  sql_options.cluster = session->cluster();
  std::string input_table;
  if (Status st = CreateTables(*session, program, *layout, options, &sql_options, &input_table); !st.ok()) return st;
  phases.Done("tables in the engine");
  sql::Upload upload;
  std::vector<SqlColumn> columns = sql::InputColumns(*layout, SqlDialect::kClickHouse);
  if (Status st = sql::UploadCsv(program, *layout, input, columns, session->initiator(), input_table, options.progress, &upload); !st.ok()) return st;
  phases.Done("read and upload the batch");
  // Shard-local when the input is sharded by the key every grouped rule keys on (Decree's own
  // table is: see CreateTables).
  const int part = ir::SharedKeyField(program, layout->name);
  const bool shard_local = session->distributed() && (part >= 0 || part == ir::kNoGroupedRules);
  SqlOptions local_options = sql_options;
  const std::string name = layout->name.substr(layout->name.rfind('.') + 1);
  local_options.table_names[name] = session->Name(name + "_local");
  std::vector<io::Reject> evaluated;
  Status st = MissingRates(*session, program, *layout, input, options, rules, input_table, upload.header, &sql_options,
                           shard_local ? &local_options : nullptr, &evaluated);
  std::vector<std::string> rows, ids;
  if (st.ok()) st = RunRules(*session, program, sql_options, local_options, shard_local, &rows, &ids);
  if (!st.ok()) return st;
  phases.Done(fmt::format("rules in the engine{}", shard_local ? " (shard-local)" : ""));
  Fetched fetched;
  std::string where;
  if (ids.empty()) {
    st = Fetch(*session, input_table, "WHERE 0", upload.header, &fetched);
  } else {
    const std::string found = session->Name("found");
    st = IdTable(*session, found, ids);
    if (st.ok()) st = PartitionWhere(*session, program, *layout, input_table, found, &where);
    if (st.ok()) st = Fetch(*session, input_table, where, upload.header, &fetched);
  }
  if (!st.ok()) return st;
  phases.Done(fmt::format("fetch back ({} records)", fetched.positions.size()));
  RunResult native;
  if (st = EvaluateNatively(program, *layout, input, options, rules, fetched.csv, &native); !st.ok()) return st;
  if (native.rows_read != fetched.positions.size() || native.rows_read != native.rows_evaluated + native.rows_rejected) {
    return Status::Internal(fmt::format("{} records fetched back, {} read again", fetched.positions.size(), native.rows_read));
  }
  if (st = Agree(rows, native.findings); !st.ok()) return st;
  if (st = MapRejects(native, fetched, &evaluated); !st.ok()) return st;
  phases.Done("native evaluation");
  result->layout = native.layout;
  result->input_format = "CSV";
  result->rules = native.rules;
  result->skipped_rules = native.skipped_rules;
  result->notes = native.notes;
  result->rows_read = upload.rows_read;
  result->lines_read = upload.rows_read + upload.extra_lines + upload.blank_lines;
  result->blank_lines = upload.blank_lines;
  result->multiline_rows = upload.multiline_rows;
  if (st = Rejects(upload, std::move(evaluated), options, result); !st.ok()) return st;
  result->rows_evaluated = result->rows_read - result->rows_rejected;
  result->finding_count = native.findings.size();
  if (!options.findings_path.empty()) {
    if (st = WriteFileAtomically(options.findings_path, FindingsToJsonl(native.findings)); !st.ok()) return st;
  } else if (options.on_finding) {
    for (Finding& f : native.findings) options.on_finding(std::move(f));
  } else {
    result->findings = std::move(native.findings);
  }
  phases.Done("write");
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return Status::Ok();
}

}  // namespace decree
