// Screening names against watch lists (docs/screening.md): the UN Consolidated List (XML),
// OFAC's sdn.csv (with alt.csv and add.csv beside it), watchlist.csv, or a saved index.
//
//   std::unique_ptr<decree::WatchListIndex> index;
//   std::vector<std::string> notes;
//   decree::Status st = decree::WatchListIndex::Load({"consolidated.xml", "sdn.csv"}, {}, &index, &notes);
//   decree::ScreenBatchOptions o;  o.out_path = "hits.jsonl";
//   decree::ScreenBatchResult r;
//   st = decree::ScreenBatch(*index, "transactions.csv", o, &r);   // r.hits, r.rejects, ...
//
// A list loads whole or not at all (an error names the file and line).  An index is immutable
// once loaded and may be shared by threads.  Hits are identical whatever the thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/status.h"

namespace decree {

namespace screen {
class ScreeningIndex;
}

struct ScreenBatchOptions;
struct ScreenBatchResult;

struct WatchListLoadOptions {
  // Load an OFAC sdn.csv without its alt.csv and add.csv beside it (the notes then say so).
  bool allow_partial = false;
};

class WatchListIndex {
 public:
  struct List {
    std::string id, source;
    uint64_t entries = 0, names = 0;
  };

  // Loads the list files (any mix of formats) and builds the index; `notes` gets what the load
  // waived or noticed.
  static Status Load(const std::vector<std::string>& paths, const WatchListLoadOptions& options,
                     std::unique_ptr<WatchListIndex>* out, std::vector<std::string>* notes);
  ~WatchListIndex();

  std::vector<List> lists() const;
  uint64_t name_count() const;
  uint64_t vocabulary_size() const;  // distinct normalised tokens
  // Saves the index (SQLite, with the source files' SHA-256 and the normaliser's version) for
  // Load to read back as a list file.  CheckSavePath refuses a path that is not one (before
  // anything is loaded).
  Status Save(const std::string& path) const;
  static Status CheckSavePath(const std::string& path);

 private:
  friend Status ScreenBatch(const WatchListIndex& index, const std::string& input, const ScreenBatchOptions& options,
                            ScreenBatchResult* result);
  WatchListIndex();
  std::unique_ptr<screen::ScreeningIndex> index_;
  std::vector<std::string> sources_;
};

struct ScreenBatchOptions {
  InputFormat input_format = InputFormat::kAuto;  // kCsv or kJsonl; kAuto: by extension, then content
  double threshold = 0.92;  // the lowest score reported, in (0, 1]
  std::vector<std::string> columns = {"customer_name", "counterparty_name"};
  int threads = 0;          // 0: one per core
  bool all_pairs = false;   // score every list name (the reference) instead of using the index
  std::string allow_path;   // allow.csv of reviewed false positives; "" none
  std::string out_path = "-";  // hits as JSON Lines, written atomically; "-" standard output
  std::function<void(uint64_t bytes_done, uint64_t bytes_total, uint64_t rows)> progress;
};

struct ScreenBatchResult {
  uint64_t rows_read = 0, rows_screened = 0, rows_rejected = 0;
  uint64_t names_screened = 0, names_empty = 0;
  uint64_t hits = 0, allowed = 0;
  struct Reject {
    std::string where, txn_id, reason;  // where: "line N"
  };
  std::vector<Reject> rejects;
  std::vector<std::string> unused_allow_entries;  // "file:line (list entry)": allow-list entries no hit used
  // Work done: distinct names screened, list names considered and ruled out, token lookups.
  uint64_t queries = 0, candidates = 0, pruned = 0, token_lookups = 0, vocabulary_compared = 0;
  double seconds = 0;
};

// Screens the name columns of a CSV batch in the canonical layout: every row screened or
// rejected with its line and reason (rows_read = rows_screened + rows_rejected).
Status ScreenBatch(const WatchListIndex& index, const std::string& input, const ScreenBatchOptions& options,
                   ScreenBatchResult* result);

}  // namespace decree
