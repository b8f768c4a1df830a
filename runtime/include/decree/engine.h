// Deciding transactions one at a time, as they arrive (`decree serve`, `decree stream`).
//
//   std::shared_ptr<const decree::Library> lib = ...;            // Library::Open
//   decree::EngineOptions options;
//   options.tables["last_activity"] = "last_activity.csv";
//   std::unique_ptr<decree::Engine> engine;
//   decree::Status s = decree::Engine::Open(lib, options, &engine);
//   decree::EngineAnswer a = engine->Decide(R"({"txn_id":"T1", ...})");
//   if (a.status == 200 && a.decision == "block") { ... }
//
// Semantics (docs/serve.md): a transaction's decision is computed over every transaction the
// engine has accepted so far, itself included, exactly as decree::Run evaluates that set —
// `block` when it belongs to (is in the txn_ids of) a finding of a rule with a block verdict,
// `review` when it belongs to a finding with a report or flag verdict and none blocks, else
// `allow`.  Arrival order does not change the meaning.  A transaction id received again
// returns the original answer, byte for byte, and changes nothing; the same id with other
// content is refused (409).  An arrival older than the newest accepted event time by more
// than EngineOptions::late_after is refused as too late (422), never dropped silently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "decree/library.h"
#include "decree/run.h"
#include "decree/status.h"

namespace decree {

struct EngineOptions {
  std::string layout;                          // as RunOptions::layout
  std::map<std::string, std::string> tables;   // as RunOptions::tables, bound once at Open
  std::vector<std::string> watch_lists;        // as RunOptions::watch_lists
  bool allow_partial_lists = false;
  // How far behind the newest accepted event time an arrival may be (microseconds; 0: 7 days).
  int64_t late_after_us = 0;
  // With a directory: every accepted decision is written to its log and synced before Decide
  // returns it; opening replays the log, so decisions continue after a crash as if none
  // happened.  Empty: state is held in memory only.
  std::string state_dir;
  // Rule ids left out of the decisions.  Path rules (fund flows across accounts) are not
  // decided online yet: a library with one must list it here, or Open refuses it.
  std::vector<std::string> skip_rules;
};

struct EngineAnswer {
  // 200 decided; 400 the record is rejected (reason: what the batch reader would say);
  // 409 the id was decided before with other content; 422 too late; 500 the state log failed.
  int status = 200;
  std::string txn_id;
  std::string decision;            // allow, review or block (status 200)
  std::vector<Finding> findings;   // the findings the transaction belongs to, sorted
  std::string library;             // content hash of the library that decided
  std::string explain;
  std::string reason;              // status != 200
  bool replayed = false;           // answered from an earlier decision of the same id
  std::string json;                // the answer as one JSON object (no newline)
};

struct EngineStats {
  uint64_t allow = 0, review = 0, block = 0;
  uint64_t replayed = 0, rejected = 0, conflicts = 0, too_late = 0, log_errors = 0;
  uint64_t records_held = 0;   // transactions in the state
  uint64_t partitions = 0;     // group keys (e.g. customers) with state
  uint64_t evicted = 0;        // transactions dropped past the retention horizon
  int64_t watermark_us = 0;    // newest accepted event time
  std::string library;
};

class Engine {
 public:
  // Binds the library's tables and lists; with options.state_dir, replays its log.
  static Status Open(std::shared_ptr<const Library> library, const EngineOptions& options, std::unique_ptr<Engine>* out);
  ~Engine();

  // Decides one record: a JSON object whose keys are the layout's column names and whose
  // values are JSON strings as in the CSV (numbers and booleans also accepted).  Thread-safe.
  EngineAnswer Decide(std::string_view record);
  // Decides records in order: the answers Decide gives called on each in turn (*answers gets
  // one per record), with the records read and their row-level parts evaluated together —
  // several times cheaper per record for a stream that arrives in bursts.  Thread-safe; the
  // batch is decided by one library even across a reload.
  void DecideBatch(std::span<const std::string_view> records, std::vector<EngineAnswer>* answers);
  // Decides one CSV record (RFC 4180, one line) whose columns `header` names (as a CSV batch's
  // header row reads, see CsvHeader): the same decision as the JSON object of those columns.
  EngineAnswer DecideCsv(const std::vector<std::string>& header, std::string_view line);
  // DecideCsv on each of `lines` in turn, the lines that read decided together (DecideBatch).
  void DecideCsvBatch(const std::vector<std::string>& header, std::span<const std::string_view> lines,
                      std::vector<EngineAnswer>* answers);
  // The column names of a CSV header line; an error names what is wrong with it.
  static Status CsvHeader(std::string_view line, std::vector<std::string>* out);

  // Swaps in another library (and its tables and lists) atomically: decisions in progress
  // finish on the old one.  The layout's fields must be the same; on any error the old
  // library stays and the error says why.
  Status Reload(std::shared_ptr<const Library> library, const EngineOptions& options);

  EngineStats stats() const;
  std::string library_hash() const;

  class Impl;

 private:
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace decree
