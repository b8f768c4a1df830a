// decree run: evaluate a rule library over a transaction batch.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <thread>

#include "cli.h"
#include "compile_common.h"
#include "decree/case_store.h"
#include "decree/library.h"
#include "decree/run.h"
#include "decree/sql.h"
#include "decree/json.h"
#include "decree/files.h"
#include "paths.h"
#include "store_stream.h"
#include "decree/sha256.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "run",
    "decree run [options] LIBRARY|PATH... --input BATCH",
    "Evaluate a rule library over a batch of records and write the findings.",
    "LIBRARY is a built .dlib; Decree sources (files or folders) are compiled first, into the\n"
    "same library `decree build` would write.\n\n"
    "The batch is CSV (RFC 4180, header row, columns bound by name), JSON Lines, or a table of\n"
    "a SQLite database; the format is taken from the file name or its first bytes.  Every row is\n"
    "evaluated or rejected with its line and reason; the counts are printed at the end and\n"
    "rows read = rows evaluated + rows rejected.  Findings are sorted and identical whatever\n"
    "--threads is.\n\n"
    "Exit status: 0 the batch was evaluated; 1 rows were rejected (more than --max-rejects), or\n"
    "findings were made and --fail-on-findings was given, or the run failed; 2 could not start (a bad command line, a missing input, not a library).",
    {
        {"input", 'i', "FILE", "the batch (required); - reads CSV from standard input"},
        {"input-format", 0, "FMT", "csv, jsonl, sqlite or xml (default: from the name or content)"},
        {"input-table", 0, "NAME", "the SQLite table to read (default: the layout's name, then transactions); with --engine, the engine's table holding the batch"},
        {"table", 't', "NAME=FILE", "a table the rules use, e.g. usd_rate=rates.csv (repeatable)", true},
        {"list", 'l', "FILE", "a watch list for the rules' screen() calls: UN XML, OFAC sdn.csv or watchlist.csv (repeatable)", true},
        {"allow-partial-list", 0, "", "load an OFAC sdn.csv without its alt.csv and add.csv beside it (the summary says so)"},
        {"out", 'o', "FILE", "findings as JSON Lines (default: standard output)"},
        {"rejects", 0, "FILE", "rejected rows as JSON Lines (default: rejects.jsonl beside --out)"},
        {"store", 0, "DB", "also append the run and its findings to this SQLite case store"},
        {"layout", 0, "NAME", "the layout of the batch, when the library's rules read several"},
        {"threads", 'j', "N", "worker threads (default: one per core)"},
        {"max-memory", 0, "SIZE", "memory the rules' aggregation state may use (512M, 4G; default: no limit): past it the run stops with an error, not an out-of-memory kill"},
        {"max-rejects", 0, "N", "rejected rows tolerated before exit status 1 (default 0)"},
        {"max-record", 0, "SIZE", "the longest record (line) read, e.g. 1M (default 64M): a longer one stops the run with its line"},
        {"multiline-records", 0, "", "accept CSV records whose quoted fields hold line breaks (by default such a record is rejected, naming its lines: a stray quote swallows the lines after it)"},
        {"fail-on-findings", 0, "", "exit with status 1 when there are findings (for CI)"},
        {"skip-rule", 0, "ID", "leave this rule out (repeatable)", true},
        {"engine", 0, "URL", "run the rules inside ClickHouse, clickhouse://HOST:PORT/DATABASE (its HTTP interface): the same findings and rejects (docs/scale-out.md)"},
        {"cluster", 0, "NAME", "with --engine: the ClickHouse cluster whose shards hold the batch (default decree; absent: the one server)"},
        {"engine-timeout", 0, "SECONDS", "with --engine: the longest a query may run (default 600)"},
        {"native-fallback", 0, "", "with --engine: rules the engine cannot run (path rules, screen()) run natively over the batch, their findings merged in order"},
    },
    {"decree run lvtr.dlib --input transactions.csv --table usd_rate=rates.csv --out findings.jsonl",
     "decree run rulesets/cn-pboc-lvtr -i examples/transactions.csv -t usd_rate=examples/rates.csv -o findings.jsonl",
     "decree run lvtr.dlib -i batch.jsonl -t usd_rate=rates.csv -o findings.jsonl --store cases.db",
     "decree run checks.dlib -i filing.csv --fail-on-findings -o - ",
     "decree run rulesets/sanctions -i examples/transactions.csv -l un.xml -l sdn.csv -l examples/watchlist.csv -o hits.jsonl",
     "decree run rulesets/cn-pboc-lvtr -i examples/transactions.csv -t usd_rate=examples/rates.csv -o findings.jsonl --engine \"$(scripts/clickhouse-cluster.sh start | tail -1)\""},
    1,
    -1,
};

