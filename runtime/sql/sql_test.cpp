// The pieces of the SQL target that are not checked against an engine by the differential
// tests: which regular expressions are lowered, TabSeparated text, the engine URL.
#include <gtest/gtest.h>

#include "sql/clickhouse.h"
#include "sql/dialect.h"

namespace decree::sql {
namespace {

TEST(SafePattern, TheSubsetIcuAndRe2ReadAlike) {
  for (const char* p : {"[0-9a-f]{64}", "[0-9A-Z]{14}", "F[0-9A-F]{12}-[0-9]{3,}", "20[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])",
                        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}", "a|b", "(ab)+c*d?", "[^0-9]+", "x{2}", "A B,C/D", "[-a]", "[a-]", "[0-9A-Fa-f_]", "x{0,1000}", "x{3,}"}) {
    EXPECT_TRUE(SafePattern(p)) << p;
  }
  // Escapes, `.`, anchors, flags, lazy or possessive quantifiers, unbalanced or empty parts.
  for (const char* p : {"\\d+", "62.*", "^62", "62$", "(?i)abc", "a+?", "a*+", "(ab", "ab)", "[]", "[a", "{2}", "a{,2}", "a{2,3,4}",
                        "a{x}", "*a", "a|*", "[\\w]", "[.]", "\xE4\xB8\xAD",
                        "[1--]", "[9-0]", "[a-Z]", "[0-z]", "[a-b-c]", "x{2,0}", "x{1001}", "x{,}", "[^--]", "[a&&b]", "[-a-]", "[:::]", "[[:digit:]]", "[=a=]"}) {
    EXPECT_FALSE(SafePattern(p)) << p;
  }
}

TEST(Tsv, EscapesRoundTrip) {
  const std::string value = std::string("a\tb\nc\\d\re") + '\0' + "f";
  std::string line;
  AppendTsv(value, &line);
  EXPECT_EQ(line.find('\t'), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  line += "\tsecond";
  std::vector<std::string> v = SplitTsv(line);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], value);
  EXPECT_EQ(v[1], "second");
  EXPECT_EQ(ChString("it's a \\ test"), "'it\\'s a \\\\ test'");
}

TEST(ClickHouseUrl, HostPortDatabase) {
  Endpoint e;
  std::string db;
  ASSERT_TRUE(ParseClickHouseUrl("clickhouse://127.0.0.1:8123/analytics", &e, &db).ok());
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 8123);
  EXPECT_EQ(db, "analytics");
  ASSERT_TRUE(ParseClickHouseUrl("clickhouse://ch.example:9000", &e, &db).ok());
  EXPECT_EQ(db, "default");
  for (const char* bad : {"http://h:1/d", "clickhouse://h/d", "clickhouse://h:0/d", "clickhouse://h:65536/d", "clickhouse://h:12x/d",
                          "clickhouse://h:1/d;DROP", "clickhouse://:1/d"}) {
    Status st = ParseClickHouseUrl(bad, &e, &db);
    EXPECT_FALSE(st.ok()) << bad;
    EXPECT_NE(st.message().find("clickhouse://HOST:PORT/DATABASE"), std::string::npos) << st.message();
  }
}

}  // namespace
}  // namespace decree::sql
