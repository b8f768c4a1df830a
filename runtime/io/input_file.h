// A batch file read in segments by several threads, each segment into the reading thread's
// own reused buffer (pread): the file is never mapped or held whole, so resident memory stays
// at a few segment buffers, and the pages a thread touches stay the same few (on a virtual
// machine with shadow paging, first touches of fresh pages are what a scan over a mapped
// file mostly pays for).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "decree/status.h"

namespace decree::io {

class InputFile {
 public:
  InputFile() = default;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  // A regular file is read where it lies; a pipe or device ("-" is standard input) is read into
  // memory, and refused when a line runs past `max_line` bytes without a line break (so
  // /dev/zero is an error, not an exhausted memory) or the whole past `max_buffered` (0: no
  // limit).
  Status Open(const std::string& path, uint64_t max_line = uint64_t{64} << 20, uint64_t max_buffered = 0);
  // Bytes already in memory (shared, not copied), named `name` in messages.
  void OpenBytes(const std::string& name, std::shared_ptr<const std::string> bytes);
  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // Whether the bytes came from OpenBytes (a source over them can be pointed at others).
  bool in_memory() const { return shared_ != nullptr; }
  // Appends the bytes [offset, offset + n) ∩ [0, size) to *out.  Thread-safe.
  Status ReadAt(uint64_t offset, size_t n, std::string* out) const;
  // An error if the file was written to since Open (its size, modification or change time
  // differ): what was read may mix two versions.  Readers call it after their last read.
  Status CheckUnchanged() const;

 private:
  struct Fingerprint {
    int64_t size = 0, mtime_s = 0, mtime_ns = 0, ctime_s = 0, ctime_ns = 0;
    bool operator==(const Fingerprint&) const = default;
  };
  Fingerprint opened_;
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool buffered_ = false;
  std::string buffer_;
  std::shared_ptr<const std::string> shared_;  // OpenBytes
};

// The segments of [begin, size): about `segment_bytes` each, each ending on a line break
// outside quotes (`quotes`: whether to track RFC 4180 quoting).  The reader of segment k reads
// its bytes, counts their quotes (segment k starts at a record boundary, so the parity there
// is even), finds where segment k + 1 starts and publishes it before it parses: boundaries
// cost no pass over the file of their own.  Read(k) waits for segment k - 1's reader, so
// segments must be read in order (each once, by any threads) — as exec's Parallel hands them
// out.  A record longer than a segment makes the next segment empty; one longer than
// `max_record` bytes is an error naming its line.
class SegmentReader {
 public:
  void Init(const InputFile* file, uint64_t begin, bool quotes, size_t segment_bytes, uint64_t max_record,
            uint64_t first_line);
  size_t count() const { return start_.empty() ? 0 : start_.size() - 1; }
  // Replaces *buf with the bytes of segment k, which are [*begin, *end) of the file.
  Status Read(size_t k, std::string* buf, uint64_t* begin, uint64_t* end);

 private:
  static constexpr uint64_t kUnknown = UINT64_MAX;
  void Publish(size_t k, uint64_t start);

  const InputFile* file_ = nullptr;
  uint64_t begin_ = 0;
  bool quotes_ = false;
  size_t segment_bytes_ = 0;
  uint64_t max_record_ = 0;
  uint64_t first_line_ = 1;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<uint64_t> start_;  // start_[k]: where segment k starts (kUnknown until found)
};

// "line N" for byte offsets in ascending order, counting line breaks from `first_line` at
// offset 0; "lines N–M" for a record whose last line starts at `last`.
class LineCounter {
 public:
  LineCounter(const InputFile& file, uint64_t first_line) : file_(file), line_(first_line) {}
  // The line holding byte `offset` (offsets ascending across calls).
  uint64_t LineAt(uint64_t offset);
  std::string Label(uint64_t pos, uint64_t last);

 private:
  const InputFile& file_;
  uint64_t line_, at_ = 0;
  std::string piece_;
};

}  // namespace decree::io
