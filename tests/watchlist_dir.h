// Where the tests find the real UN and OFAC lists (read in place, never copied):
// $DECREE_WATCHLISTS, else ../shared/data/watchlists beside the source tree; "" when absent
// (the tests that need them skip, saying so).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace decree::testing_support {

inline std::string WatchlistDir() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("DECREE_WATCHLISTS")) candidates.push_back(env);
  candidates.push_back(std::string(DECREE_SOURCE_DIR) + "/../shared/data/watchlists");
  candidates.push_back("/work/shared/data/watchlists");
  for (const auto& c : candidates) {
    if (std::filesystem::exists(c + "/un_consolidated.xml") && std::filesystem::exists(c + "/ofac_sdn.csv")) return c;
  }
  return "";
}

}  // namespace decree::testing_support
