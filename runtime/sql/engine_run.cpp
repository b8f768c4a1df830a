// decree::RunOnEngine (decree/sql.h).  The rules, lowered to SQL, run inside ClickHouse and
// decide which findings exist; Decree fetches back the records of the partitions those
// findings lie in and evaluates them natively, so that totals, due dates and explanations are
// the native runtime's own, and checks that both found the same findings, row for row.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <tuple>
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
#include "sql/engine_batch.h"
#include "sql/engine_session.h"
#include "sql/engine_upload.h"
#include "sql/lower.h"

namespace decree {

namespace {

using sql::Batch;
using sql::EngineSession;
using sql::Fetched;
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
Status EngineFindings(sql::ClickHouse& server, const std::vector<std::string>& queries, const std::set<std::string>& window_rules,
                      std::vector<std::string>* rows, std::vector<std::string>* ids, std::vector<std::string>* window_ids) {
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
      std::vector<std::string>* to = window_rules.count(v[0]) != 0 ? window_ids : ids;
      for (size_t b = 0, e; b <= v[2].size(); b = e + 1) {
        e = v[2].find(',', b);
        if (e == std::string::npos) e = v[2].size();
        to->push_back(v[2].substr(b, e - b));
      }
      rows->push_back(v[0] + '\t' + v[1] + '\t' + v[2]);
    }
  }
  return Status::Ok();
}

