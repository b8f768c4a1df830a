// The case store (decree/case_store.h).
//
// Schema 3: findings are stored as their findings.jsonl lines, in blocks of up to
// kBlockFindings consecutive findings of one rule: `finding_blocks` holds (run_id, first_seq,
// count, rule) and the block's lines as one JSON array.  The view `findings` has one row per
// finding — (run_id, seq, rule, finding_json) and every other column (citation, key_json,
// txn_ids_json, total_amount, total_currency, action, report, due, due_note, explain) from the
// line with json_extract — so a store holds each finding once, appending computes nothing,
// and SQLite stores a few large rows instead of many small ones (a fifth of the cost).  A new store is built
// under a temporary name and renamed into place, so its first run is atomic without a journal;
// later runs append in one transaction each, with a rollback journal (WAL would write each
// appended page twice: into the log, then at the checkpoint).  Older stores are appended to in their own
// form: schema 2 (`findings` with virtual generated columns, which SQLite computes on every
// insert) and schema 1 (every column stored).
#include "decree/case_store.h"

#include <fmt/format.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "decree/atomic_file.h"
#include "decree/json.h"
#include "common/sqlite_util.h"

namespace decree {

namespace {

// Findings per row of `finding_blocks` (schema 3).
constexpr int64_t kBlockFindings = 256;

// PRAGMA application_id of a case store: "DcCS".
constexpr int32_t kCaseStoreId = 0x44634353;

constexpr const char* kRunsAndRejects = R"(
CREATE TABLE IF NOT EXISTS runs(
  run_id INTEGER PRIMARY KEY,
  status TEXT NOT NULL CHECK (status = 'complete'),
  started_at TEXT NOT NULL, finished_at TEXT NOT NULL, decree_version TEXT NOT NULL,
  library_path TEXT NOT NULL, library_hash TEXT NOT NULL,
  input_path TEXT NOT NULL, input_sha256 TEXT NOT NULL, input_bytes INTEGER NOT NULL,
  layout TEXT NOT NULL, rows_read INTEGER NOT NULL, rows_evaluated INTEGER NOT NULL,
  rows_rejected INTEGER NOT NULL, findings INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rejects(
  run_id INTEGER NOT NULL REFERENCES runs(run_id), seq INTEGER NOT NULL,
  position TEXT NOT NULL, record_id TEXT, reason TEXT NOT NULL,
  PRIMARY KEY (run_id, seq));
)";

constexpr const char* kFindingsV3 = R"(
CREATE TABLE IF NOT EXISTS finding_blocks(
  run_id INTEGER NOT NULL REFERENCES runs(run_id), first_seq INTEGER NOT NULL,
  count INTEGER NOT NULL, rule TEXT NOT NULL, lines TEXT NOT NULL,
  PRIMARY KEY (run_id, first_seq));
CREATE INDEX IF NOT EXISTS finding_blocks_by_rule ON finding_blocks(rule, run_id);
CREATE VIEW IF NOT EXISTS findings AS SELECT
  b.run_id AS run_id, b.first_seq + j.key AS seq, b.rule AS rule, j.value AS finding_json,
  json_extract(j.value, '$.citation') AS citation,
  json_extract(j.value, '$.key') AS key_json,
  json_extract(j.value, '$.txn_ids') AS txn_ids_json,
  json_extract(j.value, '$.total.amount') AS total_amount,
  json_extract(j.value, '$.total.currency') AS total_currency,
  json_extract(j.value, '$.action') AS action,
  json_extract(j.value, '$.report') AS report,
  json_extract(j.value, '$.due') AS due,
  json_extract(j.value, '$.due_note') AS due_note,
  json_extract(j.value, '$.explain') AS explain
  FROM finding_blocks AS b, json_each(b.lines) AS j;
CREATE TRIGGER IF NOT EXISTS finding_blocks_append_only_u BEFORE UPDATE ON finding_blocks BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS finding_blocks_append_only_d BEFORE DELETE ON finding_blocks BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
)";

constexpr const char* kTriggers = R"(
CREATE TRIGGER IF NOT EXISTS runs_append_only_u BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS runs_append_only_d BEFORE DELETE ON runs BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS rejects_append_only_u BEFORE UPDATE ON rejects BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
CREATE TRIGGER IF NOT EXISTS rejects_append_only_d BEFORE DELETE ON rejects BEGIN SELECT RAISE(ABORT, 'the case store is append-only'); END;
)";

