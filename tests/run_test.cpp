// The batch runtime end to end on cn-pboc-lvtr: RFC 4180 inputs, every kind of bad row (each
// rejected with its line and reason, the counts adding up), the three input formats agreeing,
// and the run's errors (missing column, missing table) naming what is missing.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "decree/case_store.h"
#include "decree/run.h"
#include "driver/compilation.h"
#include "gen/generator.h"
#include "ir/ir.h"

namespace decree {
namespace {

namespace fs = std::filesystem;

const char kHeader[] =
    "txn_id,booked_at,customer_id,customer_type,customer_name,account_id,direction,amount,currency,channel,"
    "cross_border,counterparty_id,counterparty_name,counterparty_account,counterparty_type,counterparty_country,"
    "exemption,purpose";

// One valid cash deposit in the canonical layout, with the fields a test varies.
std::string Row(const std::string& id, const std::string& amount, const std::string& currency = "CNY",
                const std::string& booked_at = "2026-03-02T10:00:00+08:00", const std::string& name = "张伟",
                const std::string& purpose = "") {
  return id + "," + booked_at + ",C1,person," + name + ",A1,in," + amount + "," + currency +
         ",cash,false,X1,李四,B1,person,CN,," + purpose;
}

class RunTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    CompileOptions o;
    o.paths = {std::string(DECREE_SOURCE_DIR) + "/rulesets/cn-pboc-lvtr"};
    compilation_ = new Compilation(o);
    ASSERT_TRUE(compilation_->Run());
  }
  static void TearDownTestSuite() {
    delete compilation_;
    compilation_ = nullptr;
  }
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("decree-run-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    rates_ = Write("rates.csv", "date,currency,usd_per_unit\n2026-03-02,EUR,1.085000\n2026-03-02,USD,1.000000\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Runs the library over `path`; fails the test unless rows read = evaluated + rejected.
  Status RunFile(const std::string& path, RunResult* result, int threads = 2, InputFormat format = InputFormat::kAuto,
                 bool multiline = false) {
    InputSpec input;
    input.path = path;
    input.format = format;
    input.multiline_records = multiline;
    RunOptions options;
    options.threads = threads;
    options.tables["usd_rate"] = rates_;
    Status st = decree::Run(compilation_->program(), input, options, result);
    if (st.ok()) {
      EXPECT_EQ(result->rows_read, result->rows_evaluated + result->rows_rejected);
      EXPECT_EQ(result->rejects.size(), result->rows_rejected);
    }
    return st;
  }
  RunResult RunCsv(const std::string& content, bool multiline = false) {
    RunResult result;
    Status st = RunFile(Write("batch.csv", content), &result, 2, InputFormat::kAuto, multiline);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return result;
  }

  static Compilation* compilation_;
  fs::path dir_;
  std::string rates_;
};

Compilation* RunTest::compilation_ = nullptr;

TEST_F(RunTest, MultiLineRecordsAreRejectedWithTheirLineRange) {
  // By default a record holding a line break (a quoted field, or a stray quote swallowing the
  // lines after it) is rejected, naming every line it spans, and the lines are counted.
  std::string csv = std::string(kHeader) + "\n" + Row("T1", "30000.00") + "\n" +
                    Row("T2", "20000.00", "CNY", "2026-03-02T11:00:00+08:00", "n", "\"two\nlines\"") + "\n" +
                    Row("T3", "20000.00", "CNY", "2026-03-02T11:00:00+08:00", "\"Stray, quote") + "\n" +
                    Row("T4", "282178.45") + "\n" + Row("T5", "1.00") + "\",x\n" + Row("T6", "2.00") + "\n\n";
  RunResult r = RunCsv(csv);
  EXPECT_EQ(r.rows_read, 4u);  // T1, T2, T3 (swallowing T4 and T5), T6
  EXPECT_EQ(r.rows_evaluated, 2u);
  EXPECT_EQ(r.lines_read, 8u);  // 7 lines of records and a blank one
  EXPECT_EQ(r.blank_lines, 1u);
  EXPECT_EQ(r.multiline_rows, 2u);
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].position, "lines 3–4");
  EXPECT_EQ(r.rejects[0].record_id, "T2");
  EXPECT_EQ(r.rejects[1].position, "lines 5–7");
  EXPECT_EQ(r.rejects[1].record_id, "T3");
}

