// The labelled screening set (tests/screening/labelled.csv) against the real UN and OFAC lists:
// recall and precision at the default threshold, and the index's hits equal to the all-pairs
// scan's for every query.  The lists are read where the project keeps them (never copied):
// $DECREE_WATCHLISTS, else ../shared/data/watchlists beside the source tree.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "io/csv_records.h"
#include "screen/index.h"
#include "watchlist_dir.h"
#include "screen/match.h"
#include "screen/watchlist.h"

namespace decree::screen {
namespace {

using testing_support::WatchlistDir;

struct Labelled {
  std::string query, category;
  std::set<std::string> expected;  // "list:entry_id"
};

// The records of a data file under tests/screening/ after its header: lines starting with '#'
// are comments.
std::vector<std::vector<std::string>> ReadDataFile(const std::string& name) {
  std::ifstream in(std::string(DECREE_SOURCE_DIR) + "/tests/screening/" + name);
  std::string line, text;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') text += line + "\n";
  }
  io::CsvRecords records(text, name);
  std::vector<std::string_view> fields;
  Status error;
  std::vector<std::vector<std::string>> rows;
  for (bool header = true; records.Next(&fields, &error); header = false) {
    EXPECT_TRUE(error.ok()) << error.ToString();
    if (!header) rows.emplace_back(fields.begin(), fields.end());
  }
  return rows;
}

std::vector<Labelled> ReadLabelled() {
  std::vector<Labelled> out;
  for (const auto& f : ReadDataFile("labelled.csv")) {  // query,expected,category
    if (f.size() != 3) continue;
    Labelled l;
    l.query = f[0];
    l.category = f[2];
    std::stringstream expected(f[1]);
    for (std::string e; std::getline(expected, e, '|');) {
      if (!e.empty()) l.expected.insert(e);
    }
    out.push_back(l);
  }
  return out;
}

class LabelledSet : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = WatchlistDir();
    if (dir_.empty()) return;
    std::vector<WatchList> lists;
    ASSERT_TRUE(LoadWatchLists(dir_ + "/un_consolidated.xml", &lists).ok());
    ASSERT_TRUE(LoadWatchLists(dir_ + "/ofac_sdn.csv", &lists).ok());
    ASSERT_TRUE(ScreeningIndex::Build(std::move(lists), &index_).ok());
  }
  static void TearDownTestSuite() { index_.reset(); }
  void SetUp() override {
    if (dir_.empty()) GTEST_SKIP() << "the UN and OFAC lists were not found: set DECREE_WATCHLISTS to their folder";
  }
  std::set<std::string> Ids(const std::vector<ScreenHit>& hits) const {
    std::set<std::string> out;
    for (const ScreenHit& h : hits) {
      const auto& n = index_->names()[h.name];
      out.insert(index_->lists()[n.list].list_id + ":" + index_->lists()[n.list].entries[n.entry].entry_id);
    }
    return out;
  }
  static inline std::string dir_;
  static inline std::unique_ptr<ScreeningIndex> index_;
};

TEST_F(LabelledSet, ListsLoadWhole) {
  ASSERT_EQ(index_->lists().size(), 2u);
  EXPECT_EQ(index_->lists()[0].entries.size(), 730u + 273u);  // the UN list's README counts
  EXPECT_EQ(index_->lists()[1].entries.size(), 8976u);        // OFAC's
  size_t aliases = 0, ccc = 0;
  for (const auto& e : index_->lists()[1].entries) {
    for (const auto& n : e.names) {
      aliases += n.source == NameSource::kAlias;
      ccc += n.source == NameSource::kCommercialCode;
    }
  }
  EXPECT_EQ(aliases, 11910u);
  EXPECT_EQ(ccc, 12u);
  EXPECT_EQ(index_->skipped_names(), 0u);
}

