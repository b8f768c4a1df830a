// A read-only view of a whole input file: mmap for regular files (pages are released behind
// the readers, so resident memory stays bounded by what is in flight), a buffer for pipes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "decree/status.h"

namespace decree::io {

class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  Status Open(const std::string& path);
  std::string_view data() const { return std::string_view(data_, size_); }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Tells the OS the bytes in [begin, end) will not be read again (drops them from resident
  // memory; the page cache keeps them).  A no-op for buffered input.
  void Release(size_t begin, size_t end) const;
  // Maps [begin, end) in now, in one call, rather than a page fault at a time.
  void Populate(size_t begin, size_t end) const;

 private:
  std::string path_;
  const char* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
  std::string buffer_;
};

}  // namespace decree::io