bool IsNewStore(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) != 0 || (S_ISREG(sb.st_mode) && sb.st_size == 0);
}

// Reads a JSON Lines file a line at a time.
class LineReader {
 public:
  explicit LineReader(FILE* f) : f_(f) {}
  ~LineReader() { std::free(line_); }
  bool Next(std::string_view* out) {
    ssize_t len = getline(&line_, &cap_, f_);
    if (len <= 0) return false;
    std::string_view text(line_, static_cast<size_t>(len));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    *out = text;
    return true;
  }

 private:
  FILE* f_;
  char* line_ = nullptr;
  size_t cap_ = 0;
};

struct FileCloser {
  FILE* f;
  ~FileCloser() {
    if (f != nullptr) std::fclose(f);
  }
};

// The rule of a findings line: the first member of every line decree writes.
bool RuleOf(std::string_view line, std::string_view* rule) {
  constexpr std::string_view kPrefix = "{\"rule\":\"";
  if (!line.starts_with(kPrefix)) return false;
  size_t end = line.find('"', kPrefix.size());
  if (end == std::string_view::npos || line.substr(kPrefix.size(), end - kPrefix.size()).find('\\') != std::string_view::npos) {
    return false;
  }
  *rule = line.substr(kPrefix.size(), end - kPrefix.size());
  return true;
}

class StoreWriter {
 public:
  // `db_file`: the database's file, whose writeback starts as blocks are written, so the sync
  // at the end (before a new store is renamed into place, or an append's commit) waits for
  // little; empty: none.
  StoreWriter(SqliteDb& db, const std::string& path, const std::string& db_file = "") : db_(db), path_(path) {
    if (!db_file.empty()) writeback_fd_ = open(db_file.c_str(), O_RDONLY | O_CLOEXEC);
  }
  ~StoreWriter() {
    if (writeback_fd_ >= 0) close(writeback_fd_);
  }

  Status Fail(const std::string& what) {
    Status e = db_.Error(path_ + ": " + what);
    db_.Exec("ROLLBACK;");
    return e;
  }

  // The id the run will have: the store's next (the transaction holds the write lock).
  Status NextRunId(int64_t* run_id) {
    SqliteStmt s;
    if (!s.Prepare(db_.get(), "SELECT COALESCE(MAX(run_id), 0) + 1 FROM runs").ok() || s.Step() != SQLITE_ROW) return Fail("next run id");
    *run_id = s.Int(0);
    return Status::Ok();
  }

  Status InsertRun(const RunRecord& record, const RunResult& result, int64_t run_id) {
    SqliteStmt s;
    if (!s.Prepare(db_.get(), "INSERT INTO runs VALUES(?,'complete',?,?,?,?,?,?,?,?,?,?,?,?,?)").ok()) return Fail("prepare");
    int c = 1;
    s.BindInt(c++, run_id);
    for (const std::string* t : {&record.started_at, &record.finished_at, &record.decree_version, &record.library_path,
                                 &record.library_hash, &record.input_path, &record.input_sha256}) {
      s.BindText(c++, *t);
    }
    s.BindInt(c++, static_cast<int64_t>(record.input_bytes));
    s.BindText(c++, result.layout);
    for (uint64_t n : {result.rows_read, result.rows_evaluated, result.rows_rejected, result.finding_count}) {
      s.BindInt(c++, static_cast<int64_t>(n));
    }
    if (s.Step() != SQLITE_DONE) return Fail("insert run");
    return Status::Ok();
  }

