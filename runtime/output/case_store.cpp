#include "decree/case_store.h"

#include <fmt/format.h>

#include "ir/json.h"
#include "ir/sqlite_util.h"

namespace decree {

namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS runs(
  run_id INTEGER PRIMARY KEY,
  status TEXT NOT NULL CHECK (status = 'complete'),
  started_at TEXT NOT NULL, finished_at TEXT NOT NULL, decree_version TEXT NOT NULL,
  library_path TEXT NOT NULL, library_hash TEXT NOT NULL,
  input_path TEXT NOT NULL, input_sha256 TEXT NOT NULL, input_bytes INTEGER NOT NULL,
  layout TEXT NOT NULL, rows_read INTEGER NOT NULL, rows_evaluated INTEGER NOT NULL,
  rows_rejected INTEGER NOT NULL, findings INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS findings(
  run_id INTEGER NOT NULL REFERENCES runs(run_id), seq INTEGER NOT NULL,
  rule TEXT NOT NULL, citation TEXT NOT NULL, key_json TEXT, txn_ids_json TEXT NOT NULL,
  total_amount TEXT, total_currency TEXT, action TEXT NOT NULL, report TEXT, due TEXT,
  explain TEXT NOT NULL, finding_json TEXT NOT NULL,
  PRIMARY KEY (run_id, seq));
CREATE TABLE IF NOT EXISTS rejects(
  run_id INTEGER NOT NULL REFERENCES runs(run_id), seq INTEGER NOT NULL,
  position TEXT NOT NULL, record_id TEXT, reason TEXT NOT NULL,
  PRIMARY KEY (run_id, seq));
CREATE INDEX IF NOT EXISTS findings_by_rule ON findings(rule, run_id);
CREATE TRIGGER IF NOT EXISTS runs_append_only_u BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS runs_append_only_d BEFORE DELETE ON runs BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS findings_append_only_u BEFORE UPDATE ON findings BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS findings_append_only_d BEFORE DELETE ON findings BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS rejects_append_only_u BEFORE UPDATE ON rejects BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS rejects_append_only_d BEFORE DELETE ON rejects BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
)";

}  // namespace

Status AppendRun(const std::string& store_path, const RunRecord& record, const RunResult& result, int64_t* run_id) {
  SqliteDb db;
  Status st = db.Open(store_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!st.ok()) return st;
  sqlite3_busy_timeout(db.get(), 10000);
  st = db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  if (st.ok()) st = db.Exec(kSchema);
  if (!st.ok()) return Status::IoError(store_path + ": " + st.message());
  st = db.Exec("BEGIN IMMEDIATE;");
  if (!st.ok()) return Status::IoError(store_path + ": " + st.message());
  auto fail = [&](const std::string& what) {
    Status e = db.Error(store_path + ": " + what);
    db.Exec("ROLLBACK;");
    return e;
  };
  SqliteStmt s;
  if (!s.Prepare(db.get(), "INSERT INTO runs VALUES(NULL,'complete',?,?,?,?,?,?,?,?,?,?,?,?,?)").ok()) return fail("prepare");
  int c = 1;
  s.BindText(c++, record.started_at);
  s.BindText(c++, record.finished_at);
  s.BindText(c++, record.decree_version);
  s.BindText(c++, record.library_path);
  s.BindText(c++, record.library_hash);
  s.BindText(c++, record.input_path);
  s.BindText(c++, record.input_sha256);
  s.BindInt(c++, static_cast<int64_t>(record.input_bytes));
  s.BindText(c++, result.layout);
  s.BindInt(c++, static_cast<int64_t>(result.rows_read));
  s.BindInt(c++, static_cast<int64_t>(result.rows_evaluated));
  s.BindInt(c++, static_cast<int64_t>(result.rows_rejected));
  s.BindInt(c++, static_cast<int64_t>(result.findings.size()));
  if (s.Step() != SQLITE_DONE) return fail("insert run");
  *run_id = sqlite3_last_insert_rowid(db.get());
  if (!s.Prepare(db.get(), "INSERT INTO findings VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)").ok()) return fail("prepare");
  for (size_t i = 0; i < result.findings.size(); ++i) {
    const Finding& f = result.findings[i];
    std::string key, txns;
    if (f.keyed) {
      JsonWriter w(&key);
      w.BeginObject();
      for (const auto& [k, v] : f.key) w.Field(k, v);
      w.EndObject();
    }
    {
      JsonWriter w(&txns);
      w.BeginArray();
      for (const std::string& id : f.txn_ids) w.String(id);
      w.EndArray();
    }
    c = 1;
    s.BindInt(c++, *run_id);
    s.BindInt(c++, static_cast<int64_t>(i));
    s.BindText(c++, f.rule);
    s.BindText(c++, f.citation);
    if (f.keyed) s.BindText(c++, key); else s.BindNull(c++);
    s.BindText(c++, txns);
    if (f.has_total) {
      s.BindText(c++, f.total_amount);
      s.BindText(c++, f.total_currency);
    } else {
      s.BindNull(c++);
      s.BindNull(c++);
    }
    s.BindText(c++, f.actions.empty() ? "" : f.actions[0]);
    if (f.report.empty()) s.BindNull(c++); else s.BindText(c++, f.report);
    if (f.due.empty()) s.BindNull(c++); else s.BindText(c++, f.due);
    s.BindText(c++, f.explain);
    s.BindText(c++, f.ToJson());
    if (s.Step() != SQLITE_DONE) return fail("insert finding");
    s.Reset();
  }
  if (!s.Prepare(db.get(), "INSERT INTO rejects VALUES(?,?,?,?,?)").ok()) return fail("prepare");
  for (size_t i = 0; i < result.rejects.size(); ++i) {
    const RejectedRow& r = result.rejects[i];
    s.BindInt(1, *run_id);
    s.BindInt(2, static_cast<int64_t>(i));
    s.BindText(3, r.position);
    if (r.record_id.empty()) s.BindNull(4); else s.BindText(4, r.record_id);
    s.BindText(5, r.reason);
    if (s.Step() != SQLITE_DONE) return fail("insert reject");
    s.Reset();
  }
  st = db.Exec("COMMIT;");
  if (!st.ok()) return fail("commit");
  return Status::Ok();
}

}  // namespace decree
