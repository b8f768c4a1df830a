// The online engine against the batch runtime: generated batches are fed to decree::Engine in
// shuffled order, and every answer is compared with decree::Run over the records received so
// far (the prefix, read as JSON Lines from memory): the same decision and the same findings.
// The LVTR, typology (dormant_reactivation with its last_activity table) and sanctions
// rulesets are loaded together.  Also: idempotent replays, conflicts, late arrivals, rejects,
// and the durable state continuing across a reopen and a torn log.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "decree/engine.h"
#include "decree/json.h"
#include "decree/run.h"
#include "driver/compilation.h"
#include "exec/run_source.h"
#include "exec/tables.h"
#include "gen/generator.h"
#include "watchlist_dir.h"

namespace decree {
namespace {

namespace fs = std::filesystem;

class EngineTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / fmt::format("decree-engine-{}", getpid()));
    fs::create_directories(*dir_);
    library_ = new std::shared_ptr<const Library>();
    BuildLibrary("lib.dlib", "engine_test", library_);
  }
  // The LVTR, typology and sanctions rulesets compiled into `file` under dir_, named `name`
  // (the name is part of the content hash), and opened.
  static void BuildLibrary(const std::string& file, const std::string& name, std::shared_ptr<const Library>* out) {
    CompileOptions o;
    for (const char* rs : {"cn-pboc-lvtr", "aml-typologies", "sanctions"}) o.paths.push_back(fmt::format("{}/rulesets/{}", DECREE_SOURCE_DIR, rs));
    Compilation c(o);
    ASSERT_TRUE(c.Run());
    std::string hash, path = (*dir_ / file).string();
    ASSERT_TRUE(WriteRuleLibrary(c, path, name, &hash).ok());
    std::unique_ptr<Library> lib;
    ASSERT_TRUE(Library::Open(path, &lib).ok());
    *out = std::move(lib);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete library_;
  }

  // A generated batch: `rows` over `customers` and `days` (from 2026-03-01).
  static bench::GenOptions Gen(uint64_t rows, uint64_t seed, uint64_t customers, int days) {
    bench::GenOptions g;
    g.rows = rows;
    g.seed = seed;
    g.customers = customers;
    g.days = days;
    return g;
  }

  // Tables and lists for `g`'s batch; skips without the real lists.
  bool Options(const bench::GenOptions& g, EngineOptions* o) {
    std::string lists = testing_support::WatchlistDir();
    if (lists.empty()) return false;
    std::string err, rates = (*dir_ / "rates.csv").string(), last = (*dir_ / "last.csv").string();
    EXPECT_TRUE(bench::WriteRates(g, rates, &err)) << err;
    EXPECT_TRUE(bench::WriteLastActivity(g, last, &err)) << err;
    o->tables = {{"usd_rate", rates}, {"last_activity", last}};
    o->watch_lists = {lists + "/un_consolidated.xml", lists + "/ofac_sdn.csv", std::string(DECREE_SOURCE_DIR) + "/examples/watchlist.csv"};
    o->late_after_us = int64_t{400} * 86400 * 1000000;
    o->skip_rules = {"aml.layering_chain", "aml.round_trip"};  // path rules run in batch only
    return true;
  }

  // The generated rows as JSON objects, some counterparties renamed to listed parties.
  static std::vector<std::string> Records(const bench::GenOptions& g) {
    std::vector<std::string> out;
    const std::vector<std::string>& cols = bench::Columns();
    bench::Generate(g, [&](const bench::GeneratedRow& r) {
      std::vector<std::string> f = bench::Fields(r);
      if (out.size() % 37 == 5) f[12] = "YANG, Lei";  // counterparty_name: the institution's list
      if (out.size() % 53 == 7) f[12] = "Abdelbaset Azzouz";  // UN QDi.371
      std::string json;
      JsonWriter w(&json);
      w.BeginObject();
      for (size_t i = 0; i < cols.size(); ++i) w.Field(cols[i], f[i]);
      w.EndObject();
      out.push_back(std::move(json));
    });
    return out;
  }

  // The batch runtime's tables and lists for `eo`, loaded once per batch (as decree::Run
  // loads them).
  static std::unique_ptr<exec::Tables> BatchTables(const EngineOptions& eo) {
    const ir::Program& program = (*library_)->program();
    auto tables = std::make_unique<exec::Tables>(program);
    std::vector<std::string> notes;
    EXPECT_TRUE(exec::LoadTables(program, eo.tables, tables.get()).ok());
    EXPECT_TRUE(exec::LoadWatchLists(program, eo.watch_lists, false, tables.get(), &notes).ok());
    return tables;
  }

  // What the batch runtime says of `id` over `records` (JSON Lines from memory, as `decree run
  // -i prefix.jsonl` reads them): the decision and the findings' lines.
  static std::pair<std::string, std::string> BatchAnswer(const std::vector<std::string>& records, const std::string& id,
                                                         const exec::Tables& tables, const std::vector<std::string>& skip = {}) {
    const ir::Program& program = (*library_)->program();
    auto bytes = std::make_shared<std::string>();
    for (const std::string& r : records) *bytes += r + "\n";
    InputSpec in;
    in.path = "prefix";
    in.format = InputFormat::kJsonl;
    in.bytes = bytes;
    const ir::Layout* layout = nullptr;
    EXPECT_TRUE(exec::SelectLayout(program, "", &layout).ok());
    std::unique_ptr<io::RowSource> source;
    Status st = io::OpenSource(in, program, *layout, &source);
    EXPECT_TRUE(st.ok()) << st.message();
    RunOptions ro;
    ro.threads = 1;
    for (const ir::Rule& r : program.rules) {
      bool skipped = std::find(skip.begin(), skip.end(), r.id) != skip.end();
      if (r.kind != ir::RuleKind::kPath && !skipped) ro.only_rules.push_back(r.id);  // as the engine decides
    }
    RunResult result;
    st = exec::RunSource(program, *layout, *source, tables, ro, &result);
    EXPECT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(result.rows_rejected, 0u);
    std::string decision = "allow", lines;
    for (const Finding& f : result.findings) {
      if (!std::binary_search(f.txn_ids.begin(), f.txn_ids.end(), id)) continue;
      lines += f.ToJson() + "\n";
      for (const std::string& a : f.actions) {
        if (a == "block") decision = "block";
        if ((a == "report" || a == "flag") && decision == "allow") decision = "review";
      }
    }
    return {decision, lines};
  }

  static fs::path* dir_;
  static std::shared_ptr<const Library>* library_;
};

