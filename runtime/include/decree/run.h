// Evaluating a rule library over a batch: the runtime's main entry point.
//
//   std::unique_ptr<decree::Library> lib;
//   decree::Library::Open("lvtr.dlib", &lib);
//   decree::RunOptions options;
//   options.tables["usd_rate"] = "rates.csv";
//   decree::RunResult result;
//   decree::Status s = decree::Run(lib->program(), {"transactions.csv"}, options, &result);
//   for (const decree::Finding& f : result.findings) { ... }
//
// Every input row is evaluated or rejected with a reason: rows_read == rows_evaluated +
// rows_rejected.  Findings are sorted (rule, key, first txn_id) and do not depend on the
// number of threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "decree/input.h"
#include "decree/status.h"

namespace decree {

namespace ir {
struct Program;
}

struct Finding;

struct RunProgress {
  uint64_t bytes_done = 0;  // or rows, for inputs without a byte size
  uint64_t bytes_total = 0;
  uint64_t rows_read = 0;
};

struct RunOptions {
  std::string layout;  // qualified or short layout name; empty: the one layout the rules read
  int threads = 0;     // 0: one per core
  std::map<std::string, std::string> tables;  // table name (short or qualified) -> file
  // Watch-list files for the rules' screen() calls (UN XML, OFAC sdn.csv, watchlist.csv).
  std::vector<std::string> watch_lists;
  // Load an OFAC sdn.csv without its alt.csv and add.csv (RunResult::notes says so).
  bool allow_partial_lists = false;
  // Called about every 200 ms from a monitor thread while the batch is read.
  std::function<void(const RunProgress&)> progress;
  // Only these rules (ids); empty: all rules of the layout.
  std::vector<std::string> only_rules;
  // Not these rules (ids; an id the library does not have is an error).
  std::vector<std::string> skip_rules;
  // When set, findings are written here as sorted JSON Lines ("-": standard output), streamed
  // without being kept in memory as Finding objects, and RunResult::findings stays empty.  The
  // file is replaced atomically (a temporary file renamed into place).
  std::string findings_path;
  // When set (and findings_path is not), each finding is handed to this callback, in the
  // sorted output order, on the calling thread, as soon as its rule is finalized, instead of
  // being kept in RunResult::findings (which stays empty; finding_count counts them).  An
  // embedder streams findings without a file.
  std::function<void(Finding&&)> on_finding;
  // With findings_path a regular file: called on the calling thread each time more findings
  // are written, with the file's descriptor (valid during the call only, and write-only: open /proc/self/fd/N to read on)
  // and how many bytes from its start are complete lines, in their final order.  A case store
  // reads them while the run goes on.  Not called for standard output or a pipe.
  std::function<void(int fd, uint64_t complete_bytes)> on_findings_written;
  // When set, rejected rows are written here as JSON Lines (position, record_id, reason) in
  // input order, streamed, and RunResult::rejects keeps only the first 100; the file is
  // replaced atomically.  When empty, every reject is kept in RunResult::rejects.
  std::string rejects_path;
  // Memory the run's bulk state should use (bytes; 0 = default): rendered findings beyond a
  // quarter of it are spilled to a temporary file beside findings_path.
  uint64_t memory_budget = 0;
  // A hard limit on the bulk state (bytes; 0 = none; `--max-memory`): past it the run stops
  // with a ResourceExhausted error and writes no findings.
  uint64_t memory_limit = 0;
};

// One hop of a fund-flow path (a path rule's finding): money left `from` for `to`.
struct PathHop {
  std::string txn_id;
  std::string from, to;
  std::string amount;     // decimal text, at least the currency's minor units
  std::string booked_at;  // RFC 3339 with the ruleset's UTC offset at that instant
};

struct Finding {
  std::string rule;
  int rule_version = 0;
  std::string citation;
  std::string ruleset_version;
  bool keyed = false;
  std::vector<std::pair<std::string, std::string>> key;  // group keys, rendered
  std::vector<std::string> txn_ids;                       // every contributing record, sorted
  // Path rules: every reported path that starts with the finding's first hop, sorted by their
  // txn ids (empty for other rules; rendered as "paths" after "txn_ids" when not empty).
  std::vector<std::vector<PathHop>> paths;
  bool has_total = false;
  std::string total_amount, total_currency;
  std::vector<std::string> actions;  // verdict kinds in order: report, flag, block, allow, classify, error
  std::string report;                // report kind
  std::string due;                   // YYYY-MM-DD, when the report has a due period
  // Set when the due date had to count Monday–Friday through a year its working-day calendar
  // does not list: "Monday–Friday in 2027: calendar cn.pboc.lvtr.work_calendar does not cover it".
  std::string due_note;
  std::string flag;                  // flag kind
  std::string message;               // flag message or require error message
  std::vector<std::pair<std::string, std::string>> classification;
  std::string date;                  // the finding's date (latest local date of its records)
  std::string explain;

  // The findings.jsonl line (data-layouts.md), without the newline.
  std::string ToJson() const;
  void AppendJson(std::string* out) const;
  // The line after "ruleset_version" (what varies between findings of one rule), for
  // renderers that write the rule's part once.
  void AppendJsonTail(std::string* out) const;
};

struct RejectedRow {
  std::string position;   // "line 17", "rowid 17", "record 3"
  uint64_t order = 0;     // sort key (input position)
  std::string record_id;  // the row's id when it could be read
  std::string reason;
};

struct RunResult {
  uint64_t rows_read = 0;
  uint64_t rows_evaluated = 0;
  uint64_t rows_rejected = 0;
  // Line-based inputs (CSV, JSON Lines): the lines after any header, = the lines of the rows
  // + blank lines; differs from rows_read when rows span several lines or lines are blank.
  uint64_t lines_read = 0;
  uint64_t blank_lines = 0;
  uint64_t multiline_rows = 0;
  std::vector<Finding> findings;     // sorted; empty when RunOptions::findings_path is set
  uint64_t finding_count = 0;
  std::vector<RejectedRow> rejects;  // in input order (the first 100 when streamed to a file)
  std::string layout;                // the layout evaluated
  std::string input_format;
  std::vector<std::string> rules;          // ids evaluated
  std::vector<std::string> skipped_rules;  // ids over other layouts
  std::vector<std::string> notes;          // what the summary must say (a list loaded partly, …)
  double seconds = 0;
};

// Evaluates every rule of `program` over the records of `input` (see RunOptions).  Errors
// that stop the run (an unreadable input, a missing column, a missing table) are returned;
// problems with single rows are rejects in the result.
Status Run(const ir::Program& program, const InputSpec& input, const RunOptions& options, RunResult* result);

// Renders findings as JSON Lines, one per line, sorted.
std::string FindingsToJsonl(const std::vector<Finding>& findings);

}  // namespace decree
