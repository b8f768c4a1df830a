// Unsigned LEB128 varints (7 bits a byte, low first) for byte records: group contributions
// (exec/group_table.h) and held record lines (engine/compact_record.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace decree {

// Writes `v` at p; one past its last byte.
inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// The bytes PutVarint writes for `v`.
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Reads a varint PutVarint wrote at p into *v; one past its last byte.
inline const char* GetVarint(const char* p, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0;; shift += 7) {
    uint8_t b = static_cast<uint8_t>(*p++);
    r |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (b < 0x80) break;
  }
  *v = r;
  return p;
}

}  // namespace decree
