// Reports and filing validation end to end, through the decree binary as a pipeline runs it:
// a generated batch -> `decree run` -> `decree report` (every format) -> `decree validate`.
// The reports must validate (against rulesets/filing-checks and against the shipped XSDs),
// be byte-identical when made twice, and record the library hash; a report corrupted four
// ways (a missing field, a wrong total, a bad currency code, a duplicated record id) must fail
// validation at the corrupted line in text, SARIF and JUnit alike.  The summary chart is
// rendered to a PNG under <build>/test-artefacts/ for a person to look at.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "io/xml.h"
#include "decree/json.h"
#include "slurp.h"

namespace decree {
namespace {

namespace fs = std::filesystem;

using testing_support::Slurp;

void Spit(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

struct Result {
  int exit = -1;
  std::string out, err;
};

class ReportTest : public ::testing::Test {
 protected:
  static fs::path dir_;

  static Result Sh(const std::string& cmd) {
    std::string full = "cd '" + dir_.string() + "' && " + cmd + " >out.txt 2>err.txt";
    int status = std::system(full.c_str());
    Result r;
    r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(dir_ / "out.txt");
    r.err = Slurp(dir_ / "err.txt");
    return r;
  }
  static Result Decree(const std::string& args) { return Sh(std::string("'") + DECREE_BIN + "' " + args); }

  // A failed suite setup fails every test (gtest alone would report them skipped, which
  // ctest counts as passing).
  static std::string setup_error_;
  void SetUp() override { ASSERT_TRUE(setup_error_.empty()) << "suite setup failed: " << setup_error_; }
  static void SetUpTestSuite() { Prepare(); }
  static void Fail(const std::string& why) { setup_error_ = why.empty() ? "a setup step failed" : why; }
  static void Prepare() {
    dir_ = fs::temp_directory_path() / ("decree-report-test-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    const std::string root = DECREE_SOURCE_DIR;
    Result g = Sh(std::string("'") + DECREE_GEN + "' --rows 4000 --seed 11 --customers 60 --days 20 --out batch.csv --rates rates.csv");
    if (g.exit != 0) return Fail(g.err);
    for (const char* rs : {"cn-pboc-lvtr", "us-fincen-ctr", "filing-checks"}) {
      Result b = Decree(std::string("build ") + root + "/rulesets/" + rs + " -o " + rs + ".dlib");
      if (b.exit != 0) return Fail(b.err);
    }
    Result r = Decree("run cn-pboc-lvtr.dlib -i batch.csv -t usd_rate=rates.csv -o lvtr.jsonl -q");
    if (r.exit != 0) return Fail(r.err);
    r = Decree("run us-fincen-ctr.dlib -i batch.csv -t usd_rate=rates.csv -o ctr.jsonl -q");
    if (r.exit != 0) return Fail(r.err);
    const std::string common = " -i batch.csv -t usd_rate=rates.csv --institution " + root + "/examples/institution.json";
    for (const char* f : {"pboc-lvtr-csv", "pboc-lvtr-xml", "goaml-xml"}) {
      std::string out = std::string("lvtr.") + (std::string(f) == "pboc-lvtr-csv" ? "csv" : std::string(f) == "goaml-xml" ? "goaml.xml" : "xml");
      r = Decree(std::string("report cn-pboc-lvtr.dlib -f lvtr.jsonl --format ") + f + common + " -o " + out);
      if (r.exit != 0) return Fail(std::string() + f + ": " + r.err);
    }
    r = Decree("report us-fincen-ctr.dlib -f ctr.jsonl --format fincen-ctr-xml" + common + " -o ctr.xml");
    if (r.exit != 0) return Fail(r.err);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // The (rule, line) pairs of the violations `decree validate` reports in each format; all
  // three must agree.
  using Hits = std::set<std::pair<std::string, int>>;
  static Hits Validate(const std::string& filing, int* exit_out) {
    Hits text, sarif, junit;
    Result t = Decree("validate filing-checks.dlib " + filing);
    static const std::regex kLine(R"(^[^ ]+:(\d+): error \[([^\]]+)\])");
    for (const std::string& l : Lines(t.out)) {
      std::smatch m;
      if (std::regex_search(l, m, kLine)) text.insert({m[2], std::stoi(m[1])});
    }
    Result s = Decree("validate filing-checks.dlib " + filing + " --format sarif");
    EXPECT_EQ(s.exit, t.exit);
    JsonValue doc;
    size_t off;
    std::string err;
    EXPECT_TRUE(ParseJson(s.out, &doc, &off, &err)) << err;
    EXPECT_EQ(doc.Get("version") != nullptr ? doc.Get("version")->text : "", "2.1.0");
    if (const JsonValue* runs = doc.Get("runs"); runs != nullptr && !runs->items.empty()) {
      for (const JsonValue& res : runs->items[0].Get("results")->items) {
        const JsonValue* region = res.Get("locations")->items[0].Get("physicalLocation")->Get("region");
        sarif.insert({res.Get("ruleId")->text, region != nullptr ? std::stoi(region->Get("startLine")->text) : 0});
      }
    }
    Result j = Decree("validate filing-checks.dlib " + filing + " --format junit");
    EXPECT_EQ(j.exit, t.exit);
    std::vector<io::XmlElement> xml;
    EXPECT_TRUE(io::ParseXmlDocument(j.out, &xml).ok()) << j.out;
    static const std::regex kBodyLine(R"(:(\d+): )");
    size_t testcases = 0;
    for (const io::XmlElement& e : xml) {
      if (e.name == "testcase") ++testcases;
      if (e.name != "failure") continue;
      std::string rule;
      for (const io::XmlAttribute& a : xml[e.parent].attributes) {
        if (a.name == "name") rule = a.value;
      }
      for (const std::string& l : Lines(e.text)) {
        std::smatch m;
        if (std::regex_search(l, m, kBodyLine)) junit.insert({rule, std::stoi(m[1])});
      }
    }
    EXPECT_GE(testcases, 1u) << "one test case per rule";
    EXPECT_EQ(text, sarif) << "text and SARIF disagree";
    EXPECT_EQ(text, junit) << "text and JUnit disagree";
    *exit_out = t.exit;
    return text;
  }
};

fs::path ReportTest::dir_;
std::string ReportTest::setup_error_;

TEST_F(ReportTest, GeneratedReportsValidate) {
  for (const char* f : {"lvtr.csv", "lvtr.xml", "lvtr.goaml.xml", "ctr.xml"}) {
    int exit = -1;
    Hits hits = Validate(f, &exit);
    EXPECT_EQ(exit, 0) << f;
    EXPECT_TRUE(hits.empty()) << f << ": " << hits.size() << " violations, first " << (hits.empty() ? "" : hits.begin()->first);
  }
  // The CSV has a record per (finding, transaction): as many as the findings list.
  size_t txns = 0;
  for (const std::string& l : Lines(Slurp(dir_ / "lvtr.jsonl"))) {
    JsonValue v;
    size_t off;
    std::string err;
    ASSERT_TRUE(ParseJson(l, &v, &off, &err));
    txns += v.Get("txn_ids")->items.size();
  }
  EXPECT_GT(txns, 100u);
  EXPECT_EQ(Lines(Slurp(dir_ / "lvtr.csv")).size(), txns + 1);
}

TEST_F(ReportTest, XmlReportsValidateAgainstTheShippedSchemas) {
  const std::string schemas = std::string(DECREE_SOURCE_DIR) + "/runtime/report/schemas/";
  for (auto [file, xsd] : {std::pair{"lvtr.xml", "pboc-lvtr.xsd"}, std::pair{"lvtr.goaml.xml", "goaml-report.xsd"},
                           std::pair{"ctr.xml", "fincen-ctr.xsd"}}) {
    Result r = Sh("xmllint --noout --schema '" + schemas + xsd + "' " + file);
    EXPECT_EQ(r.exit, 0) << file << " against " << xsd << " (xmllint: libxml2-utils, installed by scripts/setup.sh): " << r.err;
  }
  // The schema is not vacuous: a duplicated record id breaks its uniqueness constraint.
  std::string xml = Slurp(dir_ / "lvtr.xml");
  size_t a = xml.find("<transaction>"), b = xml.find("</transaction>", a) + 15;
  Spit(dir_ / "dup.xml", xml.substr(0, b) + "    " + xml.substr(a, b - a) + xml.substr(b));
  EXPECT_NE(Sh("xmllint --noout --schema '" + schemas + "pboc-lvtr.xsd' dup.xml").exit, 0);
}

TEST_F(ReportTest, ReportsAreByteIdenticalAndNameTheLibrary) {
  const std::string common = " -i batch.csv -t usd_rate=rates.csv --institution " + std::string(DECREE_SOURCE_DIR) +
                             "/examples/institution.json";
  Result r = Decree("run cn-pboc-lvtr.dlib -i batch.csv -t usd_rate=rates.csv -o lvtr2.jsonl -q --threads 1");
  ASSERT_EQ(r.exit, 0) << r.err;
  for (auto [f, out] : {std::pair{"pboc-lvtr-csv", "lvtr.csv"}, std::pair{"pboc-lvtr-xml", "lvtr.xml"},
                        std::pair{"goaml-xml", "lvtr.goaml.xml"}}) {
    r = Decree(std::string("report cn-pboc-lvtr.dlib -f lvtr2.jsonl --format ") + f + common + " -o again");
    ASSERT_EQ(r.exit, 0) << r.err;
    EXPECT_EQ(Slurp(dir_ / "again"), Slurp(dir_ / out)) << f << " differs between two runs";
  }
  Result info = Decree("inspect cn-pboc-lvtr.dlib");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(info.out, m, std::regex("[0-9a-f]{64}"))) << info.out;
  for (const char* out : {"lvtr.csv", "lvtr.xml", "lvtr.goaml.xml"}) {
    EXPECT_NE(Slurp(dir_ / out).find(m[0].str()), std::string::npos) << out << " does not record the library hash";
  }
}

TEST_F(ReportTest, CtrTotalAmountIsTheSumOfTheDetails) {
  std::vector<io::XmlElement> doc;
  ASSERT_TRUE(io::ParseXmlDocument(Slurp(dir_ / "ctr.xml"), &doc).ok());
  long long total = -1, sum = 0, details = 0;
  for (const io::XmlAttribute& a : doc[0].attributes) {
    if (a.name == "TotalAmount") total = std::stoll(a.value);
  }
  for (const io::XmlElement& e : doc) {
    if (io::XmlLocalName(e.name) == "DetailTransactionAmountText") {
      sum += std::stoll(e.text);
      EXPECT_GT(std::stoll(e.text), 10000) << "a CTR detail must exceed $10,000";
      ++details;
    }
  }
  EXPECT_GT(details, 5);
  EXPECT_EQ(total, sum);
}

// Line numbers are 1-based; `line` indexes Lines().
TEST_F(ReportTest, CorruptedCsvFailsAtTheLine) {
  const std::vector<std::string> lines = Lines(Slurp(dir_ / "lvtr.csv"));
  ASSERT_GT(lines.size(), 10u);
  std::vector<std::string> header;
  {
    std::stringstream ss(lines[0]);
    for (std::string c; std::getline(ss, c, ',');) header.push_back(c);
  }
  auto col = [&](const char* name) { return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin()); };
  // Replaces field `c` of CSV line `i` (0-based in `lines`; the fields here hold no quotes
  // before the columns touched, which come first or are codes and amounts).
  auto set_field = [&](std::vector<std::string> ls, size_t i, size_t c, const std::string& v) {
    std::vector<std::string> f;
    std::string cur;
    bool q = false;
    for (char ch : ls[i]) {
      if (ch == '"') q = !q;
      if (ch == ',' && !q) {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
    f.push_back(cur);
    f[c] = v;
    std::string joined;
    for (size_t k = 0; k < f.size(); ++k) joined += (k ? "," : "") + f[k];
    ls[i] = joined;
    return ls;
  };
  const size_t row = 5;  // line 6 of the file
  int exit = -1;

  Spit(dir_ / "missing.csv", Join(set_field(lines, row, col("customer_id"), "")));
  Hits hits = Validate("missing.csv", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.LvtrRecord", 6})) << "missing customer_id not reported at line 6";

  Spit(dir_ / "currency.csv", Join(set_field(lines, row, col("currency"), "XXX")));
  hits = Validate("currency.csv", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.LvtrRecord", 6})) << "currency XXX not reported at line 6";

  // A wrong total: the finding of line 2 (its first record) claims one more in the last digit.
  auto fields = [](const std::string& line) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) f.push_back(c);
    return f;
  };
  const std::string finding_id = fields(lines[1])[col("finding_id")];
  std::vector<std::string> wrong = lines;
  for (size_t i = 1; i < wrong.size(); ++i) {
    if (wrong[i].find("," + finding_id + ",") == std::string::npos) continue;
    wrong = set_field(wrong, i, col("finding_total"), fields(wrong[i])[col("finding_total")] + "1");
  }
  Spit(dir_ / "total.csv", Join(wrong));
  hits = Validate("total.csv", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.lvtr_finding_total", 2})) << "wrong total not reported at line 2";

  // A duplicated record: line 6 repeated at the end.
  std::vector<std::string> dup = lines;
  dup.push_back(lines[row]);
  Spit(dir_ / "dup.csv", Join(dup));
  hits = Validate("dup.csv", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.lvtr_unique_record", 6})) << "duplicate record_id not reported at line 6";
  EXPECT_TRUE(hits.count({"decree.filing.lvtr_record_count", 2})) << "record_count not reported";
}

TEST_F(ReportTest, CorruptedXmlFailsAtTheLine) {
  const std::vector<std::string> lines = Lines(Slurp(dir_ / "lvtr.xml"));
  // The first <transaction> and the first finding's total.
  size_t txn = 0, total = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (txn == 0 && lines[i].find("<transaction>") != std::string::npos) txn = i;
    if (total == 0 && lines[i].find("<finding_total>") != std::string::npos) total = i;
  }
  ASSERT_GT(txn, 0u);
  const int txn_line = static_cast<int>(txn) + 1;
  auto edit = [&](const char* element, const std::string& replacement) {
    std::vector<std::string> ls = lines;
    for (size_t i = txn; i < ls.size(); ++i) {
      if (ls[i].find(std::string("<") + element + ">") != std::string::npos) {
        ls[i] = replacement;
        break;
      }
    }
    return ls;
  };
  int exit = -1;
  Spit(dir_ / "missing.xml", Join(edit("txn_id", "")));
  Hits hits = Validate("missing.xml", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.LvtrRecord", txn_line})) << "missing txn_id not reported at line " << txn_line;

  Spit(dir_ / "currency.xml", Join(edit("currency", "      <currency>CNX</currency>")));
  hits = Validate("currency.xml", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.LvtrRecord", txn_line})) << "currency CNX not reported at line " << txn_line;

  std::vector<std::string> wrong = lines;
  wrong[total] = "    <finding_total>1.00</finding_total>";
  Spit(dir_ / "total.xml", Join(wrong));
  hits = Validate("total.xml", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.lvtr_finding_total", txn_line})) << "wrong total not reported at line " << txn_line;

  // The first transaction element repeated right after itself.
  size_t end = txn;
  while (lines[end].find("</transaction>") == std::string::npos) ++end;
  std::vector<std::string> dup(lines.begin(), lines.begin() + static_cast<long>(end) + 1);
  dup.insert(dup.end(), lines.begin() + static_cast<long>(txn), lines.begin() + static_cast<long>(end) + 1);
  dup.insert(dup.end(), lines.begin() + static_cast<long>(end) + 1, lines.end());
  Spit(dir_ / "dup.xml", Join(dup));
  hits = Validate("dup.xml", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.lvtr_unique_record", txn_line})) << "duplicate record_id not reported at line " << txn_line;

  // Not well-formed: the reader's error is a violation at its line too.
  std::vector<std::string> broken = lines;
  broken[txn] = "    <transaction>";
  broken[txn + 1] = "      <record_id>oops</record_>";
  Spit(dir_ / "broken.xml", Join(broken));
  hits = Validate("broken.xml", &exit);
  EXPECT_EQ(exit, 1);
  EXPECT_TRUE(hits.count({"decree.filing.readable", txn_line + 1})) << "the malformed line " << txn_line + 1 << " is not named";
}

TEST_F(ReportTest, SummaryRendersAsTextCsvAndChart) {
  Result r = Decree("report cn-pboc-lvtr.dlib -f lvtr.jsonl --format summary -o summary.txt");
  ASSERT_EQ(r.exit, 0) << r.err;
  std::string text = Slurp(dir_ / "summary.txt");
  EXPECT_NE(text.find("By rule"), std::string::npos);
  EXPECT_NE(text.find("cn.pboc.lvtr.cash"), std::string::npos);
  r = Decree("report cn-pboc-lvtr.dlib -f lvtr.jsonl --format summary -o summary.csv");
  ASSERT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(Slurp(dir_ / "summary.csv").rfind("section,rule,day,currency,findings,transactions,total\n", 0), 0u);
  r = Decree("report cn-pboc-lvtr.dlib -f lvtr.jsonl --format summary -o summary.svg");
  ASSERT_EQ(r.exit, 0) << r.err;
  // The per-rule finding counts of the CSV add up to the findings.
  size_t findings = Lines(Slurp(dir_ / "lvtr.jsonl")).size(), from_csv = 0;
  for (const std::string& l : Lines(Slurp(dir_ / "summary.csv"))) {
    if (l.rfind("day,", 0) != 0) continue;
    std::vector<std::string> f;
    std::stringstream ss(l);
    for (std::string c; std::getline(ss, c, ',');) f.push_back(c);
    from_csv += std::stoul(f[4]);
  }
  EXPECT_EQ(from_csv, findings);
  // Rendered for a person to look at (rsvg-convert: librsvg2-bin, installed by scripts/setup.sh).
  const fs::path artefacts = fs::path(DECREE_BINARY_DIR) / "test-artefacts";
  fs::create_directories(artefacts);
  const fs::path png = artefacts / "summary.png";
  fs::remove(png);
  r = Sh("rsvg-convert summary.svg -o '" + png.string() + "'");
  ASSERT_EQ(r.exit, 0) << "rsvg-convert: " << r.err;
  std::string bytes = Slurp(png);
  ASSERT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes.substr(1, 3), "PNG");
}

}  // namespace
}  // namespace decree