// The lowered queries of `rules`; a rule that is not lowered is an error naming it.
// With `refused_ids`, the rules not lowered are named there instead.
Status Lower(const ir::Program& program, const SqlOptions& sql_options, std::vector<std::string>* queries,
             std::vector<std::string>* refused_ids = nullptr) {
  std::string text;
  std::vector<std::string> refused;
  if (Status st = SqlRules(program, sql_options, &text, &refused); !st.ok()) return st;
  if (refused_ids != nullptr) {
    for (const std::string& r : refused) refused_ids->push_back(r.substr(0, r.find(": ")));
  } else if (!refused.empty()) {
    return Status::NotSupported(fmt::format("not every rule runs in the engine: {}; leave such rules out with --skip-rule, or run them "
                                            "natively over the batch with --native-fallback",
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
                bool shard_local, std::vector<std::string>* rows, std::vector<std::string>* ids, std::vector<std::string>* window_ids) {
  std::set<std::string> window_rules;
  for (const ir::Rule& r : program.rules) {
    if (r.has_window) window_rules.insert(r.id);
  }
  std::vector<std::string> queries;
  if (!shard_local) {
    if (Status st = Lower(program, global, &queries); !st.ok()) return st;
    return EngineFindings(session.initiator(), queries, window_rules, rows, ids, window_ids);
  }
  if (Status st = Lower(program, local, &queries); !st.ok()) return st;
  const size_t n = session.shard_count();
  std::vector<std::vector<std::string>> shard_rows(n), shard_ids(n), shard_window_ids(n);
  std::vector<Status> status(n);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      status[i] = EngineFindings(session.shard(i), queries, window_rules, &shard_rows[i], &shard_ids[i], &shard_window_ids[i]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < n; ++i) {
    if (!status[i].ok()) return status[i];
    rows->insert(rows->end(), shard_rows[i].begin(), shard_rows[i].end());
    ids->insert(ids->end(), shard_ids[i].begin(), shard_ids[i].end());
    window_ids->insert(window_ids->end(), shard_window_ids[i].begin(), shard_window_ids[i].end());
  }
  return Status::Ok();
}

// The WHERE that selects the records every finding needs, whole: a row rule's finding its
// record, a `per` group's finding its records (they are the whole group: every record of the
// group passing the rule's guards is one of its txn_ids); a window finding every record of its
// partition (the key field every grouped rule shares; every record when there is none), since
// the other anchors of its day need their windows too.
Status FetchWhere(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const std::string& input,
                  const std::vector<std::string>& ids, const std::vector<std::string>& window_ids, std::string* where) {
  const std::string id = layout.fields[layout.id_field].column;
  std::vector<std::string> any;
  if (!ids.empty()) {
    const std::string found = session.Name("found");
    if (Status st = sql::IdTable(session, found, ids); !st.ok()) return st;
    any.push_back(fmt::format("`{}` GLOBAL IN `{}`", id, found));
  }
  if (!window_ids.empty()) {
    int part = ir::SharedKeyField(program, layout.name);
    if (part < 0 || layout.fields[part].type.optional) {
      where->clear();  // no key every grouped rule shares: every record
      return Status::Ok();
    }
    const std::string found = session.Name("found_windows"), keys = session.Name("keys"), k = layout.fields[part].column;
    Status st = sql::IdTable(session, found, window_ids);
    if (st.ok()) st = session.CreateOnce(keys, fmt::format("CREATE TABLE `{}` (k String) ENGINE = Memory", keys));
    if (st.ok()) st = session.initiator().Query(fmt::format("INSERT INTO `{}` SELECT DISTINCT toString(`{}`) FROM `{}` WHERE `{}` GLOBAL IN `{}`",
                                                            keys, k, input, id, found));
    if (!st.ok()) return st;
    any.push_back(fmt::format("toString(`{}`) GLOBAL IN `{}`", k, keys));
  }
  *where = any.empty() ? "WHERE 0" : fmt::format("WHERE {}", fmt::join(any, " OR "));
  return Status::Ok();
}

// The native findings, as the native evaluation hands them over in their sorted order, kept
// when the engine found them (rule and key: the fetched records may hold parts of other
// groups, whose findings are not the batch's); rendered as findings.jsonl lines when the run
// writes a file, else kept as objects.
class Kept {
 public:
  Kept(const std::vector<std::string>& engine_rows, bool render) : render_(render) {
    for (const std::string& r : engine_rows) keys_.insert(r.substr(0, r.find('\t', r.find('\t') + 1)));
  }
  void Add(Finding&& f) {
    std::string row = Row(f);
    if (keys_.count(row.substr(0, row.find('\t', row.find('\t') + 1))) == 0) return;
    rows_.push_back(std::move(row));
    Keep(std::move(f));
  }
  // The findings of rules run natively over the whole batch (other rules than the engine's),
  // each in its place: the output is sorted by rule first.
  void Merge(std::vector<Finding> others) {
    std::vector<Entry> mine = std::move(entries_);
    std::vector<Finding> objects = std::move(findings_);
    size_t a = 0, b = 0;
    while (a < mine.size() || b < others.size()) {
      bool take_mine = b == others.size() ||
                       (a < mine.size() && std::tie(mine[a].rule, mine[a].version) < std::tie(others[b].rule, others[b].rule_version));
      if (take_mine) {
        if (!render_) findings_.push_back(std::move(objects[a]));
        entries_.push_back(std::move(mine[a++]));
      } else {
        Keep(std::move(others[b++]));
      }
    }
  }
  size_t size() const { return entries_.size(); }
  const std::vector<std::string>& rows() const { return rows_; }
  std::string Jsonl() const {
    std::string out;
    for (const Entry& e : entries_) out += e.line;
    return out;
  }
  std::vector<Finding>& findings() { return findings_; }

 private:
  struct Entry {
    std::string rule;
    int version = 0;
    std::string line;  // rendered (render_)
  };
  void Keep(Finding&& f) {
    Entry e{f.rule, f.rule_version, std::string()};
    if (render_) {
      f.AppendJson(&e.line);
      e.line.push_back('\n');
    } else {
      findings_.push_back(std::move(f));
    }
    entries_.push_back(std::move(e));
  }
  bool render_;
  std::set<std::string> keys_;
  std::vector<std::string> rows_;
  std::vector<Entry> entries_;
  std::vector<Finding> findings_;
};

// The engine's findings and the native evaluation's must be the same rows.
Status Agree(std::vector<std::string> engine, std::vector<std::string> ours) {
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

// Every reject (the reader's, and the evaluation's at their input positions, each once)
// labelled and in input order (a table's: by id); written to options.rejects_path when set.
Status Rejects(Batch& batch, std::vector<io::Reject> evaluated, const RunOptions& options, RunResult* result) {
  std::vector<io::Reject> all = std::move(batch.rejects);
  std::move(evaluated.begin(), evaluated.end(), std::back_inserter(all));
  auto before = [](const io::Reject& a, const io::Reject& b) { return a.pos != b.pos ? a.pos < b.pos : a.record_id < b.record_id; };
  std::stable_sort(all.begin(), all.end(), before);
  all.erase(std::unique(all.begin(), all.end(), [](const io::Reject& a, const io::Reject& b) { return a.pos == b.pos && a.record_id == b.record_id; }),
            all.end());
  std::string text;
  for (io::Reject& r : all) {
    RejectedRow row{batch.labeler->Label(r.pos, r.last), r.pos, std::move(r.record_id), std::move(r.reason)};
    if (!options.rejects_path.empty()) {
      exec::AppendRejectJson(row, &text);
      text.push_back('\n');
    }
    if (options.rejects_path.empty() || result->rejects.size() < 100) result->rejects.push_back(std::move(row));
  }
  result->rows_rejected = all.size();
  return options.rejects_path.empty() ? Status::Ok() : WriteFileAtomically(options.rejects_path, text);
}

// The rules' input: the batch's columns, without the rows the native runtime rejects, for the
// initiator and for the shards.
Status Views(EngineSession& session, const ir::Layout& layout, Batch& batch, SqlOptions* global, SqlOptions* local) {
  const std::string name = layout.name.substr(layout.name.rfind('.') + 1);
  const std::string id = layout.fields[layout.id_field].column;
  std::string out = session.Name(fmt::format("excluded{}", ++batch.views));
  std::string g_where, l_where;
  if (!batch.excluded.empty()) {
    if (Status st = sql::IdTable(session, out, batch.excluded, true); !st.ok()) return st;
    g_where = fmt::format(" WHERE `{}` GLOBAL NOT IN `{}`", id, out);
    l_where = fmt::format(" WHERE `{}` NOT IN `{}_local`", id, out);
  }
  auto view = [&](const std::string& table, const std::string& where) {
    return batch.columns == "*" && where.empty() ? table : fmt::format("(SELECT {} FROM `{}`{})", batch.columns, table, where);
  };
  global->table_names[name] = view(batch.table, g_where);
  if (!batch.local.empty()) local->table_names[name] = view(batch.local, session.distributed() ? l_where : g_where);
  return Status::Ok();
}

// The records whose rate is missing (sql::SqlMissingRates over the rules' input), evaluated
// natively: those it rejects go to *rejects and to batch->excluded.
Status MissingRates(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const InputSpec& input,
                    const RunOptions& options, const std::vector<std::string>& rules, const SqlOptions& global, Batch* batch,
                    std::vector<io::Reject>* rejects) {
  std::vector<std::string> queries, ids;
  if (Status st = sql::SqlMissingRates(program, global, &queries); !st.ok()) return st;
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
  const std::string suspects = session.Name("suspects");
  Fetched fetched;
  RunResult native;
  Status st = sql::IdTable(session, suspects, ids);
  if (st.ok()) st = sql::Fetch(session, *batch, fmt::format("WHERE `{}` GLOBAL IN `{}`", layout.fields[layout.id_field].column, suspects), &fetched);
  if (st.ok()) st = sql::EvaluateNatively(program, layout, *batch, input, options, rules, fetched, &native);
  if (st.ok()) st = sql::MapRejects(native, fetched, rejects);
  for (const RejectedRow& r : native.rejects) batch->excluded.push_back(r.record_id);
  return st;
}

// The declared tables given (--table), on every shard, filled from their files.
Status DeclaredTables(EngineSession& session, const ir::Program& program, const RunOptions& options, SqlOptions* sql_options) {
  for (const auto& [given, path] : options.tables) {
    bool declared = false;
    for (const ir::TableDecl& t : program.tables) declared = declared || given == t.name || given == t.name.substr(t.name.rfind('.') + 1);
    if (!declared) return Status::InvalidArgument("no table '" + given + "' in the library");  // as decree::Run says
    for (const ir::TableDecl& t : program.tables) {
      std::string tname = t.name.substr(t.name.rfind('.') + 1);
      if (given != t.name && given != tname) continue;
      std::string keys;
      std::vector<SqlColumn> cols = sql::DeclaredColumns(t, SqlDialect::kClickHouse, &keys);
      const std::string engine_name = session.Name(tname);
      Status st = session.CreateEverywhere(engine_name, sql::CreateTableSql(engine_name, cols, keys, SqlDialect::kClickHouse));
      if (st.ok()) st = sql::UploadTableCsv(path, cols, session, engine_name);
      if (!st.ok()) return st;
      sql_options->table_names[tname] = engine_name;
    }
  }
  return Status::Ok();
}

// The findings kept, to the file, the callback or the result.
Status Deliver(Kept& kept, const RunOptions& options, RunResult* result) {
  result->finding_count = kept.size();
  if (!options.findings_path.empty()) return WriteFileAtomically(options.findings_path, kept.Jsonl());
  if (options.on_finding) {
    for (Finding& f : kept.findings()) options.on_finding(std::move(f));
  } else {
    result->findings = std::move(kept.findings());
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
  for (const std::string& id : options.skip_rules) {
    if (program.FindRule(id) == nullptr) return Status::InvalidArgument(fmt::format("no rule {} to skip in the library", id));
  }
  std::vector<std::string> rules = RuleIds(program, *layout, options);
  if (rules.empty()) return Status::InvalidArgument(fmt::format("no rule of layout {} is left to run", layout->name));
  SqlOptions global;
  global.layout = layout->name;
  global.rules = rules;
  std::vector<std::string> queries, fallback;
  // Refusals first, before any work; with the fallback, the rules refused run natively.
  if (Status st = Lower(program, global, &queries, target.native_fallback ? &fallback : nullptr); !st.ok()) return st;
  if (!fallback.empty()) {
    if (!target.input_table.empty()) return Status::NotSupported("--native-fallback needs the batch as a file (--input), not --input-table");
    std::vector<std::string> lowered;
    for (const std::string& r : rules) {
      if (std::find(fallback.begin(), fallback.end(), r) == fallback.end()) lowered.push_back(r);
    }
    rules = global.rules = lowered;
    if (rules.empty()) return Status::InvalidArgument("--native-fallback: no rule of the library runs in the engine");
  }
  std::unique_ptr<EngineSession> session;
  if (Status st = EngineSession::Open(target, &session); !st.ok()) return st;
  global.database = session->database();
  global.cluster = session->cluster();
  if (Status st = DeclaredTables(*session, program, options, &global); !st.ok()) return st;
  phases.Done("tables in the engine");
  Batch batch;
  Status st = target.input_table.empty() ? sql::UploadBatch(*session, program, *layout, input, options, &batch)
                                         : sql::TableBatch(*session, program, *layout, target.input_table, options, rules, &batch);
  if (!st.ok()) return st;
  phases.Done(target.input_table.empty() ? "read and upload the batch" : "check the table's rows");
  SqlOptions local = global;
  std::vector<io::Reject> evaluated;
  std::vector<std::string> rows, ids, window_ids;
  if (st = Views(*session, *layout, batch, &global, &local); st.ok()) {
    st = MissingRates(*session, program, *layout, input, options, rules, global, &batch, &evaluated);
  }
  if (st.ok()) st = Views(*session, *layout, batch, &global, &local);
  if (st.ok()) st = RunRules(*session, program, global, local, !batch.local.empty(), &rows, &ids, &window_ids);
  if (!st.ok()) return st;
  phases.Done(fmt::format("rules in the engine{}", batch.local.empty() ? "" : " (shard-local)"));
  Fetched fetched;
  std::string where;
  st = FetchWhere(*session, program, *layout, batch.table, ids, window_ids, &where);
  if (st.ok()) st = sql::Fetch(*session, batch, where, &fetched);
  if (!st.ok()) return st;
  phases.Done(fmt::format("fetch back ({} records)", fetched.positions.size()));
  RunResult native;
  Kept kept(rows, !options.findings_path.empty());
  st = sql::EvaluateNatively(program, *layout, batch, input, options, rules, fetched, &native, [&kept](Finding&& f) { kept.Add(std::move(f)); });
  if (!st.ok()) return st;
  if (native.rows_read != fetched.positions.size() || native.rows_read != native.rows_evaluated + native.rows_rejected) {
    return Status::Internal(fmt::format("{} records fetched back, {} read again", fetched.positions.size(), native.rows_read));
  }
  if (st = Agree(std::move(rows), kept.rows()); !st.ok()) return st;
  if (!fallback.empty()) {
    // The rules the engine cannot run, natively over the whole batch.
    RunResult rest;
    std::vector<Finding> found;
    RunOptions sub = sql::NativeOptions(*layout, options, fallback);
    sub.on_finding = [&found](Finding&& f) { found.push_back(std::move(f)); };
    if (st = Run(program, input, sub, &rest); !st.ok()) return st;
    for (RejectedRow& r : rest.rejects) evaluated.push_back(io::Reject{r.order, 0, std::move(r.record_id), std::move(r.reason)});
    kept.Merge(std::move(found));
    native.rules.insert(native.rules.end(), rest.rules.begin(), rest.rules.end());
  }
  if (st = sql::MapRejects(native, fetched, &evaluated); !st.ok()) return st;
  phases.Done("native evaluation");
  result->layout = native.layout;
  result->input_format = batch.format;
  result->rules = native.rules;
  result->skipped_rules = native.skipped_rules;
  result->notes = native.notes;
  result->rows_read = batch.rows_read;
  result->lines_read = batch.lines_read;
  result->blank_lines = batch.blank_lines;
  result->multiline_rows = batch.multiline_rows;
  if (st = Rejects(batch, std::move(evaluated), options, result); !st.ok()) return st;
  result->rows_evaluated = result->rows_read - result->rows_rejected;
  if (st = Deliver(kept, options, result); !st.ok()) return st;
  phases.Done("write");
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return Status::Ok();
}

}  // namespace decree
