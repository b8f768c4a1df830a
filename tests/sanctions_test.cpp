// The sanctions ruleset end to end: `screen(name, list "…") >= 0.92` evaluated by the runtime
// over a batch whose names are the labelled set's queries and the bundled example's, with the
// real UN and OFAC lists and examples/watchlist.csv, against the screening index queried
// directly (the path `decree screen` takes): the same (transaction, rule) pairs, the score in
// each explanation the index's best score, and the same findings with one thread and two.
// The lists are read where the project keeps them (see screening_test.cpp); skipped without.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "decree/run.h"
#include "driver/compilation.h"
#include "screen/index.h"
#include "decree/files.h"
#include "common/strings.h"
#include "io/csv_records.h"
#include "watchlist_dir.h"
#include "screen/watchlist.h"

namespace decree {
namespace {

namespace fs = std::filesystem;

using testing_support::WatchlistDir;

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

// Names to screen: the labelled queries and the bundled example batch's parties.
std::vector<std::string> Names() {
  std::vector<std::string> names;
  std::ifstream labelled(std::string(DECREE_SOURCE_DIR) + "/tests/screening/labelled.csv");
  std::string line;
  for (bool header = true; std::getline(labelled, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (!header) names.push_back(line.substr(0, line.find(',')));
    header = false;
  }
  // The example batch's parties: customer_name is its fifth column, counterparty_name its 13th.
  const std::string example = std::string(DECREE_SOURCE_DIR) + "/examples/transactions.csv";
  std::string text;
  EXPECT_TRUE(ReadWholeFile(example, kMaxWholeFileBytes, &text).ok());
  io::CsvRecords records(text, example);
  std::vector<std::string_view> f;
  Status error;
  records.Next(&f, &error);  // the header
  for (int i = 0; i < 200 && records.Next(&f, &error) && error.ok(); ++i) {
    names.emplace_back(f[4]);
    names.emplace_back(f[12]);
  }
  EXPECT_TRUE(error.ok()) << error.message();
  return names;
}

TEST(Sanctions, RulesAgreeWithTheScreeningIndex) {
  const std::string dir = WatchlistDir();
  if (dir.empty()) GTEST_SKIP() << "the UN and OFAC lists were not found: set DECREE_WATCHLISTS to their folder";
  CompileOptions o;
  o.paths = {std::string(DECREE_SOURCE_DIR) + "/rulesets/sanctions"};
  Compilation c(o);
  ASSERT_TRUE(c.Run());
  const std::vector<std::string> files = {dir + "/un_consolidated.xml", dir + "/ofac_sdn.csv",
                                          std::string(DECREE_SOURCE_DIR) + "/examples/watchlist.csv"};

  // The batch: each name once as the customer and once as the counterparty (of another row).
  const std::vector<std::string> names = Names();
  ASSERT_GT(names.size(), 400u);
  fs::path tmp = fs::temp_directory_path() / ("decree-sanctions-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  std::string batch = (tmp / "batch.csv").string();
  {
    std::ofstream out(batch);
    out << "txn_id,booked_at,customer_id,customer_type,customer_name,account_id,direction,amount,currency,channel,"
           "cross_border,counterparty_id,counterparty_name,counterparty_account,counterparty_type,"
           "counterparty_country,exemption,purpose\n";
    for (size_t i = 0; i < names.size(); ++i) {
      out << "S" << i << ",2026-03-02T10:00:00+08:00,C" << i << ",person," << Quote(names[i]) << ",A" << i
          << ",out,1000.00,CNY,transfer,true,X" << i << "," << Quote(names[(i + 1) % names.size()]) << ",B" << i
          << ",person,HK,,\n";
    }
  }

  // What the index says: for each row, column and list, the best score at or above 0.92.
  std::vector<screen::WatchList> lists;
  for (const std::string& f : files) ASSERT_TRUE(screen::LoadWatchLists(f, &lists).ok()) << f;
  std::unique_ptr<screen::ScreeningIndex> index;
  ASSERT_TRUE(screen::ScreeningIndex::Build(std::move(lists), &index).ok());
  screen::Screener screener(index.get(), 0.92);
  const std::map<std::string, std::string> rule_list = {{"un-sc", "un"}, {"ofac-sdn", "ofac"}, {"local-risk", "local"}};
  std::map<std::pair<std::string, std::string>, int> expected;  // (txn, rule) -> score in 1/10000
  std::vector<screen::ScreenHit> hits;
  screen::NormalizedName q;
  for (size_t i = 0; i < names.size(); ++i) {
    for (int col = 0; col < 2; ++col) {
      screener.Screen(col == 0 ? names[i] : names[(i + 1) % names.size()], &hits, &q);
      for (const screen::ScreenHit& h : hits) {
        const std::string& list = index->lists()[index->names()[h.name].list].list_id;
        auto key = std::make_pair("S" + std::to_string(i),
                                  "sanctions." + rule_list.at(list) + (col == 0 ? "_customer" : "_counterparty"));
        int units = static_cast<int>(std::floor(h.score * 10000 + 1e-9));
        expected.emplace(key, units);  // hits come best first
      }
    }
  }
  ASSERT_GT(expected.size(), 100u);  // not vacuous: the labelled set's matches are in the batch
  std::set<std::string> rules_hit;
  for (const auto& [k, v] : expected) rules_hit.insert(k.second);
  EXPECT_EQ(rules_hit.size(), 6u) << "every rule of the ruleset should fire";

  RunOptions options;
  options.watch_lists = files;
  options.threads = 2;
  RunResult two, one;
  InputSpec input;
  input.path = batch;
  Status st = decree::Run(c.program(), input, options, &two);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(two.rows_read, names.size());
  EXPECT_EQ(two.rows_rejected, 0u);
  std::map<std::pair<std::string, std::string>, int> got;
  for (const Finding& f : two.findings) {
    ASSERT_EQ(f.txn_ids.size(), 1u);
    // "screen(t.customer_name, list \"un-sc\") 0.9731 [un-sc QDi.… \"…\"] >= 0.92"
    size_t p = f.explain.find(") ");
    ASSERT_NE(p, std::string::npos) << f.explain;
    std::string score = f.explain.substr(p + 2, f.explain.find(' ', p + 2) - p - 2);
    got.emplace(std::make_pair(f.txn_ids[0], f.rule), static_cast<int>(std::lround(std::stod(score) * 10000)));
    EXPECT_NE(f.explain.find(" ["), std::string::npos) << "the explanation names the entry: " << f.explain;
  }
  EXPECT_EQ(got, expected);

  options.threads = 1;
  ASSERT_TRUE(decree::Run(c.program(), input, options, &one).ok());
  EXPECT_EQ(FindingsToJsonl(one.findings), FindingsToJsonl(two.findings));
  fs::remove_all(tmp);
}

TEST(Sanctions, AMissingListIsAClearError) {
  CompileOptions o;
  o.paths = {std::string(DECREE_SOURCE_DIR) + "/rulesets/sanctions"};
  Compilation c(o);
  ASSERT_TRUE(c.Run());
  RunOptions options;
  options.watch_lists = {std::string(DECREE_SOURCE_DIR) + "/examples/watchlist.csv"};
  RunResult r;
  InputSpec input;
  input.path = std::string(DECREE_SOURCE_DIR) + "/examples/transactions.csv";
  Status st = decree::Run(c.program(), input, options, &r);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("\"ofac-sdn\", \"un-sc\""), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("loaded: \"local-risk\""), std::string::npos) << st.message();
}

}  // namespace
}  // namespace decree
