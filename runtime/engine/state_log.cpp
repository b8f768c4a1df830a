#include "engine/state_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "decree/sha256.h"

namespace decree::engine {

namespace {

std::string Checksum(std::string_view rest) { return Sha256Hex(rest).substr(0, 16); }

Status Errno(const std::string& what) { return Status::IoError(fmt::format("{}: {}", what, std::strerror(errno))); }

Status WriteAll(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return Errno(path);
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

StateLog::~StateLog() {
  if (fd_ >= 0) close(fd_);
  if (lock_fd_ >= 0) close(lock_fd_);
}

Status StateLog::Open(const std::string& dir, const ReplayFn& replay) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError(fmt::format("{}: {}", dir, ec.message()));
  std::string lock_path = dir + "/LOCK";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Errno(lock_path);
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::InvalidArgument(fmt::format("{}: the state is in use by another engine (locked)", dir));
  }
  path_ = dir + "/decisions.log";
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return Errno(path_);
  // Read it whole, line by line (a restart reads what it must replay anyway).
  std::string data;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(path_);
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  size_t at = 0;
  uint64_t line = 0;
  while (at < data.size()) {
    size_t nl = data.find('\n', at);
    ++line;
    std::string_view text(data.data() + at, (nl == std::string::npos ? data.size() : nl) - at);
    // The last line: nothing but (at most) its line break follows it.
    bool last = nl == std::string::npos || nl + 1 == data.size();
    size_t space = text.find(' ');
    size_t tab = text.find('\t');
    bool good = nl != std::string::npos && space == 16 && tab != std::string_view::npos && tab > space &&
                Checksum(text.substr(17)) == text.substr(0, 16);
    if (!good) {
      if (!last) return Status::Corruption(fmt::format("{}: line {} is damaged (checksum or form); the state cannot be trusted", path_, line));
      // The torn tail of a write that was never acknowledged: cut it off.
      if (ftruncate(fd_, static_cast<off_t>(at)) != 0) return Errno(path_);
      data.resize(at);
      break;
    }
    Status st = replay(text.substr(17, tab - 17), text.substr(tab + 1), line);
    if (!st.ok()) return Status::Corruption(fmt::format("{}: line {}: {}", path_, line, st.message()));
    at = nl + 1;
  }
  written_ = synced_ = data.size();
  return Status::Ok();
}

Status StateLog::Append(std::string_view answer, std::string_view record, uint64_t* end) {
  std::lock_guard<std::mutex> lock(write_mu_);
  line_.assign(17, ' ');
  line_.append(answer);
  line_.push_back('\t');
  line_.append(record);
  std::string sum = Checksum(std::string_view(line_).substr(17));
  line_.replace(0, 16, sum);
  line_.push_back('\n');
  Status st = WriteAll(fd_, line_.data(), line_.size(), path_);
  if (!st.ok()) return st;
  written_ += line_.size();
  *end = written_;
  return Status::Ok();
}

Status StateLog::Sync(uint64_t end) {
  std::lock_guard<std::mutex> lock(sync_mu_);
  if (synced_ >= end) return Status::Ok();  // a sync since covered it
  uint64_t target;
  {
    std::lock_guard<std::mutex> w(write_mu_);
    target = written_;
  }
  if (fdatasync(fd_) != 0) return Errno(path_);
  synced_ = target;
  return Status::Ok();
}

uint64_t StateLog::size() const {
  std::lock_guard<std::mutex> lock(write_mu_);
  return written_;
}

}  // namespace decree::engine
