// libFuzzer target: the watch-list loaders and the screening index over what they load.  The
// first byte picks the format: 0 the UN consolidated list (XML), 1 OFAC's sdn.csv (with the rest
// split at the first two NUL bytes into alt.csv and add.csv), 2 watchlist.csv.  Any input must
// load or be refused with a reason naming where, never crash, hang or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "screen/index.h"
#include "screen/watchlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int kind = data[0] % 3;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<decree::screen::WatchList> lists;
  decree::Status st;
  if (kind == 0) {
    decree::screen::WatchList l;
    st = decree::screen::LoadUnXml(text, "fuzz.xml", &l);
    lists.push_back(std::move(l));
  } else if (kind == 1) {
    size_t a = text.find('\0');
    size_t b = a == std::string_view::npos ? a : text.find('\0', a + 1);
    std::string_view sdn = text.substr(0, a);
    std::string_view alt = a == std::string_view::npos ? std::string_view() : text.substr(a + 1, b == std::string_view::npos ? b : b - a - 1);
    std::string_view add = b == std::string_view::npos ? std::string_view() : text.substr(b + 1);
    decree::screen::WatchList l;
    st = decree::screen::LoadOfacSdn({sdn, "sdn.csv"}, {alt, "alt.csv"}, {add, "add.csv"}, &l);
    lists.push_back(std::move(l));
  } else {
    st = decree::screen::LoadWatchlistCsv(text, "watchlist.csv", &lists);
  }
  if (st.ok()) {
    std::unique_ptr<decree::screen::ScreeningIndex> index;
    (void)decree::screen::ScreeningIndex::Build(std::move(lists), &index);
  }
  return 0;
}