TEST_F(RunTest, Rfc4180QuotingCrlfAndBom) {
  // A BOM, CRLF endings, quoted commas, doubled quotes and (allowed here) a line break inside
  // a field; the reject after the multi-line record names its real line (5).
  std::string csv = "\xEF\xBB\xBF" + std::string(kHeader) + "\r\n" +
                    Row("T1", "30000.00", "CNY", "2026-03-02T10:00:00+08:00", "\"Wang, Wei\"", "\"say \"\"hi\"\"\"") +
                    "\r\n" + Row("T2", "20000.00", "CNY", "2026-03-02T11:00:00+08:00", "n", "\"two\r\nlines\"") +
                    "\r\n" + Row("T3", "-1.00") + "\r\n";
  RunResult r = RunCsv(csv, /*multiline=*/true);
  EXPECT_EQ(r.lines_read, 4u);
  EXPECT_EQ(r.rows_read, 3u);
  EXPECT_EQ(r.rows_evaluated, 2u);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].position, "line 5");
  EXPECT_EQ(r.rejects[0].record_id, "T3");
  ASSERT_EQ(r.findings.size(), 1u);  // 30,000 + 20,000 reaches 50,000 CNY
  EXPECT_EQ(r.findings[0].rule, "cn.pboc.lvtr.cash");
  EXPECT_EQ(r.findings[0].txn_ids, (std::vector<std::string>{"T1", "T2"}));
  EXPECT_EQ(r.findings[0].total_amount, "50000.00");
}

TEST_F(RunTest, EveryBadRowIsRejectedWithItsLineAndReason) {
  struct Case {
    std::string row, reason;
  };
  const std::vector<Case> cases = {
      {Row("B1", "-5.00"), "amount: negative amount"},
      {Row("B2", "abc"), "amount: not an amount"},
      {Row("B3", ""), "amount"},
      {Row("B4", "5.5", "JPY"), "amount"},         // JPY has no minor unit
      {Row("B5", "1.001", "CNY"), "amount"},       // CNY has two
      {Row("B6", "100.00", "ZZZ"), "currency: unknown currency \"ZZZ\""},
      {Row("B7", "100.00", "cny"), "currency"},
      {Row("B8", "100.00", "CNY", "2026-03-02 10:00"), "booked_at: not a timestamp"},
      {Row("B9", "100.00", "CNY", "2026-13-02T10:00:00+08:00"), "booked_at: 2026-13-02 is not a date (there is no month 13)"},
      {Row("B10", "100.00", "CNY", "2026-03-02T10:00:00+08:00", "\xff\xfe"), "customer_name: invalid UTF-8"},
      {"B11,2026-03-02T10:00:00+08:00,C1,person", "expected 18 fields, found 4"},
      {Row("B12", "100.00") + ",extra", "expected 18 fields, found 19"},
      {"B13,2026-03-02T10:00:00+08:00,C1,robot,n,A1,in,1.00,CNY,cash,false,X1,n,B1,person,CN,,", "customer_type"},
      {"B14,2026-03-02T10:00:00+08:00,C1,person,n,A1,in,1.00,CNY,cash,maybe,X1,n,B1,person,CN,,", "cross_border"},
      {"B15,2026-03-02T10:00:00+08:00,C1,person,n,A1,in,1.00,CNY,cash,false,X1,n,B1,person,XX,,", "counterparty_country"},
      {Row("B16", "100.00", "GBP"), "no decree.canonical.usd_rate rate for GBP on 2026-03-02"},
      {Row("B17", std::string(1 << 20, '1')), "amount"},  // a 1 MB number
      {Row("B18", "12345678901234567890123.00"), "amount has 23 digits (at most 18)"},
      {Row("B19", "100.00", "CNY", "2026-03-02T23:59:60+08:00"), "booked_at: 23:59:60 is a leap second"},
      {Row("B20", "100.00", "CNY", "2026-02-30T10:00:00+08:00"), "booked_at: 2026-02-30 is not a date (February 2026 has 28 days)"},
      {Row("B21", "100.00", "CNY", "9999-12-31T23:59:59-10:00"), "falls on a local day outside 0001-01-01 .. 9999-12-31"},
      {Row("B22", "100.00", "CNY", "0001-01-01T01:00:00+14:00"), "falls on a local day outside 0001-01-01 .. 9999-12-31"},
  };
  std::string csv = std::string(kHeader) + "\n" + Row("OK1", "1.00") + "\n";
  for (const Case& c : cases) csv += c.row + "\n";
  csv += Row("OK2", "2.00", "EUR") + "\n";
  RunResult r = RunCsv(csv);
  EXPECT_EQ(r.rows_read, cases.size() + 2);
  EXPECT_EQ(r.rows_evaluated, 2u);
  ASSERT_EQ(r.rejects.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(cases[i].row.substr(0, 120));
    EXPECT_EQ(r.rejects[i].position, std::string("line ").append(std::to_string(i + 3)));
    EXPECT_EQ(r.rejects[i].record_id, std::string("B").append(std::to_string(i + 1)));
    EXPECT_NE(r.rejects[i].reason.find(cases[i].reason), std::string::npos) << r.rejects[i].reason;
  }
}

