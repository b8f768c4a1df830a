// The case store: an append-only SQLite database of runs and their findings (`--store`).
//
// Each run is written in one transaction when it has finished, so a run is either absent or
// complete; earlier runs are never changed (triggers refuse UPDATE and DELETE).  A run records
// the library's content hash and the input file's SHA-256, so a finding can be traced to the
// exact rules and data that produced it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "decree/run.h"
#include "decree/status.h"

namespace decree {

struct RunRecord {
  std::string started_at;   // ISO 8601 UTC
  std::string finished_at;
  std::string decree_version;
  std::string library_path;
  std::string library_hash;
  std::string input_path;
  std::string input_sha256;
  uint64_t input_bytes = 0;
};

// Fills in the parts of a run's record that are computed while the store is written (the
// input's hash, the finish time); an error abandons the append.
using CompleteRecord = std::function<Status(RunRecord*)>;

// Appends a run, its findings (read from the findings JSON Lines file the run wrote) and its
// rejects (from the rejects file when `rejects_jsonl` is given, else RunResult::rejects); sets
// *run_id.  The run's row is written last, in the same transaction: `complete`, when given, is
// called on a copy of `record` just before, so a caller can hash its input while the findings
// are stored.
Status AppendRun(const std::string& store_path, const RunRecord& record, const RunResult& result,
                 const std::string& findings_jsonl, int64_t* run_id, const std::string& rejects_jsonl = "",
                 const CompleteRecord& complete = {});

// Fills `buf` with up to `cap` bytes of findings lines and sets *got; *got == 0 at their end.
// It may block until more are written.  An error abandons the append.
using FindingsReader = std::function<Status(char* buf, size_t cap, size_t* got)>;

// As above, with the findings from `read` (`findings_name` names them in messages), so a run's
// findings can be stored while it still writes them (RunOptions::on_findings_written).
// `result` is read only after `read` has reported the end.
Status AppendRun(const std::string& store_path, const RunRecord& record, const RunResult& result, const FindingsReader& read,
                 const std::string& findings_name, int64_t* run_id, const std::string& rejects_jsonl = "",
                 const CompleteRecord& complete = {});

// Ok when `path` is a Decree case store or does not exist yet (or is empty); an error naming
// what it is otherwise (a rule library, another database, not SQLite at all): a case store is
// only ever appended to, and nothing else is turned into one.
Status CheckCaseStore(const std::string& path);

}  // namespace decree
