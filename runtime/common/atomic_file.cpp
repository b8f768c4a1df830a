#include "common/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace decree {

AtomicFile::~AtomicFile() { Abandon(); }

Status AtomicFile::Open(const std::string& path) {
  Abandon();
  Reserve(path);
  fd_ = open(temp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    active_ = false;
    return Status::IoError(fmt::format("{}: cannot create {}: {}", path_, temp_, std::strerror(errno)));
  }
  return Status::Ok();
}

namespace {

// Removes "<path>.tmp.<pid>" files left by processes that no longer exist (killed mid-write):
// they were never the output, and would otherwise pile up beside it.
void RemoveStaleTemporaries(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  const std::string prefix = target.filename().string() + ".tmp.";
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove(e.path(), ec);
  }
}

}  // namespace

void AtomicFile::Reserve(const std::string& path) {
  Abandon();
  RemoveStaleTemporaries(path);
  path_ = path;
  temp_ = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
  std::remove(temp_.c_str());
  active_ = true;
}

Status AtomicFile::Fail(const char* what, int err) {
  Abandon();
  return Status::IoError(fmt::format("{}: {}: {}", path_, what, std::strerror(err)));
}

Status AtomicFile::Write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd_, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Fail("cannot write", n < 0 ? errno : ENOSPC);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status AtomicFile::Commit() {
  if (!active_) return Status::IoError(path_ + ": nothing to commit");
  if (fd_ < 0) {  // written by someone else (Reserve)
    fd_ = open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return Fail("cannot reopen the temporary file", errno);
  }
  if (fsync(fd_) != 0) return Fail("cannot flush to disk", errno);
  int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return Fail("cannot close", errno);
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) return Fail("cannot rename the temporary file into place", errno);
  active_ = false;
  return Status::Ok();
}

void AtomicFile::Abandon() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (active_) std::remove(temp_.c_str());
  active_ = false;
}

Status WriteFileAtomically(const std::string& path, std::string_view data) {
  if (path == "-") {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0) {
      return Status::IoError(fmt::format("standard output: cannot write: {}", std::strerror(errno)));
    }
    return Status::Ok();
  }
  AtomicFile f;
  Status st = f.Open(path);
  if (st.ok()) st = f.Write(data);
  if (st.ok()) st = f.Commit();
  return st;
}

}  // namespace decree