fs::path* EngineTest::dir_ = nullptr;
std::shared_ptr<const Library>* EngineTest::library_ = nullptr;

TEST_F(EngineTest, ShuffledArrivalDecidesAsTheBatchOverThePrefix) {
  for (uint64_t seed : {1, 2, 3}) {
    bench::GenOptions g = Gen(240, seed, 6, 4);
    EngineOptions eo;
    if (!Options(g, &eo)) GTEST_SKIP() << "the UN and OFAC lists are not here";
    std::vector<std::string> records = Records(g);
    std::mt19937_64 rng(seed);
    std::shuffle(records.begin(), records.end(), rng);
    std::unique_ptr<Engine> engine;
    ASSERT_TRUE(Engine::Open(*library_, eo, &engine).ok());
    std::unique_ptr<exec::Tables> tables = BatchTables(eo);
    std::vector<std::string> received;
    std::map<std::string, int> outcomes;
    for (const std::string& r : records) {
      received.push_back(r);
      EngineAnswer a = engine->Decide(r);
      ASSERT_EQ(a.status, 200) << a.json;
      auto [decision, lines] = BatchAnswer(received, a.txn_id, *tables);
      std::string got;
      for (const Finding& f : a.findings) got += f.ToJson() + "\n";
      ASSERT_EQ(a.decision, decision) << "seed " << seed << ", record " << received.size() << ": " << a.json;
      ASSERT_EQ(got, lines) << "seed " << seed << ", record " << received.size();
      ++outcomes[a.decision];
    }
    // The batches exercise every outcome, so the comparison cannot pass vacuously.
    EXPECT_GT(outcomes["allow"], 0) << "seed " << seed;
    EXPECT_GT(outcomes["review"], 0) << "seed " << seed;
    EXPECT_GT(outcomes["block"], 0) << "seed " << seed;
  }
}

