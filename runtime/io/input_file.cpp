#include "io/input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "decree/files.h"
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

Status InputFile::Open(const std::string& path, uint64_t max_line, uint64_t max_buffered) {
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
  // A pipe or a device: read it all, bounded.
  char buf[1 << 16];
  uint64_t line_start = 0, line = 1;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return Status::IoError(fmt::format("{}: {}", path, std::strerror(e)));
    }
    if (n == 0) break;
    for (const char* p = buf; (p = static_cast<const char*>(std::memchr(p, '\n', buf + n - p))) != nullptr; ++p) {
      line_start = buffer_.size() + static_cast<uint64_t>(p - buf) + 1;
      ++line;
    }
    buffer_.append(buf, static_cast<size_t>(n));
    const std::string name = path == "-" ? "standard input" : path;
    if (buffer_.size() - line_start > max_line) {
      close(fd);
      buffer_.clear();
      buffer_.shrink_to_fit();
      return Status::InvalidArgument(fmt::format("{}: line {} runs past {} without a line break (the longest record read): "
                                                 "not a line-based input?",
                                                 name, line, FormatBytes(max_line)));
    }
    if (max_buffered > 0 && buffer_.size() > max_buffered) {
      close(fd);
      buffer_.clear();
      buffer_.shrink_to_fit();
      return Status::ResourceExhausted(fmt::format("{}: more than {} from a stream, the memory allowed for it: write it to a "
                                                   "file and read that",
                                                   name, FormatBytes(max_buffered)));
    }
  }
  close(fd);
  buffered_ = true;
  size_ = buffer_.size();
  return Status::Ok();
}

void InputFile::OpenBytes(const std::string& name, std::shared_ptr<const std::string> bytes) {
  path_ = name;
  shared_ = std::move(bytes);
  buffered_ = true;
  size_ = shared_->size();
}

Status InputFile::ReadAt(uint64_t offset, size_t n, std::string* out) const {
  if (offset >= size_) return Status::Ok();
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - offset));
  if (buffered_) {
    out->append(shared_ ? *shared_ : buffer_, static_cast<size_t>(offset), n);
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

void SegmentReader::Init(const InputFile* file, uint64_t begin, bool quotes, size_t segment_bytes, uint64_t max_record,
                         uint64_t first_line) {
  file_ = file;
  max_record_ = max_record;
  first_line_ = first_line;
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
    if (start + buf->size() > approx + max_record_) {
      // No record boundary within the longest record allowed past this segment's share.
      uint64_t from = start + buf->size() - max_record_;
      LineCounter lines(*file_, first_line_);
      st = Status::InvalidArgument(fmt::format("{}: line {}: a record runs past {} without ending{}", file_->path(),
                                               lines.LineAt(from), FormatBytes(max_record_),
                                               quotes_ && inside ? " (inside a quoted field: a stray quote?)" : " (no line break)"));
      break;
    }
    st = file_->ReadAt(start + buf->size(), 64 << 10, buf);
  }
  if (!st.ok()) next = file_end;  // the run fails; later segments are empty
  buf->resize(static_cast<size_t>(std::min<uint64_t>(next - start, buf->size())));
  Publish(k + 1, next);
  *end = next;
  return st;
}

uint64_t LineCounter::LineAt(uint64_t offset) {
  offset = std::min(offset, file_.size());
  while (at_ < offset) {
    piece_.clear();
    size_t n = static_cast<size_t>(std::min<uint64_t>(offset - at_, 1 << 20));
    if (!file_.ReadAt(at_, n, &piece_).ok() || piece_.empty()) break;
    line_ += CountByte(piece_.data(), piece_.size(), '\n');
    at_ += piece_.size();
  }
  return line_;
}

std::string LineCounter::Label(uint64_t pos, uint64_t last) {
  uint64_t first = LineAt(pos);
  if (last <= pos) return fmt::format("line {}", first);
  return fmt::format("lines {}–{}", first, LineAt(last));
}

}  // namespace decree::io
