// Fund-flow paths (RuleKind::kPath, ir::PathSpec): phase 1 collects each worker's hops
// (HopBuffer); phase 2 searches the paths of the whole batch (FindPaths) and makes one finding
// per rule and first hop.  Hops link across customers, so a path rule is not partitioned by
// key: its search is split by first hop over threads, reading one shared index of the hops by
// (paying account, time).
#pragma once

#include <memory>
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

struct Hop {
  std::string_view txn, from, to;  // in the HopBuffer's arena
  int64_t at = 0;                  // UTC microseconds
  i128 amount = 0;                 // at kHopScale
};

// One worker's hops of one path rule.
class HopBuffer {
 public:
  explicit HopBuffer(BlockPool* pool) : arena_(pool) {}
  // Appends the hop of `row`, from the flow's evaluated fields (ir::PathKey order).  False
  // when the amount has more than kHopScale decimals (the caller rejects the row).
  bool Add(std::string_view txn, const std::vector<Vec>& fields, uint32_t row);
  const std::vector<Hop>& hops() const { return hops_; }
  void Clear() {
    hops_.clear();
    arena_.Clear();
  }

 private:
  ByteArena arena_;
  std::vector<Hop> hops_;
};

// Every worker's hops of one flow, indexed by (paying account, time) and (receiving account,
// time).  Path rules over the same flow share one.
struct HopIndex;
std::shared_ptr<const HopIndex> BuildHopIndex(const std::vector<const HopBuffer*>& buffers, int threads);

// The findings of path rule `info` over the hops of its flow, into sorted lists (one per task)
// ready for the FindingMerger.  Deterministic: the same hops give the same findings whatever
// the threads or the order the hops were collected in.
Status FindPaths(const Plan& plan, const RuleInfo& info, const HopIndex& hops, int threads,
                 std::vector<std::unique_ptr<FindingList>>* lists);

}  // namespace decree::exec
