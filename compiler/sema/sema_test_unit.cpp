// Sema: names, types, currencies, aggregates, links, tests.
#include <gtest/gtest.h>

#include "driver/compilation.h"

namespace decree {
namespace {

struct Result {
  std::unique_ptr<Compilation> c;
  bool ok = false;
  std::vector<Diagnostic> diags;

  bool has(const std::string& code) const {
    for (const Diagnostic& d : diags) {
      if (d.code == code) return true;
    }
    return false;
  }
  std::string dump() const {
    std::string s;
    for (const Diagnostic& d : diags) s += c->diags().RenderText(d, false);
    return s;
  }
};

constexpr const char* kPrelude =
    "ruleset t.s\n  timezone \"Asia/Shanghai\"\n  currency CNY\nimport decree.canonical\n";

Result Compile(const std::string& body, bool prelude = true) {
  Result r;
  CompileOptions o;
  o.inline_sources.emplace_back("test.decree", (prelude ? std::string(kPrelude) : std::string()) + body);
  r.c = std::make_unique<Compilation>(o);
  r.ok = r.c->Run();
  r.diags = r.c->diags().Sorted();
  return r;
}

TEST(Sema, CompilesAGroupRule) {
  Result r = Compile(
      "rule cash \"5(1)\" for Transaction t where t.channel = cash\n"
      "  per t.customer_id, day(t.booked_at), t.direction, currency_class(t.amount)\n"
      "  when currency_class = CNY and sum(t.amount) >= 50000 CNY\n"
      "    or currency_class = FX and sum(t.amount in USD using usd_rate) >= 10000 USD\n"
      "  then report large_value within 5 business days\n");
  ASSERT_TRUE(r.ok) << r.dump();
  const ir::Rule* rule = r.c->program().FindRule("t.s.cash");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->kind, ir::RuleKind::kGroup);
  ASSERT_EQ(rule->keys.size(), 4u);
  EXPECT_EQ(rule->keys[1].name, "day");
  ASSERT_EQ(rule->aggs.size(), 2u);
  // The key guard fixed the currency of the first sum.
  EXPECT_EQ(ir::TypeToString(rule->aggs[0].type), "money(4,CNY)?");
  EXPECT_EQ(ir::TypeToString(rule->aggs[1].type), "money(10,USD)?");
}

TEST(Sema, CurrencyMismatchIsATypeError) {
  EXPECT_TRUE(Compile("const x = 5 CNY + 5 USD\n").has("E0303"));
  Result r = Compile("rule r \"x\" for Transaction t where t.amount.currency = CNY when t.amount >= 5 USD then flag f\n");
  EXPECT_TRUE(r.has("E0303")) << r.dump();
}

TEST(Sema, UnknownCurrencyMustBeFixedFirst) {
  Result bad = Compile("rule r \"x\" for Transaction t when t.amount >= 50000 CNY then flag f\n");
  EXPECT_TRUE(bad.has("E0304")) << bad.dump();
  Result guarded = Compile("rule r \"x\" for Transaction t where t.amount.currency = CNY when t.amount >= 50000 CNY then flag f\n");
  EXPECT_TRUE(guarded.ok) << guarded.dump();
  Result in_and = Compile("rule r \"x\" for Transaction t when t.amount.currency = CNY and t.amount >= 50000 CNY then flag f\n");
  EXPECT_TRUE(in_and.ok) << in_and.dump();
  Result converted = Compile("rule r \"x\" for Transaction t when t.amount in USD using usd_rate >= 10000 USD then flag f\n");
  EXPECT_TRUE(converted.ok) << converted.dump();
}

TEST(Sema, NamesAndEnums) {
  Result r = Compile("rule r \"x\" for Transaction t where t.chanel = cash then flag f\n");
  ASSERT_TRUE(r.has("E0203"));
  EXPECT_NE(r.dump().find("did you mean `channel`"), std::string::npos);
  EXPECT_FALSE(r.has("E0201"));  // no cascade on `cash`
  EXPECT_TRUE(Compile("rule r \"x\" for Transaction t where t.channel = wire then flag f\n").has("E0209"));
  EXPECT_TRUE(Compile("rule r \"x\" for Nope t then flag f\n").has("E0204"));
  EXPECT_TRUE(Compile("rule r \"x\" for Transaction t where t.channel = nothing_known and x then flag f\n").has("E0209"));
  EXPECT_TRUE(Compile("rule r \"x\" for Transaction t where t.channel < cash then flag f\n").has("E0311"));
}

TEST(Sema, AggregatesBelongToGroups) {
  EXPECT_TRUE(Compile("rule r \"x\" for Transaction t when count(t) > 1 then flag f\n").has("E0308"));
  Result row_field = Compile("rule r \"x\" for Transaction t per t.customer_id when t.channel = cash then flag f\n");
  EXPECT_TRUE(row_field.has("E0308"));
  // An expression written like a key stands for the key.
  Result key = Compile("rule r \"x\" for Transaction t per t.customer_id, t.direction when t.direction = in and count(t) > 1 then flag f\n");
  EXPECT_TRUE(key.ok) << key.dump();
  EXPECT_TRUE(Compile("rule r \"x\" for Transaction t per t.customer_id when sum(count(t)) > 1 then flag f\n").has("E0308"));
}

TEST(Sema, WindowsAndDistinctCounts) {
  Result r = Compile(
      "const W = 168 hours\n"
      "rule fan_in \"x\" for Transaction t where t.channel = transfer and t.direction = in\n"
      "  per t.customer_id over sliding W\n  when count(distinct t.counterparty_id) >= 10\n  then flag suspicious\n");
  ASSERT_TRUE(r.ok) << r.dump();
  const ir::Rule* rule = r.c->program().FindRule("t.s.fan_in");
  EXPECT_EQ(rule->kind, ir::RuleKind::kWindow);
  EXPECT_EQ(rule->window.duration_us, 168LL * 3600 * 1000000);
  EXPECT_TRUE(Compile("rule r \"x\" for Transaction t per t.customer_id over sliding 5 CNY when count(t) > 1 then flag f\n").has("E0301"));
}

TEST(Sema, DuplicatesAndVersions) {
  EXPECT_TRUE(Compile("rule r \"a\" for Transaction t then flag f\nrule r \"b\" for Transaction t then flag f\n").has("E0202"));
  Result versions = Compile(
      "rule r \"a\" effective 2017-01-01 until 2018-06-30 for Transaction t then flag f\n"
      "rule r \"b\" effective 2018-07-01 for Transaction t then flag f\n");
  ASSERT_TRUE(versions.ok) << versions.dump();
  int n = 0;
  for (const ir::Rule& r : versions.c->program().rules) n += r.id == "t.s.r";
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(Compile("rule r \"a\" effective 2018-01-01 until 2017-01-01 for Transaction t then flag f\n").has("E0402"));
}

TEST(Sema, LetHelpersInlineAndCyclesAreCaught) {
  Result r = Compile(
      "let is_cny(x: Transaction) = x.amount.currency = CNY\n"
      "let round(m: money) = multiple_of(m, 10000 CNY)\n"
      "rule r \"x\" for Transaction t where is_cny(t) per t.customer_id, day(t.booked_at)\n"
      "  when count(t where round(t.amount)) >= 5 then flag f\n");
  EXPECT_TRUE(r.ok) << r.dump();
  EXPECT_TRUE(Compile("let a(t: Transaction) = b(t)\nlet b(t: Transaction) = a(t)\n"
                      "rule r \"x\" for Transaction t where a(t) then flag f\n")
                  .has("E0212"));
  EXPECT_TRUE(Compile("const A = B\nconst B = A\n").has("E0212"));
}

TEST(Sema, ExemptionsAndOverridesLink) {
  Result r = Compile(
      "exempt art7 \"7\" for Transaction t when t.exemption != \"\"\n"
      "rule a \"x\" for Transaction t then block\n"
      "rule b \"y\" for Transaction t where t.channel = cash then allow overrides a\n");
  ASSERT_TRUE(r.ok) << r.dump();
  const ir::Rule* a = r.c->program().FindRule("t.s.a");
  ASSERT_EQ(a->exempted_by.size(), 1u);
  EXPECT_EQ(a->exempted_by[0], "t.s.art7");
  EXPECT_EQ(r.c->program().FindRule("t.s.b")->overrides, std::vector<std::string>{"t.s.a"});
  EXPECT_TRUE(Compile("rule b \"y\" for Transaction t then allow overrides nothing\n").has("E0206"));
}

TEST(Sema, DecisionsAreFirstMatch) {
  Result r = Compile(
      "decide tier \"t\" for Transaction t exhaustive {\n"
      "  case high: when t.amount in USD using usd_rate >= 1000000 USD then classify risk as high\n"
      "  case low: then classify risk as low\n}\n");
  ASSERT_TRUE(r.ok) << r.dump();
  const ir::Rule* low = r.c->program().FindRule("t.s.tier.low");
  ASSERT_NE(low, nullptr);
  EXPECT_EQ(low->unless.size(), 1u);  // not when an earlier case matched
  ASSERT_EQ(r.c->program().decisions.size(), 1u);
  EXPECT_TRUE(r.c->program().decisions[0].exhaustive);
}

TEST(Sema, TestBlocks) {
  Result missing = Compile("rule r \"x\" for Transaction t then flag f\ntest \"t\" { given Transaction { txn_id: \"T1\" }\n expect r }\n");
  EXPECT_TRUE(missing.has("E0407"));
  Result bad_value = Compile(
      "rule r \"x\" for Transaction t then flag f\nconst base = Transaction { txn_id: \"T1\", amount: 1.001 CNY }\n");
  EXPECT_TRUE(bad_value.has("E0307"));  // CNY has two decimals
}

TEST(Sema, HeaderChecks) {
  EXPECT_TRUE(Compile("ruleset h\n  timezone \"Mars/Base\"\n", false).has("E0401"));
  EXPECT_TRUE(Compile("ruleset h\n  currency XXY\n", false).has("E0306"));
  EXPECT_TRUE(Compile("rule r \"x\" for T t then flag f\n", false).has("E0401"));
  // currency_class() needs the home currency of the ruleset.
  EXPECT_TRUE(Compile("ruleset h\nimport decree.canonical\nrule r \"x\" for Transaction t when currency_class(t.amount) = FX then flag f\n", false)
                  .has("E0401"));
}

TEST(Sema, ChineseNamesCompileEndToEnd) {
  Result r = Compile(
      "const 现金阈值 = 50000 CNY\n"
      "rule 现金大额 \"第五条\" for Transaction 交易 where 交易.channel = cash and 交易.amount.currency = CNY\n"
      "  per 交易.customer_id, day(交易.booked_at) as 日期\n  when sum(交易.amount) >= 现金阈值\n  then report 大额 within 5 business days\n");
  ASSERT_TRUE(r.ok) << r.dump();
  const ir::Rule* rule = r.c->program().FindRule("t.s.现金大额");
  ASSERT_NE(rule, nullptr);
  EXPECT_EQ(rule->keys[1].name, "日期");
  EXPECT_EQ(rule->verdicts[0].name, "大额");
}

}  // namespace
}  // namespace decree
