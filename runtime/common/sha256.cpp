#include "decree/sha256.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace decree {

namespace {

EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

// Fetched once: EVP_sha256() makes every initialization look the algorithm up again.
const EVP_MD* Md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return m != nullptr ? m : EVP_sha256();
  }();
  return md;
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(Ctx(ctx_), Md(), nullptr) != 1) std::abort();  // out of memory
}

Sha256::~Sha256() { EVP_MD_CTX_free(Ctx(ctx_)); }

void Sha256::Update(const void* data, size_t size) {
  if (size > 0) EVP_DigestUpdate(Ctx(ctx_), data, size);
}

void Sha256::UpdateField(std::string_view s) {
  uint8_t len[8];
  uint64_t n = s.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (56 - 8 * i));
  Update(len, 8);
  Update(s);
}

std::array<uint8_t, 32> Sha256::Finish() {
  std::array<uint8_t, 32> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(Ctx(ctx_), out.data(), &n);
  EVP_DigestInit_ex(Ctx(ctx_), Md(), nullptr);  // ready for reuse
  return out;
}

std::string Sha256::FinishHex() {
  static const char* kHex = "0123456789abcdef";
  std::array<uint8_t, 32> d = Finish();
  std::string s(64, '0');
  for (int i = 0; i < 32; ++i) {
    s[2 * i] = kHex[d[i] >> 4];
    s[2 * i + 1] = kHex[d[i] & 15];
  }
  return s;
}

std::string Sha256Hex(std::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.FinishHex();
}

std::array<uint8_t, 32> Sha256Digest(std::string_view data) {
  thread_local Sha256 h;  // a context per thread, reused: no allocation per call
  h.Update(data);
  return h.Finish();
}

Status Sha256File(const std::string& path, std::string* hex, uint64_t* bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::NotFound(fmt::format("{}: {}", path, std::strerror(errno)));
  constexpr size_t kBlock = 1 << 20;
  std::unique_ptr<char[]> buf(new char[kBlock]);
  Sha256 h;
  *bytes = 0;
  for (;;) {
    ssize_t n = read(fd, buf.get(), kBlock);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      return Status::IoError(fmt::format("{}: {}", path, std::strerror(e)));
    }
    if (n == 0) break;
    h.Update(buf.get(), static_cast<size_t>(n));
    *bytes += static_cast<uint64_t>(n);
  }
  close(fd);
  *hex = h.FinishHex();
  return Status::Ok();
}

}  // namespace decree