TEST_F(RunTest, AMegabyteTextFieldIsData) {
  std::string big(1 << 20, 'x');
  RunResult r = RunCsv(std::string(kHeader) + "\n" + Row("T1", "60000.00", "CNY", "2026-03-02T10:00:00+08:00", big) +
                       "\n" + Row("T2", "1.00", "CNY", "2026-03-02T10:00:00+08:00", "n", "\"" + big + "\"") + "\n");
  EXPECT_EQ(r.rows_evaluated, 2u);
  EXPECT_EQ(r.rows_rejected, 0u);
  ASSERT_EQ(r.findings.size(), 1u);
}

TEST_F(RunTest, TruncatedFilesLoseNoRow) {
  std::string full = std::string(kHeader) + "\n" + Row("T1", "60000.00") + "\n" + Row("T2", "70000.00");
  // Cut mid-record (no final newline): the last record is short, and rejected.
  RunResult cut = RunCsv(full.substr(0, full.size() - 30));
  EXPECT_EQ(cut.rows_read, 2u);
  EXPECT_EQ(cut.rows_evaluated, 1u);
  ASSERT_EQ(cut.rejects.size(), 1u);
  EXPECT_EQ(cut.rejects[0].position, "line 3");
  EXPECT_NE(cut.rejects[0].reason.find("expected 18 fields"), std::string::npos) << cut.rejects[0].reason;
  // Cut inside a quoted field.
  RunResult quote = RunCsv(std::string(kHeader) + "\n" + Row("T1", "60000.00") + "\nT2,2026-03-02T10:00:00+08:00,\"C");
  EXPECT_EQ(quote.rows_read, 2u);
  ASSERT_EQ(quote.rejects.size(), 1u);
  EXPECT_NE(quote.rejects[0].reason.find("unterminated quoted field"), std::string::npos) << quote.rejects[0].reason;
  // A complete last record without its newline is a record.
  RunResult whole = RunCsv(full);
  EXPECT_EQ(whole.rows_evaluated, 2u);
  // Header only, and nothing at all.
  EXPECT_EQ(RunCsv(std::string(kHeader) + "\n").rows_read, 0u);
}

TEST_F(RunTest, EmptyAndHeaderlessInputsAreErrors) {
  RunResult r;
  Status st = RunFile(Write("empty.csv", ""), &r);
  EXPECT_FALSE(st.ok());
  std::string no_amount = kHeader;
  no_amount.replace(no_amount.find(",amount"), 7, "");
  st = RunFile(Write("short.csv", no_amount + "\n"), &r);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("amount"), std::string::npos) << st.ToString();
}

TEST_F(RunTest, MissingRatesTableIsAnError) {
  InputSpec input;
  input.path = Write("b.csv", std::string(kHeader) + "\n" + Row("T1", "1.00") + "\n");
  RunOptions options;  // no usd_rate
  RunResult r;
  Status st = decree::Run(compilation_->program(), input, options, &r);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("usd_rate"), std::string::npos) << st.ToString();
}

TEST_F(RunTest, ExemptionsAndGovernmentCounterpartiesDoNotCount) {
  std::string exempt = Row("T2", "30000.00");
  exempt.replace(exempt.find(",CN,,"), 5, ",CN,deposit_rollover,");
  std::string gov = Row("T3", "30000.00");
  gov.replace(gov.find(",person,CN"), 10, ",government,CN");
  RunResult r = RunCsv(std::string(kHeader) + "\n" + Row("T1", "30000.00") + "\n" + exempt + "\n" + gov + "\n");
  EXPECT_EQ(r.rows_evaluated, 3u);
  EXPECT_TRUE(r.findings.empty()) << FindingsToJsonl(r.findings);
}