// A reload with other rules: the held records are evaluated again by the new library (what a
// record contributes, and to which rule, changes), and later decisions are the new rules'
// batch answers over everything received.
TEST_F(EngineTest, AReloadedLibraryDecidesOverTheHeldRecordsAsItsBatch) {
  bench::GenOptions g = Gen(200, 4, 5, 4);
  EngineOptions eo;
  if (!Options(g, &eo)) GTEST_SKIP() << "the UN and OFAC lists are not here";
  std::vector<std::string> records = Records(g);
  std::mt19937_64 rng(4);
  std::shuffle(records.begin(), records.end(), rng);
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(Engine::Open(*library_, eo, &engine).ok());
  std::unique_ptr<exec::Tables> tables = BatchTables(eo);
  std::vector<std::string> received;
  for (size_t i = 0; i < records.size() / 2; ++i) {
    received.push_back(records[i]);
    ASSERT_EQ(engine->Decide(records[i]).status, 200);
  }
  // Leaving out two rules shifts every later rule's index.
  std::vector<std::string> gone = {"aml.fan_in", "cn.pboc.lvtr.cash"};
  EngineOptions fewer = eo;
  fewer.skip_rules.insert(fewer.skip_rules.end(), gone.begin(), gone.end());
  ASSERT_TRUE(engine->Reload(*library_, fewer).ok());
  std::map<std::string, int> outcomes;
  for (size_t i = records.size() / 2; i < records.size(); ++i) {
    received.push_back(records[i]);
    EngineAnswer a = engine->Decide(records[i]);
    ASSERT_EQ(a.status, 200) << a.json;
    auto [decision, lines] = BatchAnswer(received, a.txn_id, *tables, gone);
    std::string got;
    for (const Finding& f : a.findings) got += f.ToJson() + "\n";
    ASSERT_EQ(a.decision, decision) << "record " << received.size() << ": " << a.json;
    ASSERT_EQ(got, lines) << "record " << received.size();
    ++outcomes[a.decision];
  }
  EXPECT_GT(outcomes["review"], 0);
  EXPECT_GT(outcomes["allow"], 0);
}

// DecideBatch answers exactly as Decide called on each record in turn, whatever a batch
// holds: ids repeated within it (replays and conflicts), unreadable and blank records, a byte
// order mark, line breaks inside a record, late arrivals, and batches of every size.
TEST_F(EngineTest, BatchesAnswerAsDecideOnEachRecordInTurn) {
  bench::GenOptions g = Gen(400, 7, 8, 6);
  EngineOptions eo;
  if (!Options(g, &eo)) GTEST_SKIP() << "the UN and OFAC lists are not here";
  eo.late_after_us = int64_t{2} * 86400 * 1000000;
  std::vector<std::string> records = Records(g);
  std::mt19937_64 rng(7);
  std::shuffle(records.begin(), records.end(), rng);
  // Mixed in: replays (same content), conflicts (same id, other amount), bad records.
  // Two byte order marks: the reader drops one at the start of a text, so each record must be
  // read as if it were one (these two start the first two batches).
  const std::string bom = "\xEF\xBB\xBF";
  std::vector<std::string> stream = {bom + bom + records[1], bom + bom + records[2]};
  for (size_t i = 0; i < records.size(); ++i) {
    stream.push_back(records[i]);
    if (i % 23 == 4) stream.push_back(records[i - 1]);
    if (i % 31 == 9) {
      std::string other = records[i];
      size_t at = other.find(R"("amount":")") + 10;
      other.insert(at, "1");
      stream.push_back(other);
    }
    if (i % 41 == 3) stream.push_back(R"({"txn_id":"BAD)" + std::to_string(i) + R"(","amount":"x"})");
    if (i % 47 == 5) stream.push_back("  ");
    if (i % 53 == 6) stream.push_back(bom + records[(i + 1) % records.size()]);
    if (i % 43 == 6) stream.push_back(bom + bom);
    if (i % 59 == 8) {
      std::string broken = records[i];
      broken.insert(1, "\n");
      stream.push_back(broken);
    }
    if (i % 61 == 2) stream.push_back(R"({"txn_id":"T1"} {"txn_id":"T2"})");
  }
  std::unique_ptr<Engine> one, many;
  ASSERT_TRUE(Engine::Open(*library_, eo, &one).ok());
  ASSERT_TRUE(Engine::Open(*library_, eo, &many).ok());
  std::vector<std::string> want;
  std::map<int, int> statuses;
  for (const std::string& r : stream) {
    EngineAnswer a = one->Decide(r);
    want.push_back(a.json);
    ++statuses[a.status];
  }
  std::vector<std::string> got;
  std::vector<EngineAnswer> answers;
  for (size_t from = 0, k = 0; from < stream.size(); ++k) {
    size_t n = std::min(stream.size() - from, std::vector<size_t>{1, 7, 64, 300, 2}[k % 5]);
    std::vector<std::string_view> batch(stream.begin() + from, stream.begin() + from + n);
    many->DecideBatch(batch, &answers);
    ASSERT_EQ(answers.size(), n);
    for (EngineAnswer& a : answers) got.push_back(a.json);
    from += n;
  }
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "record " << i << ": " << stream[i];
  // Every kind of answer occurred, so the comparison cannot pass vacuously.
  for (int status : {200, 400, 409, 422}) EXPECT_GT(statuses[status], 0) << status;
  EngineStats a = one->stats(), b = many->stats();
  EXPECT_EQ(std::tie(a.allow, a.review, a.block, a.replayed, a.rejected, a.conflicts, a.too_late, a.records_held),
            std::tie(b.allow, b.review, b.block, b.replayed, b.rejected, b.conflicts, b.too_late, b.records_held));
}

