#include "decree/case_store.h"

#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>
#include <cstdlib>
#include <memory>

#include "common/json.h"
#include "common/sqlite_util.h"

namespace decree {

namespace {

// PRAGMA application_id of a case store: "DcCS".
constexpr int32_t kCaseStoreId = 0x44634353;

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

Status CheckCaseStore(const std::string& path) {
  struct stat sb;
  if (stat(path.c_str(), &sb) != 0 || (S_ISREG(sb.st_mode) && sb.st_size == 0)) return Status::Ok();  // a new store
  if (!S_ISREG(sb.st_mode)) return Status::InvalidArgument(path + ": not a regular file, so not a case store");
  char head[16] = {};
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(fmt::format("{}: {}", path, std::strerror(errno)));
  size_t n = std::fread(head, 1, sizeof(head), f);
  std::fclose(f);
  const std::string refuse = "; the case store option only appends to a Decree case store or creates a new one";
  if (n != 16 || std::memcmp(head, "SQLite format 3", 16) != 0) {
    return Status::InvalidArgument(path + ": not a SQLite database, so not a case store" + refuse);
  }
  SqliteDb db;
  Status st = db.Open(path, SQLITE_OPEN_READONLY);
  if (!st.ok()) return st;
  SqliteStmt s;
  int64_t app = 0;
  if (s.Prepare(db.get(), "PRAGMA application_id").ok() && s.Step() == SQLITE_ROW) app = s.Int(0);
  if (app == kCaseStoreId) return Status::Ok();
  // Stores written before the application id: exactly the three tables.
  std::vector<std::string> tables;
  SqliteStmt t;
  if (!t.Prepare(db.get(), "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").ok()) {
    return Status::InvalidArgument(path + ": unreadable SQLite database" + refuse);
  }
  while (t.Step() == SQLITE_ROW) tables.push_back(t.Text(0));
  if (tables == std::vector<std::string>{"findings", "rejects", "runs"}) return Status::Ok();
  std::string what = std::find(tables.begin(), tables.end(), "decree_meta") != tables.end() ? "a Decree rule library"
                     : tables.empty()                                                    ? "an empty SQLite database"
                                        : fmt::format("a SQLite database with the tables {}", fmt::join(tables, ", "));
  return Status::InvalidArgument(fmt::format("{}: {}, not a case store{}", path, what, refuse));
}

Status AppendRun(const std::string& store_path, const RunRecord& record, const RunResult& result,
                 const std::string& findings_jsonl, int64_t* run_id, const std::string& rejects_jsonl) {
  if (Status check = CheckCaseStore(store_path); !check.ok()) return check;
  FILE* in = std::fopen(findings_jsonl.c_str(), "rb");
  if (in == nullptr) return Status::IoError(findings_jsonl + ": cannot read the findings");
  struct Closer {
    FILE* f;
    ~Closer() { std::fclose(f); }
  } closer{in};
  SqliteDb db;
  Status st = db.Open(store_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!st.ok()) return st;
  sqlite3_busy_timeout(db.get(), 10000);
  st = db.Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
  if (st.ok()) st = db.Exec(fmt::format("PRAGMA application_id = {};", kCaseStoreId));
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
  s.BindInt(c++, static_cast<int64_t>(result.finding_count));
  if (s.Step() != SQLITE_DONE) return fail("insert run");
  *run_id = sqlite3_last_insert_rowid(db.get());
  if (!s.Prepare(db.get(), "INSERT INTO findings VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)").ok()) return fail("prepare");
  char* line = nullptr;
  size_t cap = 0;
  ssize_t len;
  int64_t seq = 0;
  std::unique_ptr<char, decltype(&std::free)> owned(nullptr, &std::free);
  while ((len = getline(&line, &cap, in)) > 0) {
    owned.release();
    owned.reset(line);
    std::string_view text(line, static_cast<size_t>(len));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    JsonValue f;
    size_t off;
    std::string err;
    if (!ParseJson(text, &f, &off, &err) || f.kind != JsonValue::Kind::kObject) return fail("bad findings line: " + err);
    auto str = [&](const char* k) {
      const JsonValue* v = f.Get(k);
      return v != nullptr && v->kind == JsonValue::Kind::kString ? v->text : std::string();
    };
    auto raw = [&](const char* k) -> std::string {
      const JsonValue* v = f.Get(k);
      if (v == nullptr) return std::string();
      std::string out;
      JsonWriter w(&out);
      if (v->kind == JsonValue::Kind::kObject) {
        w.BeginObject();
        for (const JsonMember& m : v->members) w.Field(m.key, m.value.text);
        w.EndObject();
      } else if (v->kind == JsonValue::Kind::kArray) {
        w.BeginArray();
        for (const JsonValue& i : v->items) w.String(i.text);
        w.EndArray();
      }
      return out;
    };
    const JsonValue* total = f.Get("total");
    c = 1;
    s.BindInt(c++, *run_id);
    s.BindInt(c++, seq++);
    s.BindText(c++, str("rule"));
    s.BindText(c++, str("citation"));
    if (f.Get("key") != nullptr) s.BindText(c++, raw("key")); else s.BindNull(c++);
    s.BindText(c++, raw("txn_ids"));
    if (total != nullptr && total->kind == JsonValue::Kind::kObject) {
      s.BindText(c++, total->Get("amount") != nullptr ? total->Get("amount")->text : "");
      s.BindText(c++, total->Get("currency") != nullptr ? total->Get("currency")->text : "");
    } else {
      s.BindNull(c++);
      s.BindNull(c++);
    }
    s.BindText(c++, str("action"));
    if (str("report").empty()) s.BindNull(c++); else s.BindText(c++, str("report"));
    if (str("due").empty()) s.BindNull(c++); else s.BindText(c++, str("due"));
    s.BindText(c++, str("explain"));
    s.BindText(c++, text);
    if (s.Step() != SQLITE_DONE) return fail("insert finding");
    s.Reset();
  }
  if (seq != static_cast<int64_t>(result.finding_count)) {
    return fail(fmt::format("{} findings in {}, but the run made {}", seq, findings_jsonl, result.finding_count));
  }
  if (!s.Prepare(db.get(), "INSERT INTO rejects VALUES(?,?,?,?,?)").ok()) return fail("prepare");
  int64_t rseq = 0;
  auto insert_reject = [&](std::string_view position, std::string_view record_id, std::string_view reason) {
    s.BindInt(1, *run_id);
    s.BindInt(2, rseq++);
    s.BindText(3, position);
    if (record_id.empty()) s.BindNull(4); else s.BindText(4, record_id);
    s.BindText(5, reason);
    bool ok = s.Step() == SQLITE_DONE;
    s.Reset();
    return ok;
  };
  if (rejects_jsonl.empty()) {
    for (const RejectedRow& r : result.rejects) {
      if (!insert_reject(r.position, r.record_id, r.reason)) return fail("insert reject");
    }
  } else {
    FILE* rin = std::fopen(rejects_jsonl.c_str(), "rb");
    if (rin == nullptr) return fail(rejects_jsonl + ": cannot read the rejects");
    struct RCloser {
      FILE* f;
      ~RCloser() { std::fclose(f); }
    } rcloser{rin};
    while ((len = getline(&line, &cap, rin)) > 0) {
      owned.release();
      owned.reset(line);
      std::string_view text(line, static_cast<size_t>(len));
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
      JsonValue r;
      size_t off;
      std::string err;
      if (!ParseJson(text, &r, &off, &err) || r.kind != JsonValue::Kind::kObject) return fail("bad rejects line: " + err);
      auto str = [&](const char* k) {
        const JsonValue* v = r.Get(k);
        return v != nullptr && v->kind == JsonValue::Kind::kString ? v->text : std::string();
      };
      if (!insert_reject(str("position"), str("record_id"), str("reason"))) return fail("insert reject");
    }
  }
  if (rseq != static_cast<int64_t>(result.rows_rejected)) {
    return fail(fmt::format("{} rejects to store, but the run rejected {}", rseq, result.rows_rejected));
  }
  st = db.Exec("COMMIT;");
  if (!st.ok()) return fail("commit");
  return Status::Ok();
}

}  // namespace decree
