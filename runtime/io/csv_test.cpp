#include "io/csv.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace decree::io {
namespace {

struct Record {
  std::vector<std::string> fields;
  CsvError error = CsvError::kNone;
  size_t end = 0;
  bool operator==(const Record&) const = default;
};

std::vector<Record> Reference(const std::string& s) {
  std::vector<Record> out;
  Arena arena;
  std::vector<CsvField> fields;
  size_t pos = 0;
  while (pos < s.size()) {
    Record r;
    NextCsvRecord(s.data(), s.size(), &pos, &fields, &r.error);
    for (const CsvField& f : fields) r.fields.emplace_back(CsvText(f, &arena));
    r.end = pos;
    out.push_back(r);
  }
  return out;
}

std::vector<Record> Scanned(const std::string& s) {
  std::vector<Record> out;
  Arena arena;
  std::vector<CsvField> fields;
  CsvScanner scanner(s.data(), 0, s.size());
  while (!scanner.done()) {
    Record r;
    scanner.Next(&fields, &r.error);
    for (const CsvField& f : fields) r.fields.emplace_back(CsvText(f, &arena));
    r.end = scanner.pos();
    out.push_back(r);
  }
  return out;
}

TEST(Csv, QuotedFieldsHoldCommasNewlinesAndQuotes) {
  std::vector<Record> r = Reference("a,\"b,c\",\"d\r\ne\",\"say \"\"hi\"\"\"\r\nx,,\"\"\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b,c", "d\r\ne", "say \"hi\""}));
  EXPECT_EQ(r[0].error, CsvError::kNone);
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"x", "", ""}));
}

TEST(Csv, LineEndingsAndBlankLines) {
  std::vector<Record> r = Reference("a,b\r\n\nc\r\nd");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].fields, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{""}));  // a blank line: one empty field
  EXPECT_EQ(r[2].fields, (std::vector<std::string>{"c"}));
  EXPECT_EQ(r[3].fields, (std::vector<std::string>{"d"}));  // no final newline
}

TEST(Csv, MalformedQuotesAreErrorsThatConsumeTheLine) {
  std::vector<Record> r = Reference("\"ab\"c,d\nok\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, CsvError::kCharAfterQuote);
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"ok"}));

  r = Reference("a\"b,c\nok\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].error, CsvError::kQuoteInField);
  EXPECT_EQ(r[1].fields, (std::vector<std::string>{"ok"}));

  r = Reference("x,\"never closed\nstill,inside\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].error, CsvError::kUnterminatedQuote);
}

TEST(Csv, CountByteMatchesALoop) {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 200; ++round) {
    std::string s(rng() % 700, 'a');
    for (char& c : s) c = "a\n,\"\xff"[rng() % 5];
    size_t from = s.empty() ? 0 : rng() % s.size();
    uint64_t expected = 0;
    for (size_t i = from; i < s.size(); ++i) expected += s[i] == '\n';
    EXPECT_EQ(CountByte(s.data() + from, s.size() - from, '\n'), expected);
  }
}

// The SSE2 scanner produces exactly what the byte-at-a-time reader produces, on random inputs
// dense in the bytes that matter, at every alignment and across 64-byte block boundaries.
TEST(Csv, ScannerMatchesReferenceOnRandomInput) {
  std::mt19937_64 rng(7);
  const char alphabet[] = {'a', 'b', ',', ',', '"', '\r', '\n', '\n', 'x', '\xe4', ' '};
  for (int round = 0; round < 3000; ++round) {
    size_t n = rng() % (round < 2000 ? 200 : 3000);
    std::string s;
    for (size_t i = 0; i < n; ++i) {
      // Runs of plain bytes, so that some fields are long and some records span blocks.
      if (rng() % 4 == 0) s.append(rng() % 90, 'z');
      s += alphabet[rng() % sizeof(alphabet)];
    }
    // Misalign the start within a buffer.
    size_t pad = rng() % 64;
    std::string buffer = std::string(pad, '#') + s;
    std::vector<Record> expected = Reference(s);
    std::vector<Record> actual;
    {
      Arena arena;
      std::vector<CsvField> fields;
      CsvScanner scanner(buffer.data(), pad, buffer.size());
      while (!scanner.done()) {
        Record r;
        scanner.Next(&fields, &r.error);
        for (const CsvField& f : fields) r.fields.emplace_back(CsvText(f, &arena));
        r.end = scanner.pos() - pad;
        actual.push_back(r);
      }
    }
    ASSERT_EQ(actual, expected) << "round " << round << " input: " << testing::PrintToString(s);
  }
}

TEST(Csv, ScannerMatchesReferenceOnWellFormedRows) {
  std::string s;
  for (int i = 0; i < 5000; ++i) {
    s += fmt::format("T{},2026-03-02T10:00:00+08:00,C{},person,", i, i % 97);
    s += (i % 7 == 0) ? "\"Wang, \"\"Wei\"\"\"" : "张伟";
    s += fmt::format(",A1,in,{}.25,CNY,cash,false,,,,person,CN,,", i * 13);
    s += (i % 11 == 0) ? "\"two\nlines\"\r\n" : "\n";
  }
  EXPECT_EQ(Scanned(s), Reference(s));
}

}  // namespace
}  // namespace decree::io
