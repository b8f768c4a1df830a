// Collecting findings from many producers (workers, finalize tasks) and putting them in one
// deterministic order: (rule, version, key values, first txn_id).
//
// Memory stays bounded: once the findings held in memory pass a budget, a sorted list writes
// its JSON lines to a SpillFile and keeps only its sort keys; the merge reads the lines back
// in order.
//
// Each producer fills its own FindingList.  A list either keeps Finding objects (for callers
// that want them in memory) or renders each finding to its JSON line at once and keeps only
// that line and a compact sort key (for `decree run`, whose output can be larger than memory
// should be: nothing is copied or moved more than once).
#pragma once

#include <cstdio>
#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "decree/run.h"
#include "decree/status.h"
#include "exec/memory.h"

namespace decree::exec {

// An unnamed temporary file (removed when closed) that lists spill their lines to.
class SpillFile {
 public:
  SpillFile() = default;
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile();
  // Opens the file in `dir`; false (with errno) when it cannot.
  Status Open(const std::string& dir);
  // Reserves `n` bytes and returns where they start.
  uint64_t Reserve(uint64_t n) { return next_.fetch_add(n); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::atomic<uint64_t> next_{0};
};

// Findings whose due date counted Monday–Friday through a year their calendar does not cover
// (Finding::due_note): how many, and the distinct notes.
struct DueNotes {
  uint64_t count = 0;
  std::vector<std::string> texts;
  void Add(const std::string& note) {
    ++count;
    if (std::find(texts.begin(), texts.end(), note) == texts.end()) texts.push_back(note);
  }
  void Merge(const DueNotes& o) {
    count += o.count;
    for (const std::string& t : o.texts) {
      if (std::find(texts.begin(), texts.end(), t) == texts.end()) texts.push_back(t);
    }
  }
};

class FindingList {
 public:
  explicit FindingList(bool keep_objects, BlockPool* pool = nullptr)
      : keep_(keep_objects), key_arena_(pool), line_arena_(pool) {}
  // Takes the finding (keeping it, or rendering it; a rendered finding is left as it was).
  void Add(Finding&& f);
  size_t size() const { return keys_.size(); }
  const DueNotes& due_notes() const { return due_notes_; }
  bool keeps_objects() const { return keep_; }
  // Sorts this list by its keys (call before merging).
  void Sort();

  // Appends the sort key of a finding: its components separated by NUL bytes.
  static void AppendSortKey(const Finding& f, std::string* out);
  // The sort-key prefix every finding of one rule (id and version) starts with.
  static std::string RulePrefix(const std::string& rule, int version);
  // After Sort(): the key of the i-th finding in order.
  std::string_view key_in_order(size_t i) const { return key(order_[i]); }
  // After Sort(), for a list that keeps objects: moves them to *out in order, and empties the
  // list (its due notes too) for reuse.
  void TakeObjects(std::vector<Finding>* out);
  // After Sort(): moves the JSON lines to `file` (in order) and frees them.
  Status Spill(SpillFile* file);
  // Empties the list for reuse, as a new one would be; false (and nothing done) once spilled.
  bool Clear();
  size_t line_bytes() const { return line_arena_.bytes(); }

 private:
  friend class FindingMerger;
  std::string_view key(size_t i) const { return keys_[i]; }
  std::string_view line(size_t i) const { return lines_[i]; }

  bool keep_;
  ByteArena key_arena_;                  // sort keys
  ByteArena line_arena_;                 // JSON lines, until spilled
  std::vector<std::string_view> keys_;
  std::vector<uint32_t> order_;          // after Sort(): positions in key order
  std::deque<Finding> objects_;          // keep_
  std::vector<std::string_view> lines_;  // !keep_: JSON lines with their newlines
  std::string scratch_;
  DueNotes due_notes_;
  std::string prefix_, prefix_rule_, prefix_citation_, prefix_version_;  // the last rule's JSON part
  // After Spill(): the lines' lengths in sort order and where the first one starts.
  bool spilled_ = false;
  int spill_fd_ = -1;
  uint64_t spill_at_ = 0;
  std::vector<uint32_t> spilled_len_;
};

// A stretch [from, to) of a sorted list, in sort order.
struct ListRange {
  FindingList* list;
  size_t from, to;
};

// Writes findings in order: merges sorted ranges, and moves the Finding objects into a
// vector or writes the JSON lines to a file descriptor.  Call Merge once per rule, in rule
// order.  With several threads and a regular file, a merge is split into key ranges merged in
// parallel, each written at its own offset: the file is the same as the sequential merge's.
class FindingMerger {
 public:
  // `name` (the output's path) is named in write errors.
  FindingMerger(std::vector<Finding>* objects, int fd, std::string name = "findings");
  ~FindingMerger();
  Status Merge(const std::vector<ListRange>& ranges, int threads = 1);
  // Objects go to `sink` in order instead of into the vector (which must still be given).
  void set_sink(std::function<void(Finding&&)> sink) { sink_ = std::move(sink); }
  // Called after each Merge with the output's descriptor and how many bytes of it are
  // complete (only for a regular file).
  void set_written_callback(std::function<void(int, uint64_t)> f) { on_written_ = std::move(f); }
  // Waits for the background sync and leaves the file position at the end of the findings.
  Status Flush();
  uint64_t count() const { return count_; }

 private:
  Status MergePart(const std::vector<ListRange>& ranges, const std::vector<size_t>& from, const std::vector<size_t>& to,
                   int64_t offset, std::string* buf);
  void SyncInBackground();
  void Written();

  std::vector<Finding>* objects_;
  int fd_;
  std::string name_;
  bool seekable_ = false;
  std::vector<std::string> buffers_;  // one per merge part, reused
  uint64_t count_ = 0;
  uint64_t written_ = 0, synced_ = 0;  // bytes written, and covered by a background sync
  std::thread sync_;                    // the background fdatasync, if one runs
  std::atomic<bool> syncing_{false};
  std::function<void(Finding&&)> sink_;
  std::function<void(int, uint64_t)> on_written_;
};

}  // namespace decree::exec
