#include "io/input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/csv.h"

namespace decree::io {

Status InputFile::CheckUnchanged() const {
  if (fd_ < 0) return Status::Ok();  // read into memory at Open
  struct stat st;
  if (fstat(fd_, &st) != 0) return Status::IoError(fmt::format("{}: {}", path_, std::strerror(errno)));
  Fingerprint now{st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
  if (now == opened_) return Status::Ok();
  return Status::IoError(fmt::format(
      "{}: the file changed while it was read ({} bytes when opened, {} now; modified since): the results would mix two "
      "versions of it, so none are written; run again on a copy that does not change",
      path_, opened_.size, now.size));
}

InputFile::~InputFile() {
  if (fd_ >= 0) close(fd_);
}

Status InputFile::Open(const std::string& path) {
  path_ = path;
  int fd = path == "-" ? dup(0) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(fmt::format("{}: {}", path, std::strerror(errno)));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return Status::IoError(fmt::format("{}: {}", path, std::strerror(e)));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return Status::InvalidArgument(path + ": is a directory");
  }
  if (S_ISREG(st.st_mode)) {
    fd_ = fd;
    size_ = static_cast<uint64_t>(st.st_size);
    opened_ = Fingerprint{st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    return Status::Ok();
  }
  // A pipe: read it all.
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return Status::IoError(fmt::format("{}: {}", path, std::strerror(e)));
    }
    if (n == 0) break;
    buffer_.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  buffered_ = true;
  size_ = buffer_.size();
  return Status::Ok();
}

Status InputFile::ReadAt(uint64_t offset, size_t n, std::string* out) const {
  if (offset >= size_) return Status::Ok();
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  if (buffered_) {
    out->append(buffer_, static_cast<size_t>(offset), n);
    return Status::Ok();
  }
  size_t at = out->size();
  out->resize(at + n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd_, out->data() + at + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int e = r < 0 ? errno : 0;
      out->resize(at + done);
      return Status::IoError(e != 0 ? fmt::format("{}: read at byte {}: {}", path_, offset + done, std::strerror(e))
                                    : fmt::format("{}: the file ended at byte {} while being read (it was {} bytes "
                                                  "when opened): was it changed or truncated?",
                                                  path_, offset + done, size_));
    }
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

void SegmentReader::Init(const InputFile* file, uint64_t begin, bool quotes, size_t segment_bytes) {
  file_ = file;
  begin_ = begin;
  quotes_ = quotes;
  segment_bytes_ = segment_bytes;
  uint64_t end = file->size();
  size_t pieces = begin < end ? static_cast<size_t>((end - begin + segment_bytes - 1) / segment_bytes) : 0;
  start_.assign(pieces + 1, kUnknown);
  if (pieces > 0) {
    start_[0] = begin;
    start_[pieces] = end;
  }
}

void SegmentReader::Publish(size_t k, uint64_t start) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (start_[k] == kUnknown) start_[k] = start;
  }
  cv_.notify_all();
}

Status SegmentReader::Read(size_t k, std::string* buf, uint64_t* begin, uint64_t* end) {
  buf->clear();
  uint64_t start;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return start_[k] != kUnknown; });
    start = start_[k];
  }
  const uint64_t file_end = file_->size();
  *begin = start;
  if (k + 1 == count()) {  // the last segment runs to the end of the file
    *end = file_end;
    return file_->ReadAt(start, static_cast<size_t>(file_end - start), buf);
  }
  // This segment's share, then on to the first line break outside quotes at or after it.
  const uint64_t approx = begin_ + static_cast<uint64_t>(k + 1) * segment_bytes_;
  Status st = file_->ReadAt(start, static_cast<size_t>(approx > start ? approx - start : 0), buf);
  bool inside = false;
  if (st.ok() && quotes_) inside = (CountByte(buf->data(), buf->size(), '"') & 1) != 0;
  size_t scan = buf->size();
  uint64_t next = file_end;
  while (st.ok()) {
    for (; scan < buf->size(); ++scan) {
      char c = (*buf)[scan];
      if (quotes_ && c == '"') {
        inside = !inside;
      } else if (c == '\n' && !inside) {
        next = start + scan + 1;
        break;
      }
    }
    if (next != file_end || start + buf->size() >= file_end) break;
    st = file_->ReadAt(start + buf->size(), 64 << 10, buf);
  }
  if (!st.ok()) next = file_end;  // the run fails; later segments are empty
  buf->resize(static_cast<size_t>(std::min<uint64_t>(next - start, buf->size())));
  Publish(k + 1, next);
  *end = next;
  return st;
}

std::vector<std::string> LineLabels(const InputFile& file, const std::vector<uint64_t>& positions, uint64_t first_line) {
  std::vector<std::string> out;
  out.reserve(positions.size());
  uint64_t line = first_line, at = 0;
  std::string piece;
  for (uint64_t p : positions) {
    p = std::min(p, file.size());
    while (at < p) {
      piece.clear();
      size_t n = static_cast<size_t>(std::min<uint64_t>(p - at, 1 << 20));
      if (!file.ReadAt(at, n, &piece).ok() || piece.empty()) break;
      line += CountByte(piece.data(), piece.size(), '\n');
      at += piece.size();
    }
    out.push_back(fmt::format("line {}", line));
  }
  return out;
}

}  // namespace decree::io