TEST_F(LabelledSet, RecallAndPrecisionAtTheDefaultThreshold) {
  const std::vector<Labelled> set = ReadLabelled();
  ASSERT_GE(set.size(), 100u);
  Screener screener(index_.get(), kDefaultThreshold), reference(index_.get(), kDefaultThreshold);
  std::vector<ScreenHit> hits, all;
  NormalizedName q;
  size_t tp = 0, fp = 0, fn = 0, non_matches = 0, clean_non_matches = 0;
  std::map<std::string, std::pair<size_t, size_t>> by_category;  // found, expected
  std::string misses;
  for (const Labelled& l : set) {
    screener.Screen(l.query, &hits, &q);
    reference.AllPairs(l.query, &all, &q);
    const std::set<std::string> got = Ids(hits);
    EXPECT_EQ(got, Ids(all)) << "index and all-pairs differ for '" << l.query << "'";
    for (const auto& e : l.expected) {
      bool found = got.count(e) > 0;
      (found ? tp : fn) += 1;
      by_category[l.category].first += found;
      by_category[l.category].second += 1;
      if (!found) misses += "  missed " + e + " for '" + l.query + "' (" + l.category + ")\n";
    }
    for (const auto& g : got) {
      if (!l.expected.count(g)) {
        ++fp;
        misses += "  extra " + g + " for '" + l.query + "'\n";
      }
    }
    if (l.expected.empty()) {
      ++non_matches;
      clean_non_matches += got.empty();
    }
  }
  const double recall = static_cast<double>(tp) / static_cast<double>(tp + fn);
  const double precision = static_cast<double>(tp) / static_cast<double>(tp + fp);
  std::printf("labelled set: %zu queries, threshold %.2f: recall %.3f (%zu/%zu), precision %.3f (%zu/%zu); "
              "%zu of %zu hard non-matches without a hit\n%s",
              set.size(), kDefaultThreshold, recall, tp, tp + fn, precision, tp, tp + fp, clean_non_matches, non_matches,
              misses.c_str());
  for (const auto& [category, counts] : by_category) std::printf("  %-26s %zu/%zu\n", category.c_str(), counts.first, counts.second);
  RecordProperty("recall", std::to_string(recall));
  RecordProperty("precision", std::to_string(precision));
  // The floors the documentation states (docs/screening.md); the measured values are printed.
  EXPECT_GE(recall, 0.98);
  EXPECT_GE(precision, 0.95);
  EXPECT_EQ(clean_non_matches, non_matches);
}

TEST_F(LabelledSet, EveryHitExplainsItself) {
  Screener screener(index_.get(), kDefaultThreshold);
  std::vector<ScreenHit> hits;
  NormalizedName q;
  screener.Screen("張磊", &hits, &q);
  ASSERT_FALSE(hits.empty());
  const auto& n = index_->names()[hits[0].name];
  EXPECT_EQ(index_->lists()[n.list].entries[n.entry].entry_id, "16318");
  EXPECT_EQ(hits[0].score, 1.0);
  std::vector<std::string> steps = NormStepNames(q.steps);
  EXPECT_NE(std::find(steps.begin(), steps.end(), "trad_to_simp"), steps.end());
  EXPECT_NE(std::find(steps.begin(), steps.end(), "han_to_latin"), steps.end());
}

// The variants built from real entries (tests/screening/variants.csv, make_variants.py): each
// query must hit its entry ("hit") or must not ("no_hit"); only that entry is judged.  The
// floors are issue 17's (docs/screening.md): recall ≥ 0.98, at most 1 % of the hard
// non-matches hit.  Every query is also scored against every list name, and the index must
// find exactly what that finds.
struct Variant {
  std::string query, entry, category;
  bool hit;
};

std::vector<Variant> ReadVariants() {
  std::vector<Variant> out;
  for (const auto& f : ReadDataFile("variants.csv")) {  // query,entry,category,expect
    if (f.size() == 4) out.push_back({f[0], f[1], f[2], f[3] == "hit"});
  }
  return out;
}

TEST_F(LabelledSet, VariantsOfRealEntries) {
  const std::vector<Variant> set = ReadVariants();
  size_t positives = 0, negatives = 0;
  for (const Variant& v : set) (v.hit ? positives : negatives) += 1;
  ASSERT_GE(positives, 600u);
  ASSERT_GE(negatives, 150u);
  Screener screener(index_.get(), kDefaultThreshold), reference(index_.get(), kDefaultThreshold);
  std::vector<ScreenHit> hits, all;
  NormalizedName q;
  size_t found = 0, wrongly = 0;
  std::map<std::string, std::pair<size_t, size_t>> by_category;  // as expected, total
  std::string report;
  for (const Variant& v : set) {
    screener.Screen(v.query, &hits, &q);
    const std::set<std::string> got = Ids(hits);
    reference.AllPairs(v.query, &all, &q);
    EXPECT_EQ(got, Ids(all)) << "index and all-pairs differ for '" << v.query << "'";
    const bool hit = got.count(v.entry) > 0;
    (v.hit ? found : wrongly) += hit;
    by_category[v.category].first += hit == v.hit;
    by_category[v.category].second += 1;
    if (hit != v.hit) report += fmt::format("  {} {} for '{}' ({})\n", v.hit ? "missed" : "wrongly hit", v.entry, v.query, v.category);
  }
  const double recall = static_cast<double>(found) / static_cast<double>(positives);
  const double false_rate = static_cast<double>(wrongly) / static_cast<double>(negatives);
  std::printf("variants: %zu queries, threshold %.2f: recall %.3f (%zu/%zu); hard non-matches hit %.3f (%zu/%zu)\n%s", set.size(),
              kDefaultThreshold, recall, found, positives, false_rate, wrongly, negatives, report.c_str());
  for (const auto& [category, counts] : by_category) std::printf("  %-22s %zu/%zu as expected\n", category.c_str(), counts.first, counts.second);
  RecordProperty("variant_recall", std::to_string(recall));
  RecordProperty("variant_false_rate", std::to_string(false_rate));
  EXPECT_GE(recall, 0.98);
  EXPECT_LE(false_rate, 0.01);
}

}  // namespace
}  // namespace decree::screen
