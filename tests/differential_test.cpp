// Differential tests: `cn-pboc-lvtr` and `aml-typologies` evaluated by the runtime and by
// hand-written SQL in SQLite (bench/peers/lvtr.sqlite.sql, aml.sqlite.sql) over batches from the
// project's generator; the findings must be identical as (rule, key, txn_ids).
//
// The two paths share nothing but the generator: the runtime reads the CSV file the generator
// wrote, while SQLite gets the generator's fields directly as text, and computes days, exact
// amounts and USD equivalents in its own SQL.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "decree/run.h"
#include "driver/compilation.h"
#include "gen/generator.h"
#include "ir/ir.h"

namespace decree {
namespace {

namespace fs = std::filesystem;

using Row = std::tuple<std::string, std::string, std::string>;  // rule, key, txn_ids

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SortedIds(const std::string& joined) {
  std::vector<std::string> ids;
  std::stringstream ss(joined);
  for (std::string id; std::getline(ss, id, ',');) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

class SqliteDb {
 public:
  SqliteDb() { EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK); }
  ~SqliteDb() { sqlite3_close(db_); }
  sqlite3* get() { return db_; }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  }

  // Inserts rows of text into `table` (created with these text columns).
  void Load(const std::string& table, const std::vector<std::string>& columns,
            const std::function<void(const std::function<void(const std::vector<std::string>&)>&)>& rows) {
    std::string create = "CREATE TABLE " + table + " (", insert = "INSERT INTO " + table + " VALUES (";
    for (size_t i = 0; i < columns.size(); ++i) {
      create += (i ? ", " : "") + columns[i] + " TEXT";
      insert += i ? ", ?" : "?";
    }
    Exec(create + ")");
    Exec("BEGIN");
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, (insert + ")").c_str(), -1, &stmt, nullptr), SQLITE_OK);
    rows([&](const std::vector<std::string>& fields) {
      for (size_t i = 0; i < fields.size(); ++i) {
        sqlite3_bind_text(stmt, static_cast<int>(i + 1), fields[i].data(), static_cast<int>(fields[i].size()),
                          SQLITE_TRANSIENT);
      }
      ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db_);
      sqlite3_reset(stmt);
    });
    sqlite3_finalize(stmt);
    Exec("COMMIT");
  }

  std::vector<Row> Query(const std::string& sql) {
    std::vector<Row> out;
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      auto col = [&](int i) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i))); };
      out.emplace_back(col(0), col(1), SortedIds(col(2)));
    }
    EXPECT_EQ(rc, SQLITE_DONE) << sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

