#include "engine/compact_record.h"

#include <gtest/gtest.h>

namespace decree::engine {
namespace {

const std::vector<std::string> kColumns = {"txn_id", "booked_at", "amount", "cross_border", "purpose"};

// The compact form of `json` expanded again ("" when it is not compacted).
std::string RoundTrip(std::string_view json) {
  std::string compact = "kept";
  if (!CompactRecord(json, kColumns, &compact)) {
    EXPECT_EQ(compact, "kept");  // left as it was
    return "";
  }
  std::string_view form = std::string_view(compact).substr(4);
  EXPECT_TRUE(IsCompact(form));
  EXPECT_LT(form.size(), json.size());
  std::string out;
  ExpandRecord(form, kColumns, &out);
  return out;
}

TEST(CompactRecord, KeepsEveryValueAsWrittenInOrder) {
  std::string json = R"({"txn_id":"T1","booked_at":"2026-03-06T21:09:08-05:00","amount":"199999.99","cross_border":"true","purpose":"学费"})";
  EXPECT_EQ(RoundTrip(json), json);
  // Another order, numbers, literals, escapes inside values, whitespace between tokens.
  EXPECT_EQ(RoundTrip(" { \"amount\" : 12.50 ,\t\"txn_id\":\"a\\\"b\\\\\" , \"cross_border\": false,\"purpose\":null } \r\n"),
            R"({"amount":12.50,"txn_id":"a\"b\\","cross_border":false,"purpose":null})");
  EXPECT_EQ(RoundTrip(R"({"txn_id":"x","txn_id":"y"})"), R"({"txn_id":"x","txn_id":"y"})");  // as read: the reader decides
  EXPECT_EQ(RoundTrip("{}"), "{}");
  std::string long_value(300, 'z');
  std::string big = R"({"purpose":")" + long_value + R"(","txn_id":"T2"})";
  EXPECT_EQ(RoundTrip(big), big);  // a length over 127 takes two bytes
}

TEST(CompactRecord, TheLastLinesOrderIsOnlyAHint) {
  std::vector<uint8_t> order;
  for (std::string_view json : {R"({"txn_id":"1","amount":"2"})", R"({"txn_id":"3","amount":"4"})", R"({"amount":"5","txn_id":"6"})",
                                R"({"purpose":"x","amount":"5","txn_id":"6","booked_at":"t"})", R"({"txn_id":"7"})"}) {
    std::string compact, back;
    ASSERT_TRUE(CompactRecord(json, kColumns, &compact, &order)) << json;
    ExpandRecord(compact, kColumns, &back);
    EXPECT_EQ(back, json);
  }
  EXPECT_EQ(order, (std::vector<uint8_t>{0, 2, 0, 1}));  // the last line's first member, then the longest's
}

TEST(CompactRecord, LeavesAnythingElseAsItIs) {
  for (std::string_view json : {R"({"txn_id":{"a":1}})", R"({"txn_id":[1]})", R"({"unknown":"1"})", R"({"txn\u005fid":"1"})",
                                R"(["txn_id"])", R"({"txn_id":"1"} x)", R"({"txn_id":"1)", R"({"txn_id":})", R"({"txn_id" "1"})",
                                R"({"txn_id":"1",})", R"({"txn_id":"1")", "", "   "}) {
    EXPECT_EQ(RoundTrip(json), "") << json;
  }
}

}  // namespace
}  // namespace decree::engine