TEST_F(EngineTest, CsvLinesDecideAsTheirJsonObjects) {
  bench::GenOptions g = Gen(300, 4, 5, 3);
  EngineOptions eo;
  if (!Options(g, &eo)) GTEST_SKIP() << "the UN and OFAC lists are not here";
  auto quote = [](const std::string& f) {
    if (f.find_first_of(",\"") == std::string::npos) return f;
    std::string q = "\"";
    for (char c : f) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  };
  std::vector<std::string> csv;
  bench::Generate(g, [&](const bench::GeneratedRow& r) {
    std::string line;
    for (const std::string& f : bench::Fields(r)) {
      if (!line.empty()) line += ',';
      line += quote(f);
    }
    csv.push_back(line);
  });
  std::vector<std::string> json = Records(g);
  std::vector<std::string> header;
  std::string head;
  for (const std::string& c : bench::Columns()) head += (head.empty() ? "" : ",") + c;
  ASSERT_TRUE(Engine::CsvHeader(head, &header).ok());
  std::unique_ptr<Engine> a, b, c;
  ASSERT_TRUE(Engine::Open(*library_, eo, &a).ok());
  ASSERT_TRUE(Engine::Open(*library_, eo, &b).ok());
  ASSERT_TRUE(Engine::Open(*library_, eo, &c).ok());
  size_t review = 0;
  std::vector<std::string_view> lines;  // what a decided, for c in batches
  std::vector<std::string> answered;
  const std::string unclosed = "T1,\"unclosed", short_one = "T2,2026-03-01T00:00:00Z";
  for (size_t i = 0; i < csv.size(); ++i) {
    if (i % 37 == 5 || i % 53 == 7) continue;  // Records() renamed these counterparties
    EngineAnswer x = a->DecideCsv(header, csv[i]);
    EngineAnswer y = b->Decide(json[i]);
    ASSERT_EQ(x.json, y.json) << "record " << i;
    review += x.decision == "review";
    lines.push_back(csv[i]);
    answered.push_back(x.json);
    if (i % 100 == 50) {  // lines refused in the midst of a batch
      for (const std::string* bad : {&unclosed, &short_one}) {
        lines.push_back(*bad);
        answered.push_back(a->DecideCsv(header, *bad).json);
      }
    }
  }
  EXPECT_GT(review, 0u);
  // In batches, the lines that read decided together: the same answers.
  std::vector<EngineAnswer> batch;
  for (size_t at = 0; at < lines.size(); at += 13) {
    std::span<const std::string_view> part(lines.data() + at, std::min<size_t>(13, lines.size() - at));
    c->DecideCsvBatch(header, part, &batch);
    ASSERT_EQ(batch.size(), part.size());
    for (size_t k = 0; k < part.size(); ++k) ASSERT_EQ(batch[k].json, answered[at + k]) << "line " << at + k;
  }
  EXPECT_EQ(c->stats().rejected, a->stats().rejected);
  EngineAnswer bad = a->DecideCsv(header, "T1,\"unclosed");
  EXPECT_EQ(bad.status, 400);
  EngineAnswer short_line = a->DecideCsv(header, "T1,2026-03-01T00:00:00Z");
  EXPECT_EQ(short_line.status, 400);
  EXPECT_NE(short_line.reason.find("expected 18 fields, found 2"), std::string::npos) << short_line.reason;
}