  // Schema 3: blocks of consecutive lines of one rule.  The findings file is read in large
  // chunks and each block is made in place: its lines are contiguous, so the newlines between
  // them become commas, the last one the closing bracket, and the byte before the first (the
  // previous line's newline, or a spare byte) the opening one.  Nothing is copied but by SQLite.
  Status InsertBlocks(int64_t run_id, FILE* in, const std::string& findings_jsonl, int64_t* count) {
    SqliteStmt s;
    if (!s.Prepare(db_.get(), "INSERT INTO finding_blocks VALUES(?,?,?,?,?)").ok()) return Fail("prepare");
    constexpr size_t kChunk = 4 << 20;
    std::vector<char> buf(kChunk + 1);  // buf[0]: the spare byte before the first line
    size_t have = 1;                    // bytes in buf, the spare one included
    bool eof = false;
    std::string block_rule;
    for (;;) {
      if (!eof) {
        if (buf.size() - have < kChunk / 2) buf.resize(have + kChunk);
        size_t n = std::fread(buf.data() + have, 1, buf.size() - have, in);
        if (n == 0 && std::ferror(in)) return Fail(fmt::format("{}: cannot read the findings", findings_jsonl));
        if (n == 0) eof = true;
        have += n;
      }
      if (eof && have == 1) return Status::Ok();
      if (eof && buf[have - 1] != '\n') buf.insert(buf.begin() + static_cast<ptrdiff_t>(have++), '\n');
      // Whole lines in buf[1, done): blocks of one rule, up to kBlockFindings lines each.
      size_t pos = 1, done = 1;
      std::string_view rule;
      while (pos < have) {
        size_t block_start = pos;
        int64_t n = 0;
        while (pos < have && n < kBlockFindings) {
          const char* nl = static_cast<const char*>(std::memchr(buf.data() + pos, '\n', have - pos));
          if (nl == nullptr) break;
          std::string_view line(buf.data() + pos, static_cast<size_t>(nl - (buf.data() + pos)));
          if (!RuleOf(line, &rule)) return Fail(fmt::format("{}: line {} is not a finding decree wrote", findings_jsonl, *count + n + 1));
          if (n == 0) {
            block_rule.assign(rule);
          } else if (rule != block_rule) {
            break;
          } else {
            buf[pos - 1] = ',';  // the previous line's newline separates the two
          }
          pos = static_cast<size_t>(nl - buf.data()) + 1;
          ++n;
        }
        if (n == 0) break;
        // Lines [block_start, pos), separated by commas: now the brackets.
        buf[block_start - 1] = '[';
        buf[pos - 1] = ']';
        s.BindInt(1, run_id);
        s.BindInt(2, *count);
        s.BindInt(3, n);
        s.BindTextNoCopy(4, block_rule);
        s.BindTextNoCopy(5, std::string_view(buf.data() + block_start - 1, pos - block_start + 1));
        if (s.Step() != SQLITE_DONE) return Fail("insert findings");
        s.Reset();
        *count += n;
        done = pos;
        // Every 64 blocks (~8 MB of findings): start writing back what SQLite has spilled.
        if (writeback_fd_ >= 0 && ++blocks_ % 64 == 0) sync_file_range(writeback_fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
      }
      if (eof && done == have) return Status::Ok();
      if (eof) return Fail(fmt::format("{}: line {} is not a finding decree wrote", findings_jsonl, *count + 1));
      // The partial line moves to the front, after the spare byte.
      std::memmove(buf.data() + 1, buf.data() + done, have - done);
      have = 1 + (have - done);
    }
  }

  // Schema 2: the rule and the line.
  Status InsertLines(int64_t run_id, FILE* in, const std::string& findings_jsonl, int64_t* count) {
    SqliteStmt s;
    if (!s.Prepare(db_.get(), "INSERT INTO findings(run_id, seq, rule, finding_json) VALUES(?,?,?,?)").ok()) return Fail("prepare");
    LineReader lines(in);
    std::string_view text, rule;
    while (lines.Next(&text)) {
      if (!RuleOf(text, &rule)) return Fail(fmt::format("{}: line {} is not a finding decree wrote", findings_jsonl, *count + 1));
      s.BindInt(1, run_id);
      s.BindInt(2, (*count)++);
      s.BindTextNoCopy(3, rule);
      s.BindTextNoCopy(4, text);
      if (s.Step() != SQLITE_DONE) return Fail("insert finding");
      s.Reset();
    }
    return Status::Ok();
  }

  // Schema 1: every column.
  Status InsertFindingsV1(int64_t run_id, FILE* in, int64_t* count) {
    SqliteStmt s;
    if (!s.Prepare(db_.get(), "INSERT INTO findings VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)").ok()) return Fail("prepare");
    LineReader lines(in);
    std::string_view text;
    while (lines.Next(&text)) {
      JsonValue f;
      size_t off;
      std::string err;
      if (!ParseJson(text, &f, &off, &err) || f.kind != JsonValue::Kind::kObject) return Fail("bad findings line: " + err);
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
      int c = 1;
      s.BindInt(c++, run_id);
      s.BindInt(c++, (*count)++);
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
      if (s.Step() != SQLITE_DONE) return Fail("insert finding");
      s.Reset();
    }
    return Status::Ok();
  }

  Status InsertRejects(int64_t run_id, const RunResult& result, const std::string& rejects_jsonl, int64_t* count) {
    SqliteStmt s;
    if (!s.Prepare(db_.get(), "INSERT INTO rejects VALUES(?,?,?,?,?)").ok()) return Fail("prepare");
    auto insert = [&](std::string_view position, std::string_view record_id, std::string_view reason) {
      s.BindInt(1, run_id);
      s.BindInt(2, (*count)++);
      s.BindText(3, position);
      if (record_id.empty()) s.BindNull(4); else s.BindText(4, record_id);
      s.BindText(5, reason);
      bool ok = s.Step() == SQLITE_DONE;
      s.Reset();
      return ok;
    };
    if (rejects_jsonl.empty()) {
      for (const RejectedRow& r : result.rejects) {
        if (!insert(r.position, r.record_id, r.reason)) return Fail("insert reject");
      }
      return Status::Ok();
    }
    FILE* in = std::fopen(rejects_jsonl.c_str(), "rb");
    if (in == nullptr) return Fail(rejects_jsonl + ": cannot read the rejects");
    FileCloser closer{in};
    LineReader lines(in);
    std::string_view text;
    while (lines.Next(&text)) {
      JsonValue r;
      size_t off;
      std::string err;
      if (!ParseJson(text, &r, &off, &err) || r.kind != JsonValue::Kind::kObject) return Fail("bad rejects line: " + err);
      auto str = [&](const char* k) {
        const JsonValue* v = r.Get(k);
        return v != nullptr && v->kind == JsonValue::Kind::kString ? v->text : std::string();
      };
      if (!insert(str("position"), str("record_id"), str("reason"))) return Fail("insert reject");
    }
    return Status::Ok();
  }

 private:
  SqliteDb& db_;
  const std::string& path_;
  int writeback_fd_ = -1;
  uint64_t blocks_ = 0;
};

// Whether the store keeps its findings in `finding_blocks` (schema 3).
bool IsSchema3(SqliteDb& db) {
  SqliteStmt s;
  return s.Prepare(db.get(), "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'finding_blocks'").ok() &&
         s.Step() == SQLITE_ROW;
}

// Whether the store's findings table has the generated columns of schema 2.
bool IsSchema2(SqliteDb& db) {
  SqliteStmt s;
  return s.Prepare(db.get(), "SELECT 1 FROM pragma_table_xinfo('findings') WHERE name = 'citation' AND hidden = 2").ok() &&
         s.Step() == SQLITE_ROW;
}

}  // namespace

