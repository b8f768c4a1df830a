#include "io/jsonl_flat.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "io/jsonl_flat_reference.h"

namespace decree::io {
namespace {

using flat_reference::Disagreement;
using flat_reference::Member;
using flat_reference::Scan;

void ExpectAgrees(const std::string& line) { EXPECT_EQ(Disagreement(line), "") << line; }

const char* kRecord =
    R"({"txn_id":"T000000001","booked_at":"2026-03-24T06:57:49+08:00","customer_name":"张伟芳","amount":"32944.01",)"
    R"("n":12.50,"neg":-0,"big":123456789012345678901234567890,"flag":true,"off":false,"none":null,"empty":""})";

TEST(JsonlFlat, ReadsAPlainRecord) {
  std::vector<Member> m;
  ASSERT_TRUE(Scan(kRecord, &m));
  ASSERT_EQ(m.size(), 11u);
  EXPECT_EQ(m[2], (Member{"customer_name", FlatKind::kString, "张伟芳"}));
  EXPECT_EQ(m[4], (Member{"n", FlatKind::kNumber, "12.50"}));
  EXPECT_EQ(m[6].value, "123456789012345678901234567890");
  EXPECT_EQ(m[9].kind, FlatKind::kNull);
  EXPECT_EQ(m[10], (Member{"empty", FlatKind::kString, ""}));
  EXPECT_TRUE(Scan("  {  }  ", &m));
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(Scan("{ \"a\" :\t\"b\" ,\r\"c\": 1 }", &m));
  ExpectAgrees(kRecord);
}

TEST(JsonlFlat, LeavesEverythingElseToTheFullParser) {
  std::vector<Member> m;
  for (const char* line : {
           R"({"a":"x\"y"})",         // an escape
           R"({"a\n":"x"})",          // an escape in a key
           "{\"a\":\"x\x01y\"}",      // a control character
           "{\"a\":\"\xff\"}",        // invalid UTF-8
           R"({"a":{"b":1}})",        // nested
           R"({"a":[1]})",            // nested
           R"({"a":01})",             // a leading zero
           R"({"a":1.})",             // no fraction digits
           R"({"a":-})",              // a sign alone
           R"({"a":1e})",             // no exponent digits
           R"({"a":tru})",            // not a literal
           R"({"a":"x"} x)",          // more after the object
           R"({"a":"x"}{"b":1})",     // two objects
           R"({"a":"x",})",           // a trailing comma
           R"({"a" "x"})",            // no colon
           R"({a:"x"})",              // an unquoted key
           R"(["a"])",                // not an object
           R"({"a":"x")",             // unterminated
           R"({"a":"x)",              // unterminated string
           "",
       }) {
    EXPECT_FALSE(Scan(line, &m)) << line;
  }
}

TEST(JsonlFlat, AnswersAsSimdjsonDoesOnMutatedRecords) {
  std::mt19937 rng(20261207);
  const std::string base = kRecord;
  const std::string alphabet = "{}[]:,\"\\ \t\r\n0123456789-+.eEtrufalsn\x01\x1f\x7f\xc3\xa9\xff";
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string line = base;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % (line.size() + 1);
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        case 1: if (at < line.size()) line.erase(at, 1); break;
        default: if (at < line.size()) line[at] = c; break;
      }
    }
    std::vector<Member> m;
    accepted += Scan(line, &m) ? 1 : 0;
    ASSERT_EQ(Disagreement(line), "") << line;
  }
  EXPECT_GT(accepted, 10000) << "the fast path should accept most single edits of a plain record";
}

}  // namespace
}  // namespace decree::io