std::string Now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// "read 14 rows in 15 lines (1 row spans several lines) = …": the lines are shown whenever
// they differ from the rows, so every line of the input is accounted for.
std::string RowsRead(const RunResult& r) {
  std::string s = "read " + Plural(r.rows_read, "row", "rows");
  if (r.lines_read == 0 || r.lines_read == r.rows_read) return s;
  std::vector<std::string> why;
  if (r.multiline_rows > 0) why.push_back(Plural(r.multiline_rows, "row spans", "rows span") + " several lines");
  if (r.blank_lines > 0) why.push_back(Plural(r.blank_lines, "blank line", "blank lines"));
  return fmt::format("{} in {} ({})", s, Plural(r.lines_read, "line", "lines"), fmt::join(why, ", "));
}

// Where rejects go by default: beside the findings file, or, when findings go to standard
// output or a device, beside the batch (never into /dev).
std::string DefaultRejectsPath(const std::string& out, const std::string& input) {
  namespace fs = std::filesystem;
  fs::path dir;
  if (out != "-" && !IsSpecialFile(out)) {
    dir = fs::path(out).parent_path();
  } else if (input != "-" && !IsSpecialFile(input)) {
    dir = fs::path(input).parent_path();
  }
  return ((dir.empty() ? fs::path(".") : dir) / "rejects.jsonl").string();
}

bool ParseSize(const std::string& m, uint64_t* out) {
  char* end = nullptr;
  unsigned long long n = std::strtoull(m.c_str(), &end, 10);
  std::string unit = end != nullptr ? end : "";
  int shift = unit == "K" || unit == "k" ? 10 : unit == "M" || unit == "m" ? 20 : unit == "G" || unit == "g" ? 30 : unit.empty() ? 0 : -1;
  if (end == m.c_str() || shift < 0 || n == 0 || n > (1ull << (63 - shift))) return false;
  *out = static_cast<uint64_t>(n) << shift;
  return true;
}

