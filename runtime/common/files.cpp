#include "decree/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace decree {

std::string FormatBytes(uint64_t n) {
  if (n >= (uint64_t{1} << 30)) return fmt::format("{:.4g} GiB", static_cast<double>(n) / (1 << 30));
  if (n >= (uint64_t{1} << 20)) return fmt::format("{:.4g} MiB", static_cast<double>(n) / (1 << 20));
  if (n >= (uint64_t{1} << 10)) return fmt::format("{:.4g} KiB", static_cast<double>(n) / (1 << 10));
  return fmt::format("{} bytes", n);
}

Status ReadWholeFile(const std::string& path, uint64_t max_bytes, std::string* out, const char* what) {
  out->clear();
  int fd = path == "-" ? dup(0) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(fmt::format("{}: cannot open the {}: {}", path, what, std::strerror(errno)));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  struct stat sb;
  if (fstat(fd, &sb) != 0) return Status::IoError(fmt::format("{}: {}", path, std::strerror(errno)));
  if (S_ISDIR(sb.st_mode)) return Status::InvalidArgument(fmt::format("{}: is a directory, not a {}", path, what));
  const bool regular = S_ISREG(sb.st_mode);
  if (regular && static_cast<uint64_t>(sb.st_size) > max_bytes) {
    return Status::InvalidArgument(fmt::format("{}: the {} is {}, more than the {} allowed", path, what,
                                               FormatBytes(static_cast<uint64_t>(sb.st_size)), FormatBytes(max_bytes)));
  }
  if (regular) out->reserve(static_cast<size_t>(sb.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError(fmt::format("{}: read error: {}", path, std::strerror(errno)));
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > max_bytes) {
      out->clear();
      out->shrink_to_fit();
      return Status::InvalidArgument(fmt::format("{}: the {} goes on past the {} allowed{}", path, what, FormatBytes(max_bytes),
                                                 regular ? " (it grew while being read)" : " (a stream or device without end?)"));
    }
    out->append(buf, static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace decree
