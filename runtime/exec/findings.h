// Collecting findings from many producers (workers, finalize tasks) and putting them in one
// deterministic order: (rule, version, key values, first txn_id).
//
// Each producer fills its own FindingList.  A list either keeps Finding objects (for callers
// that want them in memory) or renders each finding to its JSON line at once and keeps only
// that line and a compact sort key (for `decree run`, whose output can be larger than memory
// should be: nothing is copied or moved more than once).
#pragma once

#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "decree/run.h"
#include "decree/status.h"
#include "exec/memory.h"

namespace decree::exec {

class FindingList {
 public:
  explicit FindingList(bool keep_objects) : keep_(keep_objects) {}
  // Takes the finding (keeping it, or rendering it; a rendered finding is left as it was).
  void Add(Finding&& f);
  size_t size() const { return keys_.size(); }
  bool keeps_objects() const { return keep_; }
  // Sorts this list by its keys (call before merging).
  void Sort();

  // Appends the sort key of a finding: its components separated by NUL bytes.
  static void AppendSortKey(const Finding& f, std::string* out);

 private:
  friend Status MergeFindings(std::vector<FindingList*>& lists, std::vector<Finding>* objects, FILE* out,
                              uint64_t* count);
  std::string_view key(size_t i) const { return keys_[i]; }
  std::string_view line(size_t i) const { return lines_[i]; }

  bool keep_;
  ByteArena arena_;                      // sort keys and JSON lines
  std::vector<std::string_view> keys_;
  std::vector<uint32_t> order_;          // after Sort(): positions in key order
  std::deque<Finding> objects_;          // keep_
  std::vector<std::string_view> lines_;  // !keep_: JSON lines with their newlines
  std::string scratch_;
};

// Merges sorted lists: moves Finding objects into *objects, or writes JSON lines to `out`.
Status MergeFindings(std::vector<FindingList*>& lists, std::vector<Finding>* objects, FILE* out, uint64_t* count);

}  // namespace decree::exec
