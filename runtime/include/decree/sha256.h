// SHA-256 (FIPS 180-4), computed by OpenSSL's libcrypto.  Used for the rule library's content
// hash, per-rule hashes (the analysis cache key), saved screening indexes and the input-file
// hashes recorded in the case store.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "decree/status.h"

namespace decree {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  // Appends a length-prefixed field, so that ("ab","c") and ("a","bc") hash differently.
  void UpdateField(std::string_view s);
  std::array<uint8_t, 32> Finish();
  // Lower-case hex of Finish().
  std::string FinishHex();

 private:
  void* ctx_;  // EVP_MD_CTX
};

std::string Sha256Hex(std::string_view data);
// The digest of `data`, with a context kept per thread (for many small inputs).
std::array<uint8_t, 32> Sha256Digest(std::string_view data);

// The SHA-256 of a whole file (hex) and its size, read sequentially in large blocks.
Status Sha256File(const std::string& path, std::string* hex, uint64_t* bytes);

}  // namespace decree
