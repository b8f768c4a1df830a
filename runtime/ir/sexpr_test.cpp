#include "ir/sexpr.h"

#include <gtest/gtest.h>

namespace decree {
namespace {

TEST(SExpr, RoundTrips) {
  SExpr e = SExpr::List({SExpr::Atom("rule"), SExpr::Str("第七条 \"quoted\"\n\x01"),
                         SExpr::List({SExpr::Atom("i"), SExpr::Atom("42")})});
  std::string text = PrintSExpr(e);
  SExpr back;
  std::string err;
  ASSERT_TRUE(ParseSExpr(text, &back, &err)) << err;
  EXPECT_EQ(PrintSExpr(back), text);
  EXPECT_EQ(back.items[1].text, "第七条 \"quoted\"\n\x01");
  ASSERT_NE(back.Find("i"), nullptr);
}

TEST(SExpr, RejectsMalformedAndDeep) {
  SExpr e;
  std::string err;
  EXPECT_FALSE(ParseSExpr("(a (b)", &e, &err));
  EXPECT_FALSE(ParseSExpr("(a))", &e, &err));
  EXPECT_FALSE(ParseSExpr("\"abc", &e, &err));
  EXPECT_FALSE(ParseSExpr("(\"\\q\")", &e, &err));
  EXPECT_FALSE(ParseSExpr(std::string(100000, '('), &e, &err));
  EXPECT_NE(err.find("deep"), std::string::npos);
  // As deep as the IR of a source expression at the compiler's nesting limit (256) and more.
  EXPECT_TRUE(ParseSExpr(std::string(400, '(') + std::string(400, ')'), &e, &err)) << err;
}

}  // namespace
}  // namespace decree
