// Batch inputs: a RowSource reads one layout's records from a file and hands out typed chunks.
//
// An input is split into segments that can be read concurrently (byte ranges of a CSV or
// JSON Lines file split at record boundaries; one segment for a SQLite table).  Every record
// is either delivered in a chunk or rejected with a reason: the reader never drops a row.
// Positions are cheap to record (byte offsets); they are turned into what users read ("line
// 17") only for the rows that need it, after reading.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/status.h"
#include "vector/vector.h"
#include "ir/ir.h"

namespace decree::io {

struct Reject {
  uint64_t pos = 0;       // input position (see RowSource::NewLabeler)
  uint64_t last = 0;      // a record over several lines: where its last line starts; else 0
  std::string record_id;  // the record's key field, when it could be read
  std::string reason;
};

struct SegmentResult {
  uint64_t rows_read = 0;  // records delivered + records rejected
  uint64_t blank_lines = 0;     // line-based inputs: blank lines skipped
  uint64_t multiline_rows = 0;  // records spanning several lines
  uint64_t extra_lines = 0;     // the lines those records span beyond their first
  std::vector<Reject> rejects;
};

// Turns input positions into what users read ("line 17", "lines 11–20", "rowid 3"), for
// rejects in ascending position order.  Single-threaded; may read the input again.
class PositionLabeler {
 public:
  virtual ~PositionLabeler() = default;
  virtual std::string Label(uint64_t pos, uint64_t last) = 0;
};

using ChunkFn = std::function<void(const Chunk&)>;

class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual size_t segment_count() const = 0;
  // Reads one segment.  Thread-safe for distinct segments.  `on_chunk` sees every chunk of
  // valid rows; its strings stay valid only during the call.
  virtual Status ReadSegment(size_t segment, const ChunkFn& on_chunk, SegmentResult* result) = 0;
  // A labeler for this input's positions.
  virtual std::unique_ptr<PositionLabeler> NewLabeler() const = 0;
  // What users read for each position ("line 17", "rowid 17"); positions sorted ascending.
  std::vector<std::string> Labels(const std::vector<uint64_t>& positions) const;
  // Whether positions are lines (CSV, JSON Lines): then the run counts blank and extra lines.
  virtual bool line_based() const { return false; }
  // Input size and bytes consumed so far, for progress.
  virtual uint64_t total_bytes() const = 0;
  uint64_t bytes_done() const { return bytes_done_.load(std::memory_order_relaxed); }
  // A short description of the format ("CSV", "JSON Lines", "SQLite table t").
  virtual std::string format_name() const = 0;
  // After the last segment: an error if the input file changed while it was read.
  virtual Status CheckUnchanged() const { return Status::Ok(); }
  // Points an in-memory source at other bytes of its format, named `path` in messages, keeping
  // what it prepared from the layout (codecs, column bindings): the online engine reads one
  // record after another this way.  False when this source cannot (then open a new one).
  virtual bool Rebind(const std::string& path, std::shared_ptr<const std::string> bytes) {
    (void)path;
    (void)bytes;
    return false;
  }

 protected:
  std::atomic<uint64_t> bytes_done_{0};
};


// Opens an input for `layout`: checks that it carries every column the layout binds (a missing
// column is an error naming it), and prepares its segments.
Status OpenSource(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout,
                  std::unique_ptr<RowSource>* out);

// The id and position label ("line 17") of every record of `spec` the layout accepts, in input
// order (filing validation points findings at lines).  Reads the input once, single-threaded.
Status RecordLabels(const InputSpec& spec, const ir::Program& program, const ir::Layout& layout,
                    std::vector<std::pair<std::string, std::string>>* out);

// In-memory records (test blocks, witnesses): one value per layout field, in field order.
std::unique_ptr<RowSource> MakeValueSource(const ir::Program& program, const ir::Layout& layout,
                                           std::vector<std::vector<ir::Value>> records);

}  // namespace decree::io