Status CheckCaseStore(const std::string& path) {
  struct stat sb;
  if (IsNewStore(path)) return Status::Ok();
  if (stat(path.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) return Status::InvalidArgument(path + ": not a regular file, so not a case store");
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

namespace {

// A FILE over a FindingsReader (glibc's fopencookie), so that every schema's writer reads a
// stream; the reader's error is kept for the message.
struct ReaderCookie {
  const FindingsReader* read;
  Status error;
};

ssize_t ReadCookie(void* cookie, char* buf, size_t size) {
  auto* c = static_cast<ReaderCookie*>(cookie);
  size_t got = 0;
  c->error = (*c->read)(buf, size, &got);
  return c->error.ok() ? static_cast<ssize_t>(got) : -1;
}

}  // namespace

Status AppendRun(const std::string& store_path, const RunRecord& record, const RunResult& result,
                 const std::string& findings_jsonl, int64_t* run_id, const std::string& rejects_jsonl,
                 const CompleteRecord& complete) {
  FILE* in = std::fopen(findings_jsonl.c_str(), "rb");
  if (in == nullptr) return Status::IoError(findings_jsonl + ": cannot read the findings");
  FileCloser closer{in};
  FindingsReader read = [in](char* buf, size_t cap, size_t* got) {
    *got = std::fread(buf, 1, cap, in);
    return *got == 0 && std::ferror(in) ? Status::IoError(std::strerror(errno)) : Status::Ok();
  };
  return AppendRun(store_path, record, result, read, findings_jsonl, run_id, rejects_jsonl, complete);
}

Status AppendRun(const std::string& store_path, const RunRecord& record, const RunResult& result, const FindingsReader& read,
                 const std::string& findings_jsonl, int64_t* run_id, const std::string& rejects_jsonl,
                 const CompleteRecord& complete) {
  if (Status check = CheckCaseStore(store_path); !check.ok()) return check;
  ReaderCookie cookie{&read, Status::Ok()};
  FILE* in = fopencookie(&cookie, "r", cookie_io_functions_t{ReadCookie, nullptr, nullptr, nullptr});
  if (in == nullptr) return Status::IoError(std::string("cannot read the findings: ") + std::strerror(errno));
  FileCloser closer{in};
  const bool fresh = IsNewStore(store_path);
  AtomicFile file;  // a new store is built beside its name and renamed into place
  if (fresh) {
    if (Status st = file.Reserve(store_path); !st.ok()) return st;
  }
  const std::string& db_path = fresh ? file.temp_path() : store_path;
  Status st;
  {
    SqliteDb db;
    st = db.Open(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    if (!st.ok()) return st;
    sqlite3_busy_timeout(db.get(), 10000);
    if (fresh) {
      // 64 KiB pages hold a block of findings in a few pages.  A small page cache is reused
      // page after page as the transaction spills to the file: a large one costs the first
      // touch of as much fresh memory as the findings take (3x the whole append on a VM).
      st = db.Exec(fmt::format("PRAGMA page_size=65536; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-4096; "
                               "PRAGMA application_id = {}; PRAGMA user_version = 3;",
                               kCaseStoreId));
      if (st.ok()) st = db.Exec(std::string(kRunsAndRejects) + kFindingsV3 + kTriggers);
    } else {
      st = db.Exec("PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; PRAGMA cache_size=-4096;");
    }
    if (!st.ok()) return Status::IoError(store_path + ": " + st.message());
    const bool v3 = IsSchema3(db), v2 = !v3 && IsSchema2(db);
    st = db.Exec("BEGIN IMMEDIATE;");
    if (!st.ok()) return Status::IoError(store_path + ": " + st.message());
    StoreWriter w(db, store_path, db_path);
    if (!(st = w.NextRunId(run_id)).ok()) return st;
    int64_t findings = 0, rejects = 0;
    st = v3   ? w.InsertBlocks(*run_id, in, findings_jsonl, &findings)
         : v2 ? w.InsertLines(*run_id, in, findings_jsonl, &findings)
              : w.InsertFindingsV1(*run_id, in, &findings);
    if (!cookie.error.ok()) return Status::IoError(findings_jsonl + ": " + cookie.error.message());
    if (!st.ok()) return st;
    if (findings != static_cast<int64_t>(result.finding_count)) {
      return w.Fail(fmt::format("{} findings in {}, but the run made {}", findings, findings_jsonl, result.finding_count));
    }
    if (!(st = w.InsertRejects(*run_id, result, rejects_jsonl, &rejects)).ok()) return st;
    if (rejects != static_cast<int64_t>(result.rows_rejected)) {
      return w.Fail(fmt::format("{} rejects to store, but the run rejected {}", rejects, result.rows_rejected));
    }
    RunRecord full = record;
    if (complete && !(st = complete(&full)).ok()) {
      db.Exec("ROLLBACK;");
      return st;
    }
    if (!(st = w.InsertRun(full, result, *run_id)).ok()) return st;
    if (!(st = db.Exec("COMMIT;")).ok()) return w.Fail("commit");
    if (fresh && !(st = db.Exec("PRAGMA journal_mode=DELETE;")).ok()) return Status::IoError(store_path + ": " + st.message());
  }
  return fresh ? file.Commit() : Status::Ok();
}

}  // namespace decree
