#include "syntax/printer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "syntax/parser.h"

namespace decree {
namespace {

std::unique_ptr<ast::Module> ParseOk(const std::string& text, SourceManager* sm) {
  DiagnosticEngine diags(sm);
  int id = sm->Add("x.decree", text);
  auto m = ParseModule(*sm, id, &diags);
  for (const Diagnostic& d : diags.Sorted()) ADD_FAILURE() << diags.RenderText(d, false);
  return m;
}

// Every construct of the language, comments in awkward places.
constexpr const char* kEverything = R"(// leading comment
ruleset every.thing  // trailing on the header
  title "All \"constructs\""
  version "1"
  effective 2020-01-01 until 2030-12-31
  timezone "Asia/Shanghai"
  currency CNY
import decree.canonical
import "other.decree"
layout Filing from csv key report_id time filed_at {
  report_id: id
  filed_at: timestamp  // the filing time
  total: money(CNY) positive
  code: text column "代码"
  note: text?
  kind: enum { a, b, c }?
}
table holidays key (date: date)
table fx from csv key (date: date, currency: currency) value per_unit: rate(USD, 6)
const LIMIT: money = 50000 CNY
const CODES: set<country> = {"KP", "IR", "MM"}
const P = 80%
let big(t: Transaction) = t.amount.currency = CNY and t.amount >= LIMIT
/* a block
   comment */
rule r1 "第一条"
  effective 2021-01-01
  for Transaction t where t.channel = cash and not t.cross_border
  per t.customer_id, day(t.booked_at) as d, currency_class(t.amount)
  unless t.exemption != ""
  when currency_class = CNY and sum(t.amount where t.direction = in) >= LIMIT or count(distinct t.counterparty_id) > 3
  then report large_value within 5 business days calendar holidays and flag review "查看"
  suppress redundant with r2 because "reviewed 2026-01-01"
rule r2 "w" for Transaction t where t.amount.currency = CNY
  per t.customer_id over sliding 24 hours anchor t.direction = out
  when ratio(sum(t.amount where t.direction = out), sum(t.amount where t.direction = in)) >= P
  then flag suspicious
rule r3 "row" for Transaction t when t.counterparty_country in CODES or t.amount in USD using fx on 2026-01-01 > 5 USD
  then block and classify risk as high
  overrides r4
rule r4 "req" for Transaction t require if t.amount.value > 1 then -t.amount.value < 0 else t.purpose is not null
  else error "bad"
exempt art7 "第七条" for Transaction t applies to r1, r2 when t.counterparty_type = government
decide tier "分级" for Transaction t exhaustive {
  case high: when t.amount >= 1000000 CNY then classify risk as high
  // the rest
  case low: then classify risk as low
}
const base = Transaction { txn_id: "T1", amount: 1.00 CNY }
test "a test" {
  given base { txn_id: "T2" }  // override
  given fx { date: 2026-01-01, currency: EUR, per_unit: 1.08 }
  expect r1 for "C1", 2026-03-01 txns ["T1", "T2"]
  expect no r2
  expect rejected "T9"
}
// trailing comment
)";

TEST(Printer, OutputReparsesToTheSameAst) {
  SourceManager sm1, sm2;
  auto m1 = ParseOk(kEverything, &sm1);
  std::string once = FormatModule(*m1);
  auto m2 = ParseOk(once, &sm2);
  EXPECT_EQ(ast::Dump(*m1), ast::Dump(*m2)) << once;
}

// Each kind of test statement has its own tag in the AST dump the formatter's round trip is
// checked with (the tags once stopped short of `given list`, and `expect rejected` read past
// the end of the table: found by the sanitizer build).
TEST(Printer, DumpNamesEveryTestStatementKind) {
  SourceManager sm;
  auto m = ParseOk(R"(ruleset t
test "kinds" {
  given Transaction { txn_id: "T1" }
  given list "un-sc" { entry_id: "E1", name: "N" }
  expect r1 for "C1"
  expect no r2
  expect rejected "T9"
}
)", &sm);
  const std::string dump = ast::Dump(*m);
  for (const char* tag : {"(given ", "(given_list ", "(expect ", "(expect_no ", "(expect_rejected "}) {
    EXPECT_NE(dump.find(tag), std::string::npos) << tag << " missing from " << dump;
  }
}

TEST(Printer, IsIdempotent) {
  SourceManager sm1, sm2;
  std::string once = FormatModule(*ParseOk(kEverything, &sm1));
  std::string twice = FormatModule(*ParseOk(once, &sm2));
  EXPECT_EQ(once, twice);
}

TEST(Printer, KeepsEveryComment) {
  SourceManager sm;
  auto m = ParseOk(kEverything, &sm);
  std::string out = FormatModule(*m);
  for (const ast::Comment& c : m->comments) EXPECT_NE(out.find(c.text), std::string::npos) << c.text;
}

TEST(Printer, ShippedRulesetsAreFormatted) {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(std::string(DECREE_SOURCE_DIR) + "/rulesets")) {
    if (e.path().extension() != ".decree") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    SourceManager sm1, sm2;
    auto m = ParseOk(ss.str(), &sm1);
    std::string formatted = FormatModule(*m);
    EXPECT_EQ(formatted, ss.str()) << e.path() << " is not formatted: run decree fmt --write rulesets/";
    EXPECT_EQ(ast::Dump(*m), ast::Dump(*ParseOk(formatted, &sm2))) << e.path();
    ++files;
  }
  EXPECT_GT(files, 0);
}

}  // namespace
}  // namespace decree