TEST_F(EngineTest, StateIsEvictedPastTheRetentionHorizon) {
  // cn-pboc-lvtr alone: no sliding window, so the state keeps the lateness bound (1 hour) plus
  // 33 days; 120 daily deposits of one customer leave at most 35 held.
  CompileOptions o;
  o.paths = {fmt::format("{}/rulesets/cn-pboc-lvtr", DECREE_SOURCE_DIR)};
  Compilation c(o);
  ASSERT_TRUE(c.Run());
  std::string hash, path = (*dir_ / "lvtr.dlib").string();
  ASSERT_TRUE(WriteRuleLibrary(c, path, "engine_test", &hash).ok());
  std::unique_ptr<Library> lib;
  ASSERT_TRUE(Library::Open(path, &lib).ok());
  EngineOptions eo;
  eo.tables["usd_rate"] = std::string(DECREE_SOURCE_DIR) + "/examples/rates.csv";
  eo.late_after_us = int64_t{3600} * 1000000;
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(Engine::Open(std::shared_ptr<const Library>(std::move(lib)), eo, &engine).ok());
  for (int d = 0; d < 120; ++d) {
    int64_t day = 20513 + d;  // days since 1970-01-01: 2026-03-01 + d
    int64_t y = 0, m = 0, dd = 0;
    {  // civil from days (Howard Hinnant's algorithm)
      int64_t z = day + 719468, era = z / 146097, doe = z - era * 146097;
      int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
      int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
      dd = doy - (153 * mp + 2) / 5 + 1;
      m = mp < 10 ? mp + 3 : mp - 9;
      y = yoe + era * 400 + (m <= 2);
    }
    std::string rec = fmt::format(
        R"({{"txn_id":"E{}","booked_at":"{:04}-{:02}-{:02}T10:00:00+08:00","customer_id":"C1","customer_type":"person",)"
        R"("customer_name":"王芳","account_id":"A1","direction":"in","amount":"1000.00","currency":"CNY","channel":"cash",)"
        R"("cross_border":"false","counterparty_id":"X1","counterparty_name":"李四","counterparty_account":"B1",)"
        R"("counterparty_type":"person","counterparty_country":"CN","exemption":"","purpose":""}})",
        d, y, m, dd);
    EngineAnswer a = engine->Decide(rec);
    ASSERT_EQ(a.status, 200) << a.json;
  }
  EngineStats s = engine->stats();
  EXPECT_LE(s.records_held, 35u);
  EXPECT_EQ(s.records_held + s.evicted, 120u);
}

