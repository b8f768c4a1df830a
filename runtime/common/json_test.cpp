#include "decree/json.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

namespace decree {
namespace {

TEST(Json, WriterIsCompactAndEscapes) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("rule", "cn.pboc.lvtr.cash").Key("txn_ids").BeginArray().String("T1").String("a\"b\n").EndArray();
  w.Field("n", 3).FieldBool("ok", true).Key("x").Null().Field("名", "张伟").EndObject();
  EXPECT_EQ(out, R"({"rule":"cn.pboc.lvtr.cash","txn_ids":["T1","a\"b\n"],"n":3,"ok":true,"x":null,"名":"张伟"})");
}

TEST(Json, ParsesWhatItWrites) {
  JsonValue v;
  size_t off;
  std::string err;
  ASSERT_TRUE(ParseJson(R"( {"a": [1, -2.50, "x\u00e9\ud83d\ude00"], "b": {"c": null, "d": false}} )", &v, &off, &err)) << err;
  ASSERT_EQ(v.kind, JsonValue::Kind::kObject);
  const JsonValue* a = v.Get("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 3u);
  EXPECT_EQ(a->items[1].text, "-2.50");  // numbers keep their exact text
  EXPECT_EQ(a->items[2].text, "xé😀");
  EXPECT_EQ(v.Get("b")->Get("d")->kind, JsonValue::Kind::kBool);
}

TEST(Json, ReportsErrorsWithOffsets) {
  JsonValue v;
  size_t off = 0;
  std::string err;
  EXPECT_FALSE(ParseJson(R"({"a": 1,})", &v, &off, &err));
  EXPECT_EQ(off, 8u);
  EXPECT_FALSE(ParseJson("[1 2]", &v, &off, &err));
  EXPECT_FALSE(ParseJson("\"\\ud800\"", &v, &off, &err));  // lone surrogate
  EXPECT_FALSE(ParseJson("01", &v, &off, &err));
  std::string deep(10000, '[');
  EXPECT_FALSE(ParseJson(deep, &v, &off, &err));  // bounded, no stack overflow
  EXPECT_NE(err.find("deep"), std::string::npos);
}

TEST(Json, StrictWhereReadersDisagree) {
  JsonValue v;
  size_t off = 0;
  std::string err;
  // A duplicated key: some readers take the first value, some the last.
  EXPECT_FALSE(ParseJson(R"({"amount":"100.00","x":1,"amount":"999999.00"})", &v, &off, &err));
  EXPECT_NE(err.find("\"amount\" appears twice"), std::string::npos) << err;
  // Invalid UTF-8 inside a string never reaches a report.
  EXPECT_FALSE(ParseJson("{\"name\":\"a\xff\"}", &v, &off, &err));
  // Numbers keep their exact text.
  ASSERT_TRUE(ParseJson(R"({"a":12345678901234567890.123456789})", &v, &off, &err)) << err;
  EXPECT_EQ(v.Get("a")->text, "12345678901234567890.123456789");
  EXPECT_FALSE(ParseJson(R"({"a":1} {"b":2})", &v, &off, &err));
}

}  // namespace
}  // namespace decree

namespace decree {
namespace {

// The 16-bytes-at-a-time escaper agrees with a byte-at-a-time reference on strings dense in
// the bytes that need escaping, at every length and offset.
TEST(Json, EscapesLikeTheReference) {
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\u{:04x}", c);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
    }
    return out + "\"";
  };
  std::mt19937_64 rng(9);
  const char alphabet[] = {'a', '"', '\\', '\n', '\x01', '\x1f', ' ', '\x7f', '\x80', '\xe4', '\xff', 'z'};
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 70, 'x');
    for (char& c : s) c = rng() % 3 == 0 ? alphabet[rng() % sizeof(alphabet)] : static_cast<char>('a' + rng() % 26);
    ASSERT_EQ(JsonQuote(s), reference(s)) << testing::PrintToString(s);
  }
}

}  // namespace
}  // namespace decree