// Findings as (rule, key, txn_ids).
std::vector<Row> Rows(const std::vector<Finding>& findings) {
  std::vector<Row> out;
  for (const Finding& f : findings) {
    std::string key, ids;
    for (const auto& [name, value] : f.key) key += (key.empty() ? "" : "|") + value;
    for (const std::string& id : f.txn_ids) ids += (ids.empty() ? "" : ",") + id;
    EXPECT_TRUE(std::is_sorted(f.txn_ids.begin(), f.txn_ids.end())) << f.rule << " " << key;
    out.emplace_back(f.rule, key, ids);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A generated batch through the runtime (from its CSV file, two threads, then one: the same
// output) and through a hand-written SQL file in SQLite (from the generator's fields as text).
void Compare(const ir::Program& program, const fs::path& dir, const bench::GenOptions& g, const std::string& sql_file,
             std::vector<Row>* decree_rows, std::vector<Row>* sql_rows) {
  std::string error;
  const std::string tx = (dir / "tx.csv").string(), rates = (dir / "rates.csv").string(),
                    last_activity = (dir / "last_activity.csv").string();
  ASSERT_TRUE(bench::WriteBatch(g, tx, /*jsonl=*/false, &error)) << error;
  ASSERT_TRUE(bench::WriteRates(g, rates, &error)) << error;
  ASSERT_TRUE(bench::WriteLastActivity(g, last_activity, &error)) << error;

  RunOptions options;
  options.threads = 2;
  options.tables["usd_rate"] = rates;
  if (program.FindTable("aml.last_activity") != nullptr) options.tables["last_activity"] = last_activity;
  RunResult result;
  InputSpec input;
  input.path = tx;
  Status st = decree::Run(program, input, options, &result);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(result.rows_read, g.rows);
  EXPECT_EQ(result.rows_evaluated, g.rows);
  EXPECT_EQ(result.rows_rejected, 0u);
  *decree_rows = Rows(result.findings);

  SqliteDb db;
  db.Load("tx", bench::Columns(), [&](const auto& add) {
    bench::Generate(g, [&](const bench::GeneratedRow& r) { add(bench::Fields(r)); });
  });
  db.Load("rates", {"date", "currency", "usd_per_unit"}, [&](const auto& add) {
    for (const auto& r : bench::Rates(g)) add(r);
  });
  db.Load("last_activity", {"customer_id", "last_seen_at"}, [&](const auto& add) {
    for (const auto& r : bench::LastActivity(g)) add(r);
  });
  *sql_rows = db.Query(ReadText(fs::path(DECREE_SOURCE_DIR) / sql_file));
  std::sort(sql_rows->begin(), sql_rows->end());

  std::vector<Row> only_decree, only_sql;
  std::set_difference(decree_rows->begin(), decree_rows->end(), sql_rows->begin(), sql_rows->end(), std::back_inserter(only_decree));
  std::set_difference(sql_rows->begin(), sql_rows->end(), decree_rows->begin(), decree_rows->end(), std::back_inserter(only_sql));
  for (size_t i = 0; i < std::min<size_t>(only_decree.size(), 5); ++i) {
    ADD_FAILURE() << "only decree: " << std::get<0>(only_decree[i]) << " " << std::get<1>(only_decree[i]) << " "
                  << std::get<2>(only_decree[i]);
  }
  for (size_t i = 0; i < std::min<size_t>(only_sql.size(), 5); ++i) {
    ADD_FAILURE() << "only sql: " << std::get<0>(only_sql[i]) << " " << std::get<1>(only_sql[i]) << " "
                  << std::get<2>(only_sql[i]);
  }
  EXPECT_EQ(decree_rows->size(), sql_rows->size());

  RunOptions one = options;
  one.threads = 1;
  RunResult single;
  ASSERT_TRUE(decree::Run(program, input, one, &single).ok());
  EXPECT_EQ(FindingsToJsonl(single.findings), FindingsToJsonl(result.findings)) << "output depends on --threads";
}

// Compiles a shipped ruleset once per suite; a scratch folder per test.
class DifferentialTest : public testing::TestWithParam<uint64_t> {
 protected:
  static Compilation* Compile(const char* ruleset) {
    CompileOptions o;
    o.paths = {std::string(DECREE_SOURCE_DIR) + "/rulesets/" + ruleset};
    auto* c = new Compilation(o);
    EXPECT_TRUE(c->Run());
    return c;
  }
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("decree-diff-" + std::to_string(getpid()) + "-" + std::to_string(GetParam()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_P(DifferentialTest, RuntimeAgreesWithHandWrittenSql) {
  static Compilation* lvtr = Compile("cn-pboc-lvtr");
  bench::GenOptions g;
  g.rows = 40000;
  g.seed = GetParam();
  g.customers = 400;  // ~100 rows a customer over 30 days: many groups cross a threshold only in total
  std::vector<Row> decree, sql;
  Compare(lvtr->program(), dir_, g, "bench/peers/lvtr.sqlite.sql", &decree, &sql);
  // Not vacuous: every article fires, in both currency classes.
  ASSERT_GT(sql.size(), 200u);
  for (const char* rule : {"cash", "entity_transfer", "person_domestic_transfer", "person_crossborder_transfer"}) {
    for (const char* cls : {"|CNY", "|FX"}) {
      EXPECT_TRUE(std::any_of(sql.begin(), sql.end(), [&](const Row& r) {
        return std::get<0>(r) == std::string("cn.pboc.lvtr.") + rule && std::get<1>(r).ends_with(cls);
      })) << rule << cls << " never fires on seed " << GetParam();
    }
  }
}

// The typologies: sliding windows, anchors, distinct counts, consolidation per customer-day.
TEST_P(DifferentialTest, TypologiesAgreeWithWindowSql) {
  static Compilation* aml = Compile("aml-typologies");
  bench::GenOptions g;
  g.rows = 20000;
  g.seed = GetParam();
  g.customers = 100;  // ~200 rows a customer over 30 days: a week's transfers reach ten counterparties
  std::vector<Row> decree, sql;
  Compare(aml->program(), dir_, g, "bench/peers/aml.sqlite.sql", &decree, &sql);
  for (const char* rule : {"structuring", "rapid_movement", "fan_in", "fan_out", "round_amounts", "high_risk_jurisdiction",
                           "dormant_reactivation"}) {
    EXPECT_TRUE(std::any_of(sql.begin(), sql.end(), [&](const Row& r) { return std::get<0>(r) == std::string("aml.") + rule; }))
        << rule << " never fires on seed " << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, DifferentialTest, testing::Values(1, 2, 3, 7, 42));

}  // namespace
}  // namespace decree