TEST_F(EngineTest, PathRulesAreRefusedUnlessLeftOut) {
  EngineOptions eo;
  eo.tables = {{"usd_rate", std::string(DECREE_SOURCE_DIR) + "/examples/rates.csv"},
               {"last_activity", std::string(DECREE_SOURCE_DIR) + "/examples/last_activity.csv"}};
  eo.watch_lists = {std::string(DECREE_SOURCE_DIR) + "/examples/watchlist.csv"};
  std::unique_ptr<Engine> engine;
  Status st = Engine::Open(*library_, eo, &engine);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("rule aml.layering_chain is a path rule"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("--skip-rule aml.layering_chain"), std::string::npos) << st.message();
  eo.skip_rules = {"aml.layering_chain"};
  st = Engine::Open(*library_, eo, &engine);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("aml.round_trip"), std::string::npos) << st.message();
  eo.skip_rules = {"aml.layering_chain", "aml.round_trip", "aml.no_such_rule"};
  st = Engine::Open(*library_, eo, &engine);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("no rule aml.no_such_rule"), std::string::npos) << st.message();
  if (!Options(Gen(40, 1, 3, 30), &eo)) GTEST_SKIP() << "the UN and OFAC lists are not here";
  st = Engine::Open(*library_, eo, &engine);  // Options leaves both path rules out
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST_F(EngineTest, ReplaysConflictsLatenessAndRejects) {
  bench::GenOptions g = Gen(40, 1, 3, 30);
  EngineOptions eo;
  if (!Options(g, &eo)) GTEST_SKIP() << "the UN and OFAC lists are not here";
  eo.late_after_us = int64_t{3600} * 1000000;
  std::vector<std::string> records = Records(g);
  std::unique_ptr<Engine> engine;
  ASSERT_TRUE(Engine::Open(*library_, eo, &engine).ok());
  const std::string rec =
      R"({"txn_id":"R1","booked_at":"2026-03-10T10:00:00+08:00","customer_id":"C1","customer_type":"person","customer_name":"王芳",)"
      R"("account_id":"A1","direction":"in","amount":"60000.00","currency":"CNY","channel":"cash","cross_border":"false",)"
      R"("counterparty_id":"X1","counterparty_name":"李四","counterparty_account":"B1","counterparty_type":"person",)"
      R"("counterparty_country":"CN","exemption":"","purpose":""})";
  EngineAnswer first = engine->Decide(rec);
  ASSERT_EQ(first.status, 200) << first.json;
  EXPECT_EQ(first.decision, "review");  // a 60,000 CNY cash deposit: a large-value report
  // The same id and content, keys in another order and numbers as numbers: the first answer.
  std::string reordered = rec;
  const std::string quoted = R"("amount":"60000.00")";
  reordered.replace(reordered.find(quoted), quoted.size(), R"("amount":60000.00)");
  EngineAnswer again = engine->Decide(reordered);
  EXPECT_EQ(again.status, 200);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.json, first.json);
  // The same id, other content: 409, and nothing changes.
  std::string other = rec;
  other.replace(other.find("60000.00"), 8, "70000.00");
  EngineAnswer conflict = engine->Decide(other);
  EXPECT_EQ(conflict.status, 409) << conflict.json;
  EXPECT_NE(conflict.reason.find("R1"), std::string::npos);
  // A record two hours behind the newest accepted, past the one-hour bound: 422.
  std::string late = rec;
  late.replace(late.find(R"("R1")"), 4, R"("R2")");
  late.replace(late.find("10:00:00+08:00"), 14, "08:00:00+08:00");
  EngineAnswer too_late = engine->Decide(late);
  EXPECT_EQ(too_late.status, 422) << too_late.json;
  // A bad record: the batch reader's reason.
  std::string bad = rec;
  bad.replace(bad.find(R"("R1")"), 4, R"("R3")");
  bad.replace(bad.find("60000.00"), 8, "12,00");
  EngineAnswer rejected = engine->Decide(bad);
  EXPECT_EQ(rejected.status, 400);
  EXPECT_NE(rejected.reason.find("amount"), std::string::npos) << rejected.reason;
  EXPECT_EQ(engine->Decide(R"({"txn_id":"R4"} {"txn_id":"R5"})").status, 400);
  EXPECT_EQ(engine->Decide("").status, 400);
  EngineStats s = engine->stats();
  EXPECT_EQ(s.review, 1u);
  EXPECT_EQ(s.replayed, 1u);
  EXPECT_EQ(s.conflicts, 1u);
  EXPECT_EQ(s.too_late, 1u);
  EXPECT_EQ(s.rejected, 3u);
  EXPECT_EQ(s.records_held, 1u);
}