// Quoted line breaks and commas everywhere, in a file of several read segments: segment
// boundaries never split a record, no row is lost or doubled, and line numbers count the
// breaks inside quotes.
TEST_F(RunTest, QuotedLineBreaksAcrossSegments) {
  std::string csv = std::string(kHeader) + "\n";
  const int rows = 40000;  // ~7 MB
  for (int i = 0; i < rows; ++i) {
    csv += Row(std::string("Q").append(std::to_string(i)), i % 2 == 0 ? "30000.00" : "20000.00", "CNY", "2026-03-02T10:00:00+08:00",
               "\"Wang,\nWei\"", "\"line one\r\nline \"\"two\"\", end\"") +
           "\n";
  }
  csv += Row("BAD", "-1") + "\n";
  RunResult r = RunCsv(csv, /*multiline=*/true);
  EXPECT_EQ(r.rows_read, static_cast<uint64_t>(rows + 1));
  EXPECT_EQ(r.rows_evaluated, static_cast<uint64_t>(rows));
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].position, std::string("line ").append(std::to_string(2 + 3 * rows)));
  ASSERT_EQ(r.findings.size(), 1u);  // one customer, one day: every row in one group
  EXPECT_EQ(r.findings[0].txn_ids.size(), static_cast<size_t>(rows));
  EXPECT_EQ(r.findings[0].total_amount, "1000000000.00");
}

// Art. 8: due within 5 working days (Monday to Friday) of the transaction's Beijing day.
TEST_F(RunTest, ReportsAreDueFiveBusinessDaysLater) {
  RunResult r = RunCsv(std::string(kHeader) + "\n" + Row("FRI", "60000.00", "CNY", "2026-03-06T10:00:00+08:00") +
                       "\n" + Row("SAT", "60000.00", "CNY", "2026-03-06T17:00:00-05:00") +  // Sat 06:00 Beijing
                       "\n" + Row("WED", "60000.00", "CNY", "2026-03-11T10:00:00+08:00") + "\n");
  ASSERT_EQ(r.findings.size(), 3u);
  EXPECT_EQ(r.findings[0].date, "2026-03-06");
  EXPECT_EQ(r.findings[0].due, "2026-03-13");
  EXPECT_EQ(r.findings[1].date, "2026-03-07");
  EXPECT_EQ(r.findings[1].due, "2026-03-13");
  EXPECT_EQ(r.findings[2].date, "2026-03-11");
  EXPECT_EQ(r.findings[2].due, "2026-03-18");
}

// A rule's effective period is a range of local days in the ruleset's time zone, here one
// with a daylight-saving change on its first day: rows are in or out by their local day,
// whatever offset they were booked with.
TEST_F(RunTest, EffectivePeriodsFollowLocalDays) {
  std::string rules = Write("eff.decree", R"(ruleset demo.eff
  effective 2026-03-08 until 2026-03-20
  timezone "America/New_York"
import decree.canonical
rule any "every transaction in the period" for Transaction t then flag review
)");
  CompileOptions o;
  o.paths = {rules};
  Compilation c(o);
  ASSERT_TRUE(c.Run());
  std::vector<std::pair<std::string, bool>> rows = {
      {"2026-03-07T23:59:59-05:00", false}, {"2026-03-08T04:59:59Z", false},
      {"2026-03-08T00:00:00-05:00", true},  {"2026-03-08T13:00:00+08:00", true},
      {"2026-03-20T23:59:59-04:00", true},  {"2026-03-21T11:59:59+08:00", true},  // after the change: EDT
      {"2026-03-21T00:00:00-04:00", false}, {"2026-03-21T04:00:00Z", false},
      {"2026-01-01T12:00:00Z", false},      {"2027-03-08T12:00:00Z", false}};
  std::string csv = std::string(kHeader) + "\n";
  for (size_t i = 0; i < rows.size(); ++i) csv += Row(std::string("E").append(std::to_string(i)), "1.00", "CNY", rows[i].first) + "\n";
  InputSpec input;
  input.path = Write("eff.csv", csv);
  RunOptions options;
  options.threads = 1;
  RunResult r;
  Status st = decree::Run(c.program(), input, options, &r);
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::set<std::string> flagged;
  for (const Finding& f : r.findings) flagged.insert(f.txn_ids.at(0));
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(flagged.count(std::string("E").append(std::to_string(i))) == 1, rows[i].second) << rows[i].first;
  }
}

