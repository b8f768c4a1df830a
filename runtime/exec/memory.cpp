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
  bool huge = size % kBlockBytes == 0;
  // Over-allocate to align a huge block on 2 MiB, which huge pages need.
  size_t span = huge ? size + kBlockBytes : size;
  void* p = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  uintptr_t start = reinterpret_cast<uintptr_t>(p);
  uintptr_t aligned = start;
  if (huge) {
    aligned = (start + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
    if (aligned > start) munmap(p, aligned - start);
    size_t tail = (start + span) - (aligned + size);
    if (tail > 0) munmap(reinterpret_cast<void*>(aligned + size), tail);
    madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  }
  // Populate now, in one call; where the kernel lacks it, pages fault in as they are touched.
  madvise(reinterpret_cast<void*>(aligned), size, MADV_POPULATE_WRITE);
  return reinterpret_cast<char*>(aligned);
}

void FreeBlock(char* p, size_t bytes) { munmap(p, bytes); }

char* ByteArena::Allocate(size_t n) {
  if (blocks_.empty() || used_ + n > blocks_.back().size) {
    size_t size = next_size_;
    while (size < n) size *= 2;
    if (size >= kBlockBytes) size = (size + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
    blocks_.push_back(Block{AllocateBlock(size), size});
    used_ = 0;
    next_size_ = std::min(kBlockBytes, size * 2);
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
  for (const Block& b : blocks_) FreeBlock(b.data, b.size);
  blocks_.clear();
  used_ = bytes_ = 0;
  next_size_ = 64 * 1024;
}

}  // namespace decree::exec
