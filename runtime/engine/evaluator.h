// One library bound for online decisions: its layout, tables and lists, how records partition,
// and the two operations the engine needs — reading and evaluating one record as the batch
// reader and evaluator would (once, when it arrives), and deciding it over the records held
// with it exactly as decree::Run would (exec/incremental.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "decree/engine.h"
#include "exec/incremental.h"
#include "exec/run_source.h"
#include "exec/tables.h"
#include "ir/ir.h"

namespace decree::engine {

// A record accepted by the engine: its event time, its JSON object on one line (read again
// when a reloaded library must evaluate it; once held, in its compact form where it has one,
// engine/compact_record.h), and what it contributes to grouped rules
// (exec::Incremental::Evaluation::contributions) under the library that evaluated it.
struct Held {
  int64_t time = 0;  // the layout's event time (microseconds UTC)
  std::string line;
  std::string contributions;
};

// The first 16 bytes of the SHA-256 of a record's values (Evaluator::ParseRecord).
using Digest = std::array<uint8_t, 16>;

// A record read and evaluated for a decision: what the engine keys it by.
struct Parsed {
  Held held;
  std::string id;         // the layout's id field
  std::string partition;  // the partition key (see Evaluator::partition_field)
  Digest digest;          // equal exactly when every value is (key order, number form aside)
  exec::Incremental::Evaluation eval;
};

class Evaluator {
 public:
  // kNoState: only row rules, a decision needs the record alone.  kGlobal: some grouped rule
  // has no key field every grouped rule shares, so every record may meet every other.
  static constexpr int kNoState = ir::kNoGroupedRules, kGlobal = ir::kNoSharedKey;

  static Status Open(std::shared_ptr<const Library> library, const EngineOptions& options, std::unique_ptr<Evaluator>* out);

  const std::string& hash() const { return *hash_; }
  // The same, shared: an answer kept for replays names the library that gave it.
  const std::shared_ptr<const std::string>& shared_hash() const { return hash_; }
  const ir::Layout& layout() const { return *layout_; }
  // The layout field whose value partitions the state (kNoState, kGlobal, or a field index).
  int partition_field() const { return partition_field_; }
  // The widest sliding window of the layout's rules (microseconds).
  int64_t widest_window_us() const { return widest_window_us_; }
  // Replaces a record's line by its compact form, where it has one (engine/compact_record.h).
  void Compact(std::string* line) const;
  // The JSON text of a held line: the line itself, or its compact form expanded into *scratch.
  std::string_view Text(const std::string& line, std::string* scratch) const;
  // Whether another evaluator's records can be held in this one's state (same fields).
  bool SameRecords(const Evaluator& other) const;
  // Distinct for every evaluator opened: held contributions carry the one that made them.
  uint64_t generation() const { return generation_; }

  // Reads one JSON object (the batch reader's rules and reasons) and evaluates it (out->eval);
  // false with *reason (and out->id when the record's id could be read).
  bool ParseRecord(std::string_view json, Parsed* out, std::string* reason) const;
  // ParseRecord for each of `records` (out and reasons resized to match; a reason is empty
  // for a record read), their row-level evaluation done together: the same results, cheaper
  // per record.
  void ParseRecords(std::span<const std::string_view> records, std::vector<Parsed>* out, std::vector<std::string>* reasons) const;

  // The findings that include the record `p` over it and the records `held` with it (their
  // contributions made by this evaluator), sorted as decree::Run writes them.  When evaluation
  // rejects the record, *rejected says why.
  Status Decide(const Parsed& p, const std::vector<const std::string*>& held, std::vector<Finding>* findings,
                std::string* rejected) const;

 private:
  Evaluator() = default;
  std::shared_ptr<const Library> library_;
  std::shared_ptr<const std::string> hash_;  // library_'s content hash
  const ir::Layout* layout_ = nullptr;
  std::unique_ptr<exec::Tables> tables_;
  std::vector<std::string> rules_;  // the rules decided (empty: all of the layout's)
  std::vector<std::string> columns_;  // the layout's column names by field, then currency columns
  // An in-memory JSON Lines source over `bytes`, named `path` in messages: a pooled one
  // pointed at them (its codecs and column bindings kept), or a new one; given back after use.
  Status Source(const char* path, std::shared_ptr<std::string> bytes, std::unique_ptr<io::RowSource>* out) const;
  void GiveBack(std::unique_ptr<io::RowSource> source) const;
  // Compiled evaluators, one per thread at a time (exec::Incremental is not thread-safe), and
  // sources likewise.
  Status TakeIncremental(std::unique_ptr<exec::Incremental>* out) const;
  void GiveBack(std::unique_ptr<exec::Incremental> inc) const;
  // The pools, one per calling thread (up to kSlots threads, then shared): a thread takes back
  // the evaluator and source it gave back, still in its core's cache.  One shared pool handed
  // them from core to core, and two threads decided one record at a time slower than one.
  static constexpr size_t kSlots = 16;
  struct alignas(64) Slot {
    std::mutex mu;
    std::vector<std::unique_ptr<exec::Incremental>> incrementals;
    std::vector<std::unique_ptr<io::RowSource>> sources;
  };
  static size_t SlotOfThisThread();
  mutable Slot slots_[kSlots];
  uint64_t generation_ = 0;
  int partition_field_ = kNoState;
  int64_t widest_window_us_ = 0;
};

}  // namespace decree::engine