// A replay answers with the original answer byte for byte, also after a reload and a restart
// with another library (an allow without findings is kept as the hash that gave it, and
// rendered again).
TEST_F(EngineTest, ReplaysAnswerTheOriginalAfterAReloadAndARestart) {
  bench::GenOptions g = Gen(120, 6, 4, 5);
  EngineOptions eo;
  if (!Options(g, &eo)) GTEST_SKIP() << "the UN and OFAC lists are not here";
  std::vector<std::string> records = Records(g);
  // The same rules in a library with another content hash (another name).
  std::shared_ptr<const Library> other;
  BuildLibrary("other.dlib", "engine_test_other", &other);
  ASSERT_TRUE(other != nullptr);
  ASSERT_NE(other->content_hash(), (*library_)->content_hash());
  EngineOptions durable = eo;
  durable.state_dir = (*dir_ / "replay-state").string();
  fs::remove_all(durable.state_dir);
  std::vector<std::string> first;
  std::map<std::string, int> outcomes;
  {
    std::unique_ptr<Engine> engine;
    ASSERT_TRUE(Engine::Open(*library_, durable, &engine).ok());
    for (const std::string& r : records) {
      EngineAnswer a = engine->Decide(r);
      ASSERT_EQ(a.status, 200) << a.json;
      ++outcomes[a.findings.empty() ? "none" : a.decision];
      first.push_back(a.json);
    }
    Status st = engine->Reload(other, eo);
    ASSERT_TRUE(st.ok()) << st.message();
    for (size_t i = 0; i < records.size(); ++i) {
      EngineAnswer a = engine->Decide(records[i]);
      EXPECT_TRUE(a.replayed);
      ASSERT_EQ(a.json, first[i]) << "after the reload, record " << i;
    }
  }
  EXPECT_GT(outcomes["none"], 0);
  EXPECT_GT(outcomes["review"], 0);
  for (const std::shared_ptr<const Library>& restart : {other, *library_}) {
    std::unique_ptr<Engine> engine;
    ASSERT_TRUE(Engine::Open(restart, durable, &engine).ok());
    for (size_t i = 0; i < records.size(); ++i) {
      ASSERT_EQ(engine->Decide(records[i]).json, first[i]) << "after a restart with " << restart->content_hash() << ", record " << i;
    }
  }
}

TEST_F(EngineTest, DurableStateContinuesAfterReopenAndATornLog) {
  bench::GenOptions g = Gen(160, 9, 4, 3);
  EngineOptions plain;
  if (!Options(g, &plain)) GTEST_SKIP() << "the UN and OFAC lists are not here";
  std::vector<std::string> records = Records(g);
  std::unique_ptr<Engine> reference;
  ASSERT_TRUE(Engine::Open(*library_, plain, &reference).ok());
  std::vector<std::string> expected;
  for (const std::string& r : records) expected.push_back(reference->Decide(r).json);
  EngineOptions durable = plain;
  durable.state_dir = (*dir_ / "state").string();
  fs::remove_all(durable.state_dir);
  size_t at = 0;
  for (size_t stop : {size_t{50}, size_t{51}, size_t{120}, records.size()}) {
    std::unique_ptr<Engine> engine;
    Status st = Engine::Open(*library_, durable, &engine);
    ASSERT_TRUE(st.ok()) << st.message();
    // Records already answered are answered again from the log, byte for byte.
    if (at > 0) {
      EXPECT_EQ(engine->Decide(records[at - 1]).json, expected[at - 1]);
    }
    for (; at < stop; ++at) ASSERT_EQ(engine->Decide(records[at]).json, expected[at]) << "record " << at;
    engine.reset();
    // A torn write at the end (never acknowledged) is cut off at the next open.
    std::ofstream(durable.state_dir + "/decisions.log", std::ios::app) << "0123456789abcdef {\"txn_id\":\"T9";
  }
  // A damaged line before the end is refused, not skipped.
  std::string log_path = durable.state_dir + "/decisions.log";
  std::fstream f(log_path, std::ios::in | std::ios::out);
  f.seekp(40);
  f.put('#');
  f.close();
  std::unique_ptr<Engine> engine;
  Status st = Engine::Open(*library_, durable, &engine);
  EXPECT_EQ(st.code(), Status::Code::kCorruption) << st.message();
  EXPECT_NE(st.message().find("line 1"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace decree
