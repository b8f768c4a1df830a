// libFuzzer target: the text decree run --engine reads and writes — ClickHouse's TabSeparated
// answers, the engine URL, and the regular expressions it lowers.  TabSeparated escaping must
// round-trip any value; a pattern SafePattern accepts must be a valid ICU expression (the
// native meaning); nothing may crash.
#include <unicode/regex.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "sql/clickhouse.h"
#include "sql/dialect.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string first = input.substr(0, input.find('\n'));
  decree::sql::Endpoint endpoint;
  std::string database;
  (void)decree::sql::ParseClickHouseUrl(first, &endpoint, &database);
  if (decree::sql::SafePattern(first)) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexPattern> p(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(first), 0, status));
    if (U_FAILURE(status)) std::abort();
  }
  std::string line;
  decree::sql::AppendTsv(input, &line);
  std::vector<std::string> back = decree::sql::SplitTsv(line);
  if (back.size() != 1 || back[0] != input) std::abort();
  (void)decree::sql::SplitTsv(input);
  return 0;
}
