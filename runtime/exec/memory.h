// Large, append-only memory for the runtime's bulk data (contribution records, rendered
// findings).
//
// Blocks are mapped directly and populated in one call (MADV_POPULATE_WRITE) instead of page
// fault by page fault: on a virtual machine, where a fault is expensive, that is about five
// times cheaper.  An arena's blocks start at 64 KiB and double up to 2 MiB (so the many small
// arenas of a run stay small); 2 MiB blocks are aligned and also ask for transparent huge
// pages.  Bytes appended never move, so views into them stay valid until the arena is
// destroyed.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace decree::exec {

inline constexpr size_t kBlockBytes = 2u << 20;

// Returns `bytes` (a multiple of 4 KiB; 2 MiB-aligned when a multiple of 2 MiB) of zeroed,
// populated memory; throws std::bad_alloc when the system has none.
char* AllocateBlock(size_t bytes);
void FreeBlock(char* p, size_t bytes);

class ByteArena {
 public:
  ByteArena() = default;
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;
  ByteArena(ByteArena&& o) noexcept
      : blocks_(std::move(o.blocks_)), used_(o.used_), bytes_(o.bytes_), next_size_(o.next_size_) {
    o.blocks_.clear();
  }
  ~ByteArena() { Clear(); }

  // `n` contiguous bytes (never split across blocks).
  char* Allocate(size_t n);
  std::string_view Append(std::string_view bytes);
  size_t bytes() const { return bytes_; }
  void Clear();

 private:
  struct Block {
    char* data;
    size_t size;
  };
  std::vector<Block> blocks_;
  size_t used_ = 0;  // in the last block
  size_t bytes_ = 0;
  size_t next_size_ = 64 * 1024;
};

}  // namespace decree::exec
