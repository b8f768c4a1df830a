#include "syntax/parser.h"

#include <gtest/gtest.h>

#include <random>

#include "syntax/printer.h"

namespace decree {
namespace {

struct Parsed {
  SourceManager sm;
  DiagnosticEngine diags{&sm};
  std::unique_ptr<ast::Module> module;

  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const Diagnostic& d : diags.Sorted()) out.push_back(d.code);
    return out;
  }
  bool has(const std::string& code) const {
    for (const std::string& c : codes()) {
      if (c == code) return true;
    }
    return false;
  }
};

std::unique_ptr<Parsed> Parse(std::string text) {
  auto p = std::make_unique<Parsed>();
  int id = p->sm.Add("input.decree", std::move(text));
  p->module = ParseModule(p->sm, id, &p->diags);
  return p;
}

constexpr const char* kHeader = "ruleset t.x\n  timezone \"Asia/Shanghai\"\nimport decree.canonical\n";

TEST(Parser, ValidRulesetParsesWithoutDiagnostics) {
  auto p = Parse(std::string(kHeader) +
                 "rule r \"第五条\"\n  for Transaction t where t.channel = cash and t.direction = in\n"
                 "  per t.customer_id, day(t.booked_at)\n  when sum(t.amount) >= 50000 CNY\n"
                 "  then report large_value within 5 business days\n");
  EXPECT_TRUE(p->codes().empty());
  ASSERT_TRUE(p->module->header);
  EXPECT_EQ(p->module->header->name.name, "t.x");
  ASSERT_EQ(p->module->decls.size(), 2u);
  const auto& rule = std::get<ast::RuleDecl>(p->module->decls[1]);
  EXPECT_EQ(rule.citation->value, "第五条");
  EXPECT_EQ(rule.per.size(), 2u);
  EXPECT_EQ(rule.verdicts[0].within.value(), "5");
}

TEST(Parser, ChineseIdentifiersAndStrings) {
  auto p = Parse("ruleset 中国.大额\nconst 阈值 = 50000 CNY\nlayout 交易 key 编号 { 编号: id\n 时间: timestamp }\n"
                 "rule 现金大额 \"第五条第一款\" for 交易 记录 where 记录.编号 = \"甲\" then flag 可疑 \"疑似拆分\"\n");
  EXPECT_TRUE(p->codes().empty()) << (p->codes().empty() ? "" : p->codes()[0]);
  const auto& rule = std::get<ast::RuleDecl>(p->module->decls[2]);
  EXPECT_EQ(rule.name.name, "现金大额");
  EXPECT_EQ(rule.for_clause.var.name, "记录");
  EXPECT_EQ(rule.verdicts[0].message.value(), "疑似拆分");
}

TEST(Parser, SoftKeywordsWorkAsNames) {
  auto p = Parse("ruleset k.w\nlayout L key source { source: id\n version: text\n direction: enum { in, out } }\n"
                 "rule in \"x\" for L t where t.direction = in and t.version = \"v\" then flag review\n");
  EXPECT_TRUE(p->codes().empty());
}

TEST(Parser, EmptyFileIsADiagnostic) {
  EXPECT_TRUE(Parse("")->has("E0108"));
  EXPECT_TRUE(Parse("// only a comment\n/* and another */\n")->has("E0108"));
}

TEST(Parser, BinaryGarbage) {
  std::mt19937 rng(7);
  std::string garbage;
  for (int i = 0; i < 100000; ++i) garbage.push_back(static_cast<char>(rng() & 0xFF));
  auto p = Parse(garbage);
  EXPECT_TRUE(p->has("E0100"));  // invalid UTF-8, located
  const Diagnostic d = p->diags.Sorted()[0];
  EXPECT_GT(d.range.line, 0);
  // Valid UTF-8 but nonsense: control characters and symbols; bounded number of errors.
  std::string nonsense;
  for (int i = 0; i < 100000; ++i) nonsense.push_back(static_cast<char>(1 + rng() % 0x7F));
  auto q = Parse(nonsense);
  EXPECT_TRUE(q->diags.has_errors());
  EXPECT_LE(q->diags.Sorted().size(), static_cast<size_t>(kMaxSyntaxErrors) + 1);
}

TEST(Parser, TenMegabyteSingleLines) {
  const size_t n = 10u << 20;
  // One enormous name.
  EXPECT_TRUE(Parse(std::string(n, 'a'))->has("E0101"));
  // An enormous string literal.
  EXPECT_TRUE(Parse("ruleset big\n  title \"" + std::string(n, 'x') + "\"\n")->has("E0109"));
  // Millions of tokens on one line.
  std::string many;
  many.reserve(n);
  while (many.size() < n) many += "x + ";
  EXPECT_TRUE(Parse("ruleset big\nconst c = " + many + "1\n")->has("E0109"));
  // A long but legal chain: 2,000 terms of `or` are one n-ary node, not a deep tree.
  std::string chain = "ruleset big\nconst c = true";
  for (int i = 0; i < 2000; ++i) chain += " or false";
  EXPECT_TRUE(Parse(chain + "\n")->codes().empty());
}

TEST(Parser, DeepNestingIsRejectedNotCrashed) {
  std::string deep = "ruleset d\nconst c = " + std::string(10000, '(') + "1" + std::string(10000, ')') + "\n";
  EXPECT_TRUE(Parse(deep)->has("E0105"));
  std::string nots = "ruleset d\nconst c = ";
  for (int i = 0; i < 10000; ++i) nots += "not ";
  EXPECT_TRUE(Parse(nots + "true\n")->has("E0105"));
  std::string sum = "ruleset d\nconst c = 1";
  for (int i = 0; i < 10000; ++i) sum += " + 1";
  EXPECT_TRUE(Parse(sum + "\n")->has("E0105"));  // a 10,000-deep left-leaning tree
}

TEST(Parser, UnterminatedString) {
  auto p = Parse("ruleset u\n  title \"never closed\n");
  ASSERT_TRUE(p->has("E0103"));
  Diagnostic d = p->diags.Sorted()[0];
  EXPECT_EQ(d.range.line, 2);
  EXPECT_EQ(d.range.col, 9);
}

TEST(Parser, UnterminatedCommentAndBadTimestamp) {
  EXPECT_TRUE(Parse("ruleset u\n/* open")->has("E0104"));
  EXPECT_TRUE(Parse("ruleset u\nconst t = 2026-03-01T10:00:00\n")->has("E0107"));
  EXPECT_TRUE(Parse("ruleset u\nconst t = \"bad \\q escape\"\n")->has("E0110"));
  EXPECT_TRUE(Parse("ruleset u\nconst t = 1 # 2\n")->has("E0102"));
}

TEST(Parser, SyntaxErrorsNameWhatWasExpected) {
  auto p = Parse("ruleset s\nrule r \"x\" for\n");
  ASSERT_TRUE(p->has("E0101"));
  Diagnostic d = p->diags.Sorted()[0];
  EXPECT_NE(d.message.find("expected"), std::string::npos) << d.message;
}

TEST(Parser, ReportsSeveralSyntaxErrorsInOneRun) {
  auto p = Parse("ruleset s\nrule a \"x\" for L t where then flag f\nrule b \"y\" for L t where t.x = = 1 then flag f\n"
                 "rule c \"z\" for L t where t.x > then flag f\n");
  EXPECT_GE(p->diags.error_count(), 3u);
}

}  // namespace
}  // namespace decree
