#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

namespace decree::io {

MappedFile::~MappedFile() {
  if (mapped_) munmap(const_cast<char*>(data_), size_);
}

Status MappedFile::Open(const std::string& path) {
  path_ = path;
  int fd = path == "-" ? dup(0) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(fmt::format("{}: {}", path, std::strerror(errno)));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return Status::IoError(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    close(fd);
    return Status::InvalidArgument(path + ": is a directory");
  }
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED) return Status::IoError(fmt::format("{}: cannot map: {}", path, std::strerror(errno)));
    madvise(p, static_cast<size_t>(st.st_size), MADV_SEQUENTIAL);
    data_ = static_cast<const char*>(p);
    size_ = static_cast<size_t>(st.st_size);
    mapped_ = true;
    return Status::Ok();
  }
  // A pipe, or an empty file: read it all.
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      return Status::IoError(fmt::format("{}: {}", path, std::strerror(errno)));
    }
    if (n == 0) break;
    buffer_.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  data_ = buffer_.data();
  size_ = buffer_.size();
  return Status::Ok();
}

void MappedFile::Populate(size_t begin, size_t end) const {
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
  if (!mapped_ || end <= begin) return;
  const size_t page = 4096;
  size_t b = begin / page * page;
  madvise(const_cast<char*>(data_) + b, end - b, MADV_POPULATE_READ);  // best effort
}

void MappedFile::Release(size_t begin, size_t end) const {
  if (!mapped_) return;
  const size_t page = 4096;
  size_t b = (begin + page - 1) / page * page;
  size_t e = end / page * page;
  if (e > b) madvise(const_cast<char*>(data_) + b, e - b, MADV_DONTNEED);
}

}  // namespace decree::io
