// libFuzzer target: the JSON Lines reader's fast path (runtime/io/jsonl_flat.h) against
// simdjson.  Every line the fast path accepts, simdjson must accept with the same members;
// a disagreement aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/jsonl_flat_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t at = 0;
  while (at <= input.size()) {
    size_t nl = input.find('\n', at);
    if (nl == std::string::npos) nl = input.size();
    std::string line = input.substr(at, nl - at);
    if (!decree::io::flat_reference::Disagreement(line).empty()) std::abort();
    at = nl + 1;
  }
  return 0;
}
