#include "exec/memory.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <new>

namespace decree::exec {

namespace {

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

}  // namespace

char* AllocateBlock(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Populate now, in one call; where the kernel lacks it, pages fault in as they are touched.
  madvise(p, size, MADV_POPULATE_WRITE);
  return static_cast<char*>(p);
}

void FreeBlock(char* p, size_t bytes) { munmap(p, bytes); }

namespace {

// Standard-size blocks of finished runs, kept for the next run of the process instead of
// unmapped: unmapping hundreds of blocks costs a run milliseconds (page-table teardown and
// cross-CPU TLB flushes), a later run gets memory that is already mapped and touched, and at
// exit the kernel reclaims it all at once.  At most kRetainedBytes are kept.
constexpr size_t kRetainedBytes = 512u << 20;

struct Retained {
  std::mutex mu;
  std::vector<char*> blocks;
};

Retained& RetainedBlocks() {
  static Retained* r = new Retained();  // never destroyed: blocks may be returned during exit
  return *r;
}

}  // namespace

BlockPool::~BlockPool() {
  Retained& r = RetainedBlocks();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const auto& [size, p] : free_) {
    if (size == kBlockBytes && (r.blocks.size() + 1) * kBlockBytes <= kRetainedBytes) {
      r.blocks.push_back(p);
    } else {
      FreeBlock(p, size);
    }
  }
}

char* BlockPool::Get(size_t size) {
  uint64_t now = in_use_.fetch_add(size, std::memory_order_relaxed) + size;
  for (uint64_t p = peak_.load(std::memory_order_relaxed); now > p && !peak_.compare_exchange_weak(p, now);) {
  }
  if (limit_ > 0 && now > limit_) over_.store(true, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = free_.size(); i-- > 0;) {
      if (free_[i].first == size) {
        char* p = free_[i].second;
        free_[i] = free_.back();
        free_.pop_back();
        return p;
      }
    }
  }
  if (size == kBlockBytes) {
    Retained& r = RetainedBlocks();
    std::lock_guard<std::mutex> lock(r.mu);
    if (!r.blocks.empty()) {
      char* p = r.blocks.back();
      r.blocks.pop_back();
      return p;
    }
  }
  return AllocateBlock(size);
}

void BlockPool::Put(char* p, size_t size) {
  in_use_.fetch_sub(size, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  free_.emplace_back(size, p);
}

char* ByteArena::Allocate(size_t n) {
  if (blocks_.empty() || used_ + n > blocks_.back().size) {
    size_t size = n <= kBlockBytes ? kBlockBytes : (n + 4095) / 4096 * 4096;
    blocks_.push_back(Block{pool_ != nullptr ? pool_->Get(size) : AllocateBlock(size), size});
    used_ = 0;
  }
  char* p = blocks_.back().data + used_;
  used_ += n;
  bytes_ += n;
  return p;
}

std::string_view ByteArena::Append(std::string_view bytes) {
  char* p = Allocate(bytes.size());
  std::memcpy(p, bytes.data(), bytes.size());
  return std::string_view(p, bytes.size());
}

void ByteArena::Clear() {
  for (const Block& b : blocks_) {
    if (pool_ != nullptr) {
      pool_->Put(b.data, b.size);
    } else {
      FreeBlock(b.data, b.size);
    }
  }
  blocks_.clear();
  used_ = bytes_ = 0;
}

void BlockPool::Charge(int64_t bytes) {
  if (bytes < 0) {
    in_use_.fetch_sub(static_cast<uint64_t>(-bytes), std::memory_order_relaxed);
    return;
  }
  uint64_t now = in_use_.fetch_add(static_cast<uint64_t>(bytes), std::memory_order_relaxed) + static_cast<uint64_t>(bytes);
  for (uint64_t p = peak_.load(std::memory_order_relaxed); now > p && !peak_.compare_exchange_weak(p, now);) {
  }
  if (limit_ > 0 && now > limit_) over_.store(true, std::memory_order_relaxed);
}

}  // namespace decree::exec
