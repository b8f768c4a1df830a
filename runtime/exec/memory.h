// Large, append-only memory for the runtime's bulk data (contribution records, rendered
// findings).
//
// Blocks are mapped directly and populated in one call (MADV_POPULATE_WRITE) instead of page
// fault by page fault: on a virtual machine, where a fault is expensive, that is about five
// times cheaper.  Every block is kBlockBytes (a larger request gets a block of its own), so any
// block a run gives back to its BlockPool fits any later request, and each of the run's many
// arenas wastes at most part of one block.  Bytes appended never move, so views into them stay
// valid until the arena is cleared.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

namespace decree::exec {

inline constexpr size_t kBlockBytes = 256u << 10;

// Returns `bytes` (a multiple of 4 KiB) of zeroed, populated memory; throws std::bad_alloc
// when the system has none.
char* AllocateBlock(size_t bytes);
void FreeBlock(char* p, size_t bytes);

// Blocks given back during a run, for reuse: memory recycled this way is not unmapped,
// re-mapped and re-populated.  Thread-safe.  When destroyed, it hands its standard blocks to a
// process-wide cache (at most 512 MiB) that later pools draw on first, and unmaps the rest.
class BlockPool {
 public:
  BlockPool() = default;
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;
  ~BlockPool();
  char* Get(size_t size);
  void Put(char* p, size_t size);

  // A limit on the bytes in use (got and not put back); 0: none.  Get() never fails because of
  // it: it records that the limit was passed, and the run checks over_limit() between chunks
  // and phases and stops with a clear error (overshooting by at most a block per thread).
  void set_limit(uint64_t bytes) { limit_ = bytes; }
  uint64_t limit() const { return limit_; }
  bool over_limit() const { return over_.load(std::memory_order_relaxed); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }
  // Counts memory the run holds outside the pool's blocks (rejects in flight, tables, a
  // buffered stream) against the limit: +bytes when taken, -bytes when given back.
  void Charge(int64_t bytes);

 private:
  std::mutex mu_;
  std::vector<std::pair<size_t, char*>> free_;  // (size, block)
  uint64_t limit_ = 0;
  std::atomic<uint64_t> in_use_{0}, peak_{0};
  std::atomic<bool> over_{false};
};

class ByteArena {
 public:
  explicit ByteArena(BlockPool* pool = nullptr) : pool_(pool) {}
  ByteArena(const ByteArena&) = delete;
  ByteArena& operator=(const ByteArena&) = delete;
  ByteArena(ByteArena&& o) noexcept : pool_(o.pool_), blocks_(std::move(o.blocks_)), used_(o.used_), bytes_(o.bytes_) {
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
  BlockPool* pool_;
  std::vector<Block> blocks_;
  size_t used_ = 0;  // in the last block
  size_t bytes_ = 0;
};

}  // namespace decree::exec