int Run(const Args& args) {
  const bool engine_table = args.Has("engine") && args.Has("input-table");
  if (engine_table && args.Has("input")) {
    return UsageError("run", "with --engine, give --input FILE (uploaded) or --input-table NAME (a table in the engine), not both");
  }
  if (!args.Has("input") && !engine_table) return UsageError("run", "missing --input BATCH");
  InputSpec input;
  input.path = args.Get("input");
  if (Status f = ParseInputFormat(args.Get("input-format", "auto"), &input.format); !f.ok()) return UsageError("run", f.message());
  input.sqlite_table = args.Get("input-table");
  input.multiline_records = args.Has("multiline-records");
  if (args.Has("max-record") && !ParseSize(args.Get("max-record"), &input.max_record_bytes)) {
    return UsageError("run", fmt::format("--max-record expects a size such as 1M or 64M, not '{}'", args.Get("max-record")));
  }
  RunOptions options;
  options.layout = args.Get("layout");
  options.skip_rules = args.GetAll("skip-rule");
  if (!TableArgs("run", args, &options.tables)) return kExitUsage;
  EngineTarget engine;
  engine.url = args.Get("engine");
  engine.cluster = args.Get("cluster", "decree");
  if (!engine.url.empty()) {
    if (Status u = CheckEngineUrl(engine.url); !u.ok()) return UsageError("run", u.message());
    long long timeout = 600;
    if (args.Has("engine-timeout") && !args.GetInt("engine-timeout", 1, 86400, &timeout)) return kExitUsage;
    engine.timeout_seconds = static_cast<int>(timeout);
    engine.input_table = args.Get("input-table");
    engine.native_fallback = args.Has("native-fallback");
    if (args.Has("store")) return UsageError("run", "--store with --engine is not supported yet: store the findings file with a native run");
  } else if (args.Has("cluster") || args.Has("engine-timeout") || args.Has("native-fallback")) {
    return UsageError("run", "--cluster, --engine-timeout and --native-fallback go with --engine");
  }
  options.watch_lists = args.GetAll("list");
  options.allow_partial_lists = args.Has("allow-partial-list");
  long long threads = 0, max_rejects = 0;
  if (args.Has("threads") && !args.GetInt("threads", 1, 256, &threads)) return kExitUsage;
  if (args.Has("max-rejects") && !args.GetInt("max-rejects", 0, INT64_MAX, &max_rejects)) return kExitUsage;
  options.threads = static_cast<int>(threads);
  if (args.Has("max-memory")) {
    if (!ParseSize(args.Get("max-memory"), &options.memory_limit)) {
      return UsageError("run", fmt::format("--max-memory expects a size such as 512M or 4G, not '{}'", args.Get("max-memory")));
    }
    options.memory_budget = options.memory_limit;
    if (options.memory_limit < (16u << 20)) return UsageError("run", "--max-memory must be at least 16M");
  }
  const std::string out = args.Get("out", "-");
  const std::string store = args.Get("store");
  options.rejects_path = args.Get("rejects");
  if (options.rejects_path.empty()) options.rejects_path = DefaultRejectsPath(out, input.path);
  // No output replaces an input or another output; checked before anything is read.
  PathGuard guard;
  GuardSources(args.positionals(), &guard);
  if (!engine_table) guard.Input("--input", input.path);
  for (const auto& [name, file] : options.tables) guard.Input("--table " + name, file);
  for (const std::string& l : options.watch_lists) guard.Input("--list", l);
  guard.Output("--out", out);
  guard.Output(args.Has("rejects") ? "--rejects" : "the rejects file", options.rejects_path);
  guard.Output("--store", store);
  if (int code = CheckPaths("run", guard); code != 0) return code;
  if (!store.empty()) {
    if (Status st = CheckCaseStore(store); !st.ok()) {
      fmt::print(stderr, "decree run: --store {}\n", st.message());
      return kExitUsage;
    }
  }
  bool quiet = args.Has("quiet");
  Progress progress(args, "rows");
  if (progress.enabled()) {
    options.progress = [&progress](const RunProgress& p) { progress.Update(p.bytes_done, p.bytes_total, p.rows_read); };
  }
  // With a case store and findings on standard output, the findings go through a temporary
  // file the store reads back.
  std::string findings_file = out;
  if (out == "-" && !store.empty()) findings_file = fmt::format("{}.findings.{}.tmp", store, static_cast<long>(getpid()));
  options.findings_path = findings_file;
  std::string started_at = Now();
  // A stored run names its input by SHA-256, hashed once, alongside the run (the cores' idle
  // moments); it is needed only for the run's row, which the store writes last.  The runtime
  // refuses an input written to while it is read, by its size and times, before and after.
  std::string input_sha256;
  uint64_t input_bytes = 0;
  Status hash_status;
  std::thread hasher;
  if (!store.empty() && input.path != "-") {
    hasher = std::thread([&] { hash_status = Sha256File(input.path, &input_sha256, &input_bytes); });
  }
  struct Joiner {
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{hasher};
  std::unique_ptr<Library> lib;
  if (int code = OpenOrCompile("run", args.positionals(), args.Color(stderr), &lib); code != 0) return code;
  // The store is written while the run writes its findings (StoreStream); its run row last,
  // with the input's hash.
  std::string finished_at;
  std::unique_ptr<StoreStream> stream;
  if (!store.empty()) {
    RunRecord rec;
    rec.started_at = started_at;
    rec.decree_version = "decree " DECREE_VERSION;
    rec.library_path = lib->path();
    rec.library_hash = lib->content_hash();
    rec.input_path = input.path;
    auto complete = [&](RunRecord* r) -> Status {
      auto join_started = std::chrono::steady_clock::now();
      if (hasher.joinable()) hasher.join();
      if (std::getenv("DECREE_TIMING") != nullptr) {
        fmt::print(stderr, "decree timing: {:<28} {:8.3f} s\n", "wait for the input's hash",
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - join_started).count());
      }
      if (!hash_status.ok()) return Status::IoError("cannot hash the input: " + hash_status.message());
      r->finished_at = finished_at;
      r->input_sha256 = input_sha256;
      r->input_bytes = input_bytes;
      return Status::Ok();
    };
    stream = std::make_unique<StoreStream>(store, std::move(rec), complete, findings_file, options.rejects_path);
    options.on_findings_written = [&stream](int fd, uint64_t bytes) { stream->Written(fd, bytes); };
  }
  RunResult result;
  Status st = engine.url.empty() ? decree::Run(lib->program(), input, options, &result)
                                 : decree::RunOnEngine(lib->program(), input, engine, options, &result);
  finished_at = Now();
  progress.Done();
  if (!st.ok()) {
    fmt::print(stderr, "decree run: {}\n", st.message());
    if (st.code() == Status::Code::kMissingInput) {
      fmt::print(stderr, "  give tables with --table NAME=FILE and watch lists with --list FILE\n");
      return kExitUsage;
    }
    return kExitFailure;
  }
  struct TempRemover {
    std::string path;
    ~TempRemover() {
      if (!path.empty()) std::remove(path.c_str());
    }
  } temp{findings_file != out ? findings_file : std::string()};
  if (findings_file != out) {
    FILE* f = std::fopen(findings_file.c_str(), "rb");
    char buf[1 << 16];
    size_t n;
    while (f != nullptr && (n = std::fread(buf, 1, sizeof(buf), f)) > 0) std::fwrite(buf, 1, n, stdout);
    if (f != nullptr) std::fclose(f);
    std::fflush(stdout);
  }
  if (stream) {
    int64_t run_id;
    auto store_started = std::chrono::steady_clock::now();
    st = stream->Finish(result, &run_id);
    if (std::getenv("DECREE_TIMING") != nullptr) {
      fmt::print(stderr, "decree timing: {:<28} {:8.3f} s\n", "append to the case store",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - store_started).count());
    }
    if (!st.ok()) {
      fmt::print(stderr, "decree run: case store: {}\n", st.ToString());
      return kExitFailure;
    }
    if (!quiet) fmt::print(stderr, "decree run: stored as run {} in {}\n", run_id, store);
  }
  if (!quiet) {
    fmt::print(stderr, "decree run: {} = {} evaluated + {} rejected{}; {} finding{} from {} rule{}; {:.2f} s ({})\n",
               RowsRead(result), Count(result.rows_evaluated), Count(result.rows_rejected),
               result.rows_rejected > 0 ? fmt::format(" (see {})", options.rejects_path) : "", Count(result.finding_count),
               result.finding_count == 1 ? "" : "s", result.rules.size(), result.rules.size() == 1 ? "" : "s", result.seconds,
               Rate(static_cast<double>(result.rows_read), result.seconds));
    for (size_t i = 0; i < result.rejects.size() && i < 5; ++i) {
      const RejectedRow& r = result.rejects[i];
      fmt::print(stderr, "  rejected {}{}: {}\n", r.position, r.record_id.empty() ? "" : " (" + r.record_id + ")", r.reason);
    }
    if (result.rows_rejected > 5) fmt::print(stderr, "  … and {} more\n", Count(result.rows_rejected - 5));
    for (const std::string& n : result.notes) fmt::print(stderr, "  note: {}\n", n);
    if (!result.skipped_rules.empty()) {
      fmt::print(stderr, "  {} rule{} over other layouts not run\n", result.skipped_rules.size(), result.skipped_rules.size() == 1 ? "" : "s");
    }
  }
  if (result.rows_rejected > static_cast<uint64_t>(max_rejects)) return kExitFailure;
  if (args.Has("fail-on-findings") && result.finding_count > 0) return kExitFailure;
  return kExitOk;
}

}  // namespace

const Verb& RunVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
