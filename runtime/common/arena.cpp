#include "common/arena.h"

#include <cstring>

namespace decree {

char* Arena::Allocate(size_t n) {
  if (used_in_block_ + n > block_size_) {
    size_t size = n > kBlock / 4 ? n : kBlock;
    blocks_.emplace_back(new char[size]);
    block_size_ = size;
    used_in_block_ = 0;
    allocated_ += size;
  }
  char* p = blocks_.back().get() + used_in_block_;
  used_in_block_ += n;
  return p;
}

StrRef Arena::Copy(std::string_view s) {
  StrRef r;
  r.size = static_cast<uint32_t>(s.size());
  if (s.empty()) {
    r.data = "";
    return r;
  }
  char* p = Allocate(s.size());
  std::memcpy(p, s.data(), s.size());
  r.data = p;
  return r;
}

void Arena::Reset() {
  blocks_.clear();
  used_in_block_ = kBlock;
  block_size_ = 0;
  allocated_ = 0;
}

}  // namespace decree
