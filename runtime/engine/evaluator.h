// One library bound for online decisions: its layout, tables and lists, how records partition,
// and the two operations the engine needs — reading one record as the batch reader would, and
// evaluating a set of records exactly as decree::Run does.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "decree/engine.h"
#include "exec/run_source.h"
#include "exec/tables.h"
#include "ir/ir.h"

namespace decree::engine {

// A record accepted by the engine: its event time and its JSON object on one line (held as
// text, about a quarter of the memory of its values; read again by the batch reader when its
// partition is evaluated).
struct Held {
  int64_t time = 0;  // the layout's event time (microseconds UTC)
  std::string line;
};

// A record read for a decision: what the engine keys it by.
struct Parsed {
  Held held;
  std::string id;         // the layout's id field
  std::string partition;  // the partition key (see Evaluator::partition_field)
  std::string digest;     // equal exactly when every value is (key order, number form aside)
};

class Evaluator {
 public:
  // kNoState: only row rules, a decision needs the record alone.  kGlobal: some grouped rule
  // has no key field every grouped rule shares, so every record may meet every other.
  static constexpr int kNoState = ir::kNoGroupedRules, kGlobal = ir::kNoSharedKey;

  static Status Open(std::shared_ptr<const Library> library, const EngineOptions& options, std::unique_ptr<Evaluator>* out);

  const std::string& hash() const { return library_->content_hash(); }
  const ir::Layout& layout() const { return *layout_; }
  // The layout field whose value partitions the state (kNoState, kGlobal, or a field index).
  int partition_field() const { return partition_field_; }
  // The widest sliding window of the layout's rules (microseconds).
  int64_t widest_window_us() const { return widest_window_us_; }
  // Whether another evaluator's records can be held in this one's state (same fields).
  bool SameRecords(const Evaluator& other) const;

  // Reads one JSON object (the batch reader's rules and reasons); false with *reason (and
  // out->id when the record's id could be read).
  bool ParseRecord(std::string_view json, Parsed* out, std::string* reason) const;

  // Evaluates `lines` (JSON objects) as one batch; the findings whose txn_ids hold `id`,
  // sorted, go to *findings.  When the record `id` is rejected by evaluation, *rejected says why.
  Status Evaluate(const std::vector<const std::string*>& lines, const std::string& id, std::vector<Finding>* findings,
                  std::string* rejected) const;

 private:
  Evaluator() = default;
  std::shared_ptr<const Library> library_;
  const ir::Layout* layout_ = nullptr;
  std::unique_ptr<exec::Tables> tables_;
  std::vector<std::string> rules_;  // the rules decided (empty: all of the layout's)
  // An in-memory JSON Lines source over `bytes`, named `path` in messages: a pooled one
  // pointed at them (its codecs and column bindings kept), or a new one; given back after use.
  Status Source(const char* path, std::shared_ptr<std::string> bytes, std::unique_ptr<io::RowSource>* out) const;
  void GiveBack(std::unique_ptr<io::RowSource> source) const;
  // Compiled runs, one per thread at a time (exec::RunSession is not thread-safe), and
  // sources likewise.
  mutable std::mutex sessions_mu_;
  mutable std::vector<std::unique_ptr<exec::RunSession>> sessions_;
  mutable std::vector<std::unique_ptr<io::RowSource>> sources_;
  int partition_field_ = kNoState;
  int64_t widest_window_us_ = 0;
};

}  // namespace decree::engine
