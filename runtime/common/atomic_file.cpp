#include "decree/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace decree {

AtomicFile::~AtomicFile() { Abandon(); }

Status ResolveLinks(const std::string& path, std::string* out) {
  namespace fs = std::filesystem;
  fs::path p(path);
  for (int hops = 0;; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(p, ec))) break;
    if (hops == 40) return Status::InvalidArgument(path + ": too many levels of symbolic links");
    fs::path link = fs::read_symlink(p, ec);
    if (ec) return Status::IoError(fmt::format("{}: {}", path, ec.message()));
    p = link.is_absolute() ? link : p.parent_path() / link;
  }
  *out = p.lexically_normal().string();
  return Status::Ok();
}

Status AtomicFile::Prepare(const std::string& path) {
  Abandon();
  path_ = path;
  direct_ = false;
  Status st = ResolveLinks(path, &target_);
  if (!st.ok()) return st;
  struct stat sb;
  if (stat(target_.c_str(), &sb) == 0) {
    if (S_ISDIR(sb.st_mode)) return Status::InvalidArgument(path + ": is a directory");
    direct_ = !S_ISREG(sb.st_mode);
  }
  return Status::Ok();
}

Status AtomicFile::Open(const std::string& path) {
  Status st = Prepare(path);
  if (!st.ok()) return st;
  if (direct_) {
    fd_ = open(target_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) return Status::IoError(fmt::format("{}: cannot open: {}", path_, std::strerror(errno)));
    active_ = true;
    return Status::Ok();
  }
  if (st = Reserve(path); !st.ok()) return st;
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

Status AtomicFile::Reserve(const std::string& path) {
  Status st = Prepare(path);
  if (!st.ok()) return st;
  if (direct_) return Status::InvalidArgument(path + ": not a regular file (a device or a pipe): this output must be a file");
  RemoveStaleTemporaries(target_);
  temp_ = fmt::format("{}.tmp.{}", target_, static_cast<long>(getpid()));
  std::remove(temp_.c_str());
  active_ = true;
  return Status::Ok();
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
  if (direct_) {
    int fd = fd_;
    fd_ = -1;
    active_ = false;
    if (fd >= 0 && close(fd) != 0) return Status::IoError(fmt::format("{}: cannot close: {}", path_, std::strerror(errno)));
    return Status::Ok();
  }
  if (fd_ < 0) {  // written by someone else (Reserve)
    fd_ = open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return Fail("cannot reopen the temporary file", errno);
  }
  if (fsync(fd_) != 0) return Fail("cannot flush to disk", errno);
  int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return Fail("cannot close", errno);
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) return Fail("cannot rename the temporary file into place", errno);
  active_ = false;
  return Status::Ok();
}

void AtomicFile::Abandon() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (active_ && !direct_) std::remove(temp_.c_str());
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
