// The engine's durable state: an append-only log of accepted decisions, one line each,
// `<checksum> <answer JSON>\t<record JSON>\n`, the checksum the first 16 hex digits of the
// SHA-256 of the rest of the line.  An answer is returned only after its line is synced
// (fdatasync); one sync covers every line appended before it (group commit), so concurrent
// decisions share syncs.  Opening replays the lines in order; a torn last line (a crash in the
// middle of a write, never acknowledged) is cut off; a damaged line before the last is an
// error naming it.  The directory is locked (flock) against a second engine.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "decree/status.h"

namespace decree::engine {

class StateLog {
 public:
  using ReplayFn = std::function<Status(std::string_view answer, std::string_view record, uint64_t line)>;

  StateLog() = default;
  StateLog(const StateLog&) = delete;
  StateLog& operator=(const StateLog&) = delete;
  ~StateLog();

  Status Open(const std::string& dir, const ReplayFn& replay);
  // Appends one entry (not yet durable); *end is the log's size after it.
  Status Append(std::string_view answer, std::string_view record, uint64_t* end);
  // Returns once every byte before `end` is on disk.
  Status Sync(uint64_t end);
  uint64_t size() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1, lock_fd_ = -1;
  mutable std::mutex write_mu_;
  std::mutex sync_mu_;
  uint64_t written_ = 0;  // guarded by write_mu_
  uint64_t synced_ = 0;   // guarded by sync_mu_
  std::string line_;      // guarded by write_mu_
};

}  // namespace decree::engine