// The same generated batch as CSV, JSON Lines and a SQLite table gives the same findings.
TEST_F(RunTest, CsvJsonlAndSqliteInputsAgree) {
  bench::GenOptions g;
  g.rows = 5000;
  g.customers = 100;
  g.seed = 11;
  std::string error;
  std::string csv = (dir_ / "g.csv").string(), jsonl = (dir_ / "g.jsonl").string();
  rates_ = (dir_ / "g-rates.csv").string();
  ASSERT_TRUE(bench::WriteBatch(g, csv, false, &error)) << error;
  ASSERT_TRUE(bench::WriteBatch(g, jsonl, true, &error)) << error;
  ASSERT_TRUE(bench::WriteRates(g, rates_, &error)) << error;

  std::string db_path = (dir_ / "g.db").string();
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  std::string create = "CREATE TABLE transactions (", insert = "INSERT INTO transactions VALUES (";
  for (size_t i = 0; i < bench::Columns().size(); ++i) {
    create += (i ? ", " : "") + bench::Columns()[i] + (bench::Columns()[i] == "amount" ? " TEXT" : "");
    insert += i ? ", ?" : "?";
  }
  ASSERT_EQ(sqlite3_exec(db, (create + "); BEGIN").c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt;
  ASSERT_EQ(sqlite3_prepare_v2(db, (insert + ")").c_str(), -1, &stmt, nullptr), SQLITE_OK);
  bench::Generate(g, [&](const bench::GeneratedRow& row) {
    std::vector<std::string> f = bench::Fields(row);
    for (size_t i = 0; i < f.size(); ++i) sqlite3_bind_text(stmt, int(i + 1), f[i].c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_step(stmt);
    sqlite3_reset(stmt);
  });
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  RunResult from_csv, from_jsonl, from_db;
  ASSERT_TRUE(RunFile(csv, &from_csv).ok());
  ASSERT_TRUE(RunFile(jsonl, &from_jsonl).ok());
  Status st = RunFile(db_path, &from_db);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(from_csv.input_format, "CSV");
  EXPECT_EQ(from_csv.rows_evaluated, g.rows);
  EXPECT_EQ(from_jsonl.rows_evaluated, g.rows);
  EXPECT_EQ(from_db.rows_evaluated, g.rows);
  ASSERT_GT(from_csv.findings.size(), 10u);
  std::string expected = FindingsToJsonl(from_csv.findings);
  EXPECT_EQ(FindingsToJsonl(from_jsonl.findings), expected);
  EXPECT_EQ(FindingsToJsonl(from_db.findings), expected);

  // Thread count changes nothing, on every format.
  RunResult one;
  ASSERT_TRUE(RunFile(jsonl, &one, 1).ok());
  EXPECT_EQ(FindingsToJsonl(one.findings), expected);
}

// Findings streamed to a file (merged in parallel key ranges, and with a small memory budget
// spilled to disk and read back) are byte for byte the findings kept in memory.
TEST_F(RunTest, StreamedFindingsEqualKeptFindings) {
  bench::GenOptions g;
  g.rows = 120000;
  g.customers = 1500;
  g.seed = 5;
  std::string error;
  std::string csv = (dir_ / "s.csv").string();
  rates_ = (dir_ / "s-rates.csv").string();
  ASSERT_TRUE(bench::WriteBatch(g, csv, false, &error)) << error;
  ASSERT_TRUE(bench::WriteRates(g, rates_, &error)) << error;
  RunResult kept;
  ASSERT_TRUE(RunFile(csv, &kept).ok());
  ASSERT_GT(kept.findings.size(), 8000u);  // enough for the parallel merge
  const std::string expected = FindingsToJsonl(kept.findings);
  for (uint64_t budget : {uint64_t{0}, uint64_t{1} << 20}) {
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(testing::Message() << "budget " << budget << ", threads " << threads);
      InputSpec input;
      input.path = csv;
      RunOptions options;
      options.threads = threads;
      options.tables["usd_rate"] = rates_;
      options.findings_path = (dir_ / "streamed.jsonl").string();
      options.memory_budget = budget;
      RunResult streamed;
      Status st = decree::Run(compilation_->program(), input, options, &streamed);
      ASSERT_TRUE(st.ok()) << st.ToString();
      EXPECT_EQ(streamed.finding_count, kept.findings.size());
      std::ifstream in(options.findings_path, std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), {});
      EXPECT_TRUE(text == expected) << "streamed findings differ (" << text.size() << " vs " << expected.size() << " bytes)";
    }
  }
}

// RunOptions::on_finding: the same findings, in the same order, handed over one by one, and
// none kept in the result.
TEST_F(RunTest, FindingsCallbackSeesTheKeptFindingsInOrder) {
  bench::GenOptions g;
  g.rows = 30000;
  g.customers = 600;
  g.seed = 9;
  std::string error;
  std::string csv = (dir_ / "cb.csv").string();
  rates_ = (dir_ / "cb-rates.csv").string();
  ASSERT_TRUE(bench::WriteBatch(g, csv, false, &error)) << error;
  ASSERT_TRUE(bench::WriteRates(g, rates_, &error)) << error;
  RunResult kept;
  ASSERT_TRUE(RunFile(csv, &kept).ok());
  ASSERT_GT(kept.findings.size(), 100u);
  for (int threads : {1, 2}) {
    InputSpec input;
    input.path = csv;
    RunOptions options;
    options.threads = threads;
    options.tables["usd_rate"] = rates_;
    std::vector<Finding> seen;
    options.on_finding = [&](Finding&& f) { seen.push_back(std::move(f)); };
    RunResult streamed;
    Status st = decree::Run(compilation_->program(), input, options, &streamed);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(streamed.findings.empty());
    EXPECT_EQ(streamed.finding_count, kept.findings.size());
    EXPECT_EQ(FindingsToJsonl(seen), FindingsToJsonl(kept.findings)) << "threads " << threads;
  }
}

// The case store: one complete run per invocation with the library and input hashes, its
// findings and rejects; earlier runs never change.
TEST_F(RunTest, CaseStoreAppendsCompleteRuns) {
  std::string csv = Write("store.csv", std::string(kHeader) + "\n" + Row("T1", "60000.00") + "\n" + Row("T2", "-1") + "\n");
  std::string store = (dir_ / "cases.db").string();
  for (int run = 1; run <= 2; ++run) {
    InputSpec input;
    input.path = csv;
    RunOptions options;
    options.tables["usd_rate"] = rates_;
    options.findings_path = (dir_ / "f.jsonl").string();
    RunResult r;
    ASSERT_TRUE(decree::Run(compilation_->program(), input, options, &r).ok());
    RunRecord rec;
    rec.started_at = rec.finished_at = "2026-11-22T00:00:00Z";
    rec.decree_version = "test";
    rec.library_path = "lvtr.dlib";
    rec.library_hash = "abc";
    rec.input_path = csv;
    rec.input_sha256 = "def";
    int64_t run_id = 0;
    Status st = AppendRun(store, rec, r, options.findings_path, &run_id);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(run_id, run);
  }
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(store.c_str(), &db), SQLITE_OK);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* s;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string out = sqlite3_step(s) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) : "";
    sqlite3_finalize(s);
    return out;
  };
  EXPECT_EQ(scalar("select count(*) from runs where status = 'complete'"), "2");
  EXPECT_EQ(scalar("select group_concat(rows_read || '=' || rows_evaluated || '+' || rows_rejected) from runs"), "2=1+1,2=1+1");
  EXPECT_EQ(scalar("select library_hash || input_sha256 from runs where run_id = 2"), "abcdef");
  EXPECT_EQ(scalar("select count(*) from findings where run_id = 2 and rule = 'cn.pboc.lvtr.cash'"), "1");
  EXPECT_EQ(scalar("select json_extract(finding_json, '$.txn_ids[0]') from findings where run_id = 1"), "T1");
  EXPECT_EQ(scalar("select position || ' ' || record_id from rejects where run_id = 1"), "line 3 T2");
  // Append-only.
  EXPECT_NE(sqlite3_exec(db, "update runs set rows_read = 0", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(db, "delete from findings", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(scalar("select count(*) from findings"), "2");
  sqlite3_close(db);
}

// A run's findings stored while they are written (RunOptions::on_findings_written and the
// reader form of AppendRun), read a few bytes at a time so that lines and blocks are split at
// every place: the store holds exactly the file's lines, and the run row comes last with what
// `complete` filled in.  A reader that fails leaves no store behind.
TEST_F(RunTest, CaseStoreReadsFindingsAsTheyAreWritten) {
  std::string rows = std::string(kHeader) + "\n";
  for (int i = 0; i < 300; ++i) {  // 300 customers: 300 findings, more than a block holds
    std::string row = Row(fmt::format("T{}", i), "60000.00");
    row.replace(row.find(",C1,"), 4, fmt::format(",C{},", i));
    rows += row + "\n";
  }
  std::string csv = Write("stream.csv", rows);
  std::string findings = (dir_ / "stream.jsonl").string();
  uint64_t reported = 0;
  int calls = 0;
  InputSpec input;
  input.path = csv;
  RunOptions options;
  options.tables["usd_rate"] = rates_;
  options.findings_path = findings;
  options.on_findings_written = [&](int fd, uint64_t bytes) {
    EXPECT_GE(fd, 0);
    EXPECT_GE(bytes, reported);
    reported = bytes;
    ++calls;
  };
  RunResult r;
  ASSERT_TRUE(decree::Run(compilation_->program(), input, options, &r).ok());
  std::ifstream in(findings, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_GT(calls, 0);
  EXPECT_EQ(reported, text.size());
  ASSERT_EQ(r.finding_count, 300u);
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}}) {
    std::string store = (dir_ / fmt::format("stream{}.db", piece)).string();
    size_t at = 0;
    FindingsReader read = [&](char* buf, size_t cap, size_t* got) {
      *got = std::min({cap, piece, text.size() - at});
      std::memcpy(buf, text.data() + at, *got);
      at += *got;
      return Status::Ok();
    };
    RunRecord rec;
    rec.started_at = "2026-11-22T00:00:00Z";
    rec.library_hash = "abc";
    auto complete = [](RunRecord* full) {
      full->input_sha256 = "filled";
      return Status::Ok();
    };
    int64_t run_id = 0;
    Status st = AppendRun(store, rec, r, read, "stream.jsonl", &run_id, "", complete);
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(run_id, 1);
    sqlite3* db;
    ASSERT_EQ(sqlite3_open(store.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s;
    ASSERT_EQ(sqlite3_prepare_v2(db, "select finding_json from findings order by seq", -1, &s, nullptr), SQLITE_OK);
    std::string back;
    while (sqlite3_step(s) == SQLITE_ROW) back += std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))) + "\n";
    sqlite3_finalize(s);
    ASSERT_EQ(sqlite3_prepare_v2(db, "select input_sha256 from runs", -1, &s, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "filled");
    sqlite3_finalize(s);
    sqlite3_close(db);
    EXPECT_EQ(back, text) << "pieces of " << piece;
  }
  std::string failed = (dir_ / "failed.db").string();
  size_t at = 0;
  FindingsReader broken = [&](char* buf, size_t cap, size_t* got) {
    if (at > text.size() / 2) return Status::IoError("the run did not finish");
    *got = std::min<size_t>(cap, 100);
    std::memcpy(buf, text.data() + at, *got);
    at += *got;
    return Status::Ok();
  };
  int64_t run_id = 0;
  Status st = AppendRun(failed, RunRecord(), r, broken, "stream.jsonl", &run_id);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("did not finish"), std::string::npos) << st.ToString();
  EXPECT_FALSE(std::filesystem::exists(failed));
}

