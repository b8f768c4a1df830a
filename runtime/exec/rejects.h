// Rejected rows, streamed: each segment's rejects (the reader's and the evaluator's) are
// handed over when the segment is done, put in input order across segments, labelled ("line
// 17", "lines 11–20") and written to the rejects file as soon as every earlier segment is in,
// so a run holds the rejects of the segments in flight, not of the whole input.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "decree/atomic_file.h"
#include "decree/run.h"
#include "exec/memory.h"
#include "io/source.h"

namespace decree::exec {

class RejectSink {
 public:
  // `path` empty: every reject is kept in memory (TakeKept()); else they go to `path` as JSON
  // Lines and only the first `keep` are kept.
  // Held rejects are charged to `pool` (--max-memory).
  RejectSink(const io::RowSource& source, std::string path, size_t keep, BlockPool* pool);

  Status Open();
  // Segment s is done; `rejects` are its rejects in any order.  Thread-safe.
  Status Add(size_t s, std::vector<io::Reject> rejects);
  // After every segment: writes out the file (atomically).
  Status Commit();

  uint64_t count() const { return count_; }
  std::vector<RejectedRow> TakeKept() { return std::move(kept_); }

 private:
  Status Emit(std::vector<io::Reject>& rejects);  // under mu_

  const io::RowSource& source_;
  BlockPool* pool_;
  std::string path_;
  size_t keep_;
  std::mutex mu_;
  size_t next_ = 0;  // the first segment not yet written
  std::map<size_t, std::vector<io::Reject>> pending_;
  std::unique_ptr<io::PositionLabeler> labeler_;
  AtomicFile file_;
  std::string buffer_;
  uint64_t count_ = 0;
  std::vector<RejectedRow> kept_;
};

// One rejects-file line (without the newline).
void AppendRejectJson(const RejectedRow& r, std::string* out);

}  // namespace decree::exec
