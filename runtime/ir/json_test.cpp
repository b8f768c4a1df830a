#include "ir/json.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace decree
