// Fund-flow paths (RuleKind::kPath, ir::PathSpec): phase 1 collects each worker's hops
// (HopBuffer); phase 2 searches the paths of the whole batch (FindPaths) and makes one finding
// per rule and first hop.  Hops link across customers, so a path rule is not partitioned by
// key: its search is split by first hop over threads, reading one shared index of the hops by
// (paying account, time).
#pragma once

#include <climits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/decimal.h"
#include "exec/findings.h"
#include "exec/memory.h"
#include "vector/vector.h"

namespace decree::exec {

struct Plan;
struct RuleInfo;

// Amounts of hops are compared at this scale (exactly: every money scale Decree reads fits).
inline constexpr int kHopScale = 8;

// Whether an amount of `scale` (<= kHopScale) decimals is exact at kHopScale.
inline bool FitsHopScale(i128 m, int scale) {
  i128 out;
  return Rescale(m, scale, kHopScale, &out);
}

struct Hop {
  std::string_view txn, from, to;  // in the HopBuffer's arena
  int64_t at = 0;                  // UTC microseconds
  i128 amount = 0;                 // at kHopScale
};

// Where hops go when they pass a run's memory budget: one temporary file shared by the
// workers, opened on first use in `dir`.
class HopSpill {
 public:
  explicit HopSpill(std::string dir) : dir_(std::move(dir)) {}
  // Writes `bytes` at a place of their own; its offset in *at.
  Status Write(const std::string& bytes, uint64_t* at);
  Status Read(uint64_t at, size_t n, std::string* out) const;

 private:
  std::string dir_;
  std::mutex mu_;
  bool open_ = false;
  SpillFile file_;
};

// A run of hops written to a HopSpill, in time order.
struct HopRun {
  uint64_t at = 0, bytes = 0;
};

// One worker's hops of one path rule: in memory, and in time-ordered runs spilled past
// `budget` bytes (0: never).
class HopBuffer {
 public:
  HopBuffer(BlockPool* pool, uint64_t budget, HopSpill* spill) : arena_(pool), budget_(budget), spill_(spill) {}
  // Appends the hop of `row`, from the flow's evaluated fields (ir::PathKey order), whose
  // amount FitsHopScale (the worker rejects the rows whose amount does not).
  void Add(std::string_view txn, const std::vector<Vec>& fields, uint32_t row);
  // Spills the hops in memory when they pass the budget (the first error stays in status()).
  void MaybeSpill();
  const std::vector<Hop>& hops() const { return hops_; }
  const std::vector<HopRun>& runs() const { return runs_; }
  const Status& status() const { return status_; }
  void Clear() {
    hops_.clear();
    runs_.clear();
    arena_.Clear();
  }

 private:
  ByteArena arena_;
  std::vector<Hop> hops_;
  uint64_t budget_;
  HopSpill* spill_;
  std::vector<HopRun> runs_;
  Status status_;
};

// Every worker's hops of one flow, indexed by (paying account, time) and (receiving account,
// time).  Path rules over the same flow share one.
struct HopIndex;
std::shared_ptr<const HopIndex> BuildHopIndex(const std::vector<const HopBuffer*>& buffers, int threads);
std::shared_ptr<const HopIndex> BuildHopIndex(std::vector<Hop>&& hops, int threads);

// The findings of path rule `info` over the hops of its flow, into sorted lists (one per task)
// ready for the FindingMerger.  Deterministic: the same hops give the same findings whatever
// the threads or the order the hops were collected in.
Status FindPaths(const Plan& plan, const RuleInfo& info, const HopIndex& hops, int threads,
                 std::vector<std::unique_ptr<FindingList>>* lists);
// The findings of the paths whose first hop lies in [from, until), added to `out` (one list
// per thread, left unsorted).
Status SearchPaths(const Plan& plan, const RuleInfo& info, const HopIndex& hops, int64_t from, int64_t until,
                   const std::vector<FindingList*>& out);

// When hops were spilled: the flow's hops merged in time order from every run and buffer, and
// the paths searched slice by slice of time, each over an index of the hops a path starting in
// the slice can reach (from `within` before it to max_hops × `within` after it).  Memory holds
// a slice's window of hops, not the batch's.  The same findings as FindPaths over all hops.
Status SweepPaths(const Plan& plan, const std::vector<const RuleInfo*>& rules, const std::vector<const HopBuffer*>& buffers,
                  const HopSpill& spill, int threads, std::vector<std::vector<std::unique_ptr<FindingList>>>* lists);

}  // namespace decree::exec
