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

namespace decree::exec {

class FindingList {
 public:
  explicit FindingList(bool keep_objects) : keep_(keep_objects) {}
  void Add(Finding&& f);
  size_t size() const { return key_off_.size() - 1; }
  // Sorts this list by its keys (call before merging).
  void Sort();

  // Appends the sort key of a finding: its components separated by NUL bytes.
  static void AppendSortKey(const Finding& f, std::string* out);

 private:
  friend Status MergeFindings(std::vector<FindingList*>& lists, std::vector<Finding>* objects, FILE* out,
                              uint64_t* count);
  std::string_view key(size_t i) const { return std::string_view(key_blob_).substr(key_off_[i], key_off_[i + 1] - key_off_[i]); }
  std::string_view line(size_t i) const { return std::string_view(line_blob_).substr(line_off_[i], line_off_[i + 1] - line_off_[i]); }

  bool keep_;
  std::string key_blob_;                 // sort keys, back to back
  std::vector<size_t> key_off_{0};
  std::vector<uint32_t> order_;          // after Sort(): positions in key order
  std::deque<Finding> objects_;          // keep_
  std::string line_blob_;                // !keep_: JSON lines with their newlines, back to back
  std::vector<size_t> line_off_{0};
};

// Merges sorted lists: moves Finding objects into *objects, or writes JSON lines to `out`.
Status MergeFindings(std::vector<FindingList*>& lists, std::vector<Finding>* objects, FILE* out, uint64_t* count);

}  // namespace decree::exec
