// SHA-256 (FIPS 180-4).  Used for the rule library's content hash, per-rule hashes (the
// analysis cache key) and input-file hashes recorded in the case store.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace decree {

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Appends a length-prefixed field, so that ("ab","c") and ("a","bc") hash differently.
  void UpdateField(std::string_view s);
  std::array<uint8_t, 32> Finish();
  // Lower-case hex of Finish().
  std::string FinishHex();

 private:
  void Block(const uint8_t* p);

  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string Sha256Hex(std::string_view data);

}  // namespace decree