TEST_F(RunTest, BadJsonLinesAreRejectedByRecord) {
  std::string good = R"({"txn_id":"T1","booked_at":"2026-03-02T10:00:00+08:00","customer_id":"C1",)"
                     R"("customer_type":"person","customer_name":"n","account_id":"A1","direction":"in",)"
                     R"("amount":"60000.00","currency":"CNY","channel":"cash","cross_border":false,)"
                     R"("counterparty_id":"X","counterparty_name":"n","counterparty_account":"B",)"
                     R"("counterparty_type":"person","counterparty_country":"CN","exemption":"","purpose":""})";
  std::string missing = good;
  missing.replace(missing.find(R"("currency":"CNY",)"), 17, "");
  std::string jsonl = good + "\n{not json\n" + missing + "\n[1,2]\n" + good.substr(0, 40) + "\n";
  RunResult r;
  Status st = RunFile(Write("b.jsonl", jsonl), &r);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(r.rows_read, 5u);
  EXPECT_EQ(r.rows_evaluated, 1u);
  ASSERT_EQ(r.rejects.size(), 4u);
  EXPECT_EQ(r.rejects[0].position, "line 2");
  EXPECT_NE(r.rejects[1].reason.find("currency"), std::string::npos) << r.rejects[1].reason;
  EXPECT_EQ(r.findings.size(), 1u);
}

}  // namespace
}  // namespace decree
