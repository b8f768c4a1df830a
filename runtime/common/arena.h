// Strings that outlive the input buffer they were read from: StrRef views bytes owned by an
// input buffer, an Arena or a constant; an Arena copies bytes into 64 KiB blocks freed together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace decree {

// A view of string bytes owned by an input buffer, an arena or a constant.
struct StrRef {
  const char* data = nullptr;
  uint32_t size = 0;
  std::string_view view() const { return std::string_view(data, size); }
};

// Bump allocator: strings copied out of an input buffer (unescaped CSV fields, JSON strings)
// live here until Reset().  Not thread-safe; one per reader or worker.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  char* Allocate(size_t n);
  StrRef Copy(std::string_view s);
  void Reset();
  size_t bytes_allocated() const { return allocated_; }

 private:
  static constexpr size_t kBlock = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  size_t used_in_block_ = kBlock;
  size_t block_size_ = 0;
  size_t allocated_ = 0;
};

}  // namespace decree
