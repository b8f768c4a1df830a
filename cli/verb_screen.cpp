// decree screen: screen the names of a transaction batch against watch lists.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "cli.h"
#include "compile_common.h"
#include "decree/input.h"
#include "decree/screen.h"
#include "paths.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "screen",
    "decree screen --list FILE [--list FILE...] --input BATCH --out hits.jsonl",
    "Screen the customer and counterparty names of a batch against watch lists.",
    "Each --list is the UN Security Council consolidated list (XML), OFAC's sdn.csv (its alt.csv\n"
    "and add.csv are read from the same folder: ofac_sdn.csv pairs with ofac_alt.csv), or a\n"
    "watchlist.csv (list_id,entry_id,entry_type,name,aliases,country,birth_date,program); the\n"
    "format is detected from the file.  Names are normalised (NFKC, case, legal forms, Traditional\n"
    "to Simplified, Han to pinyin, other scripts to Latin, accents; OFAC's Chinese Commercial\n"
    "Codes decoded) and compared part by part, whatever the word order: equal, equivalent\n"
    "spellings (Mohammed/Muhammad, Zhang/Chang, ...), typos, sound-alikes, initials; a middle\n"
    "name the query leaves out costs little, an extra or contradicting part much.\n\n"
    "Each hit is one JSON line: txn_id, column, query, list, entry_id, matched name, score, the\n"
    "normalisations that applied and how each part matched (docs/screening.md).  When the batch\n"
    "has X_country beside a screened X_name (counterparty_country), the row's country is\n"
    "evidence: the entry's country agreeing raises the score by 0.02, differing lowers it by\n"
    "0.02.  Hits listed in --allow (reviewed false\n"
    "positives) are written with \"status\":\"allowed\" and who reviewed them.  Every row is\n"
    "screened or rejected with its line and reason.\n\n"
    "Exit status: 0 screened; 1 rows were rejected, a list could not be read, or\n"
    "--fail-on-findings was given and there are hits; 2 could not start (a bad command line, a missing input, not a library).",
    {
        {"list", 'l', "FILE", "a watch list (repeatable, at least one): UN XML, OFAC sdn.csv, watchlist.csv or a saved index", true},
        {"input", 'i', "FILE", "the batch in the canonical transaction layout, CSV or JSON Lines (required unless --save-index)"},
        {"input-format", 0, "FMT", "csv or jsonl (default: auto, by the file's extension, then its first bytes)"},
        {"allow-partial-list", 0, "", "load an OFAC sdn.csv without its alt.csv and add.csv beside it (a note says so)"},
        {"save-index", 0, "FILE", "save the lists' screening index to FILE, to pass as --list later (here or to decree run)"},
        {"out", 'o', "FILE", "hits as JSON Lines (default: standard output)"},
        {"threshold", 0, "SCORE", "the lowest score reported, in (0, 1] (default 0.92)"},
        {"columns", 0, "A,B", "the name columns screened (default customer_name,counterparty_name)"},
        {"allow", 0, "FILE", "allow-list of reviewed false positives (list_id,entry_id,name,reviewed_by,reviewed_on,reason)"},
        {"all-pairs", 0, "", "compare with every list name instead of using the index (the reference; slow)"},
        {"threads", 'j', "N", "worker threads (default: one per core)"},
        {"fail-on-findings", 0, "", "exit with status 1 when there are hits (for CI)", false, {"fail-on-hits"}},
    },
    {"decree screen --list ../shared/data/watchlists/un_consolidated.xml --input transactions.csv --out hits.jsonl",
     "decree screen -l un_consolidated.xml -l ofac_sdn.csv -i batch.csv -o hits.jsonl --threshold 0.95",
     "decree screen -l examples/watchlist.csv -i examples/transactions.csv --allow examples/allow.csv -o -",
     "decree screen -l un_consolidated.xml -l ofac_sdn.csv --save-index lists.dsx   (then: --list lists.dsx)"},
    0,
    0,
};

// screen reads CSV and JSON Lines; a batch in another format is refused by name rather than
// misread.
int InputFormatOf(const Args& args, InputFormat* format) {
  const std::string name = args.Get("input-format", "auto"), input = args.Get("input");
  if (Status st = ParseInputFormat(name, format); !st.ok()) return UsageError("screen", "--input-format: " + st.message());
  InputFormat actual = *format == InputFormat::kAuto && !input.empty() && input != "-" ? DetectInputFormat(input) : *format;
  if (actual == InputFormat::kSqlite || actual == InputFormat::kXml) {
    return UsageError("screen", fmt::format("{} is {}: screen reads CSV and JSON Lines batches; screen it with "
                                            "decree run rulesets/sanctions -i {} --list ...",
                                            input.empty() ? "the batch" : input, actual == InputFormat::kSqlite ? "SQLite" : "XML", input));
  }
  return 0;
}

int Screen(const Args& args) {
  if (args.GetAll("list").empty()) return UsageError("screen", "missing --list FILE");
  if (!args.Has("input") && !args.Has("save-index")) return UsageError("screen", "missing --input BATCH");
  InputFormat input_format = InputFormat::kAuto;
  if (int code = InputFormatOf(args, &input_format); code != 0) return code;
  ScreenBatchOptions options;
  if (args.Has("threshold")) {
    const std::string t = args.Get("threshold");
    char* end = nullptr;
    options.threshold = std::strtod(t.c_str(), &end);
    if (end == t.c_str() || *end != '\0' || !(options.threshold > 0 && options.threshold <= 1)) {
      return UsageError("screen", fmt::format("--threshold must be a number in (0, 1], not '{}'", t));
    }
  }
  if (args.Has("columns")) {
    options.columns.clear();
    std::string c = args.Get("columns");
    for (size_t start = 0;;) {
      size_t comma = c.find(',', start);
      std::string col = c.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (col.empty()) return UsageError("screen", "--columns expects names separated by commas");
      options.columns.push_back(col);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  long long threads = 0;
  if (args.Has("threads") && !args.GetInt("threads", 1, 256, &threads)) return kExitUsage;
  options.threads = static_cast<int>(threads);
  options.all_pairs = args.Has("all-pairs");
  options.input_format = input_format;
  options.out_path = args.Get("out", "-");
  const bool quiet = args.Has("quiet");
  {
    PathGuard guard;
    for (const std::string& l : args.GetAll("list")) guard.Input("--list", l);
    guard.Input("--input", args.Get("input"));
    guard.Input("--allow", args.Get("allow"));
    guard.Output("--out", options.out_path);
    guard.Output("--save-index", args.Get("save-index"));
    if (int code = CheckPaths("screen", guard); code != 0) return code;
    if (args.Has("save-index")) {
      if (Status st = WatchListIndex::CheckSavePath(args.Get("save-index")); !st.ok()) return UsageError("screen", "--save-index " + st.message());
    }
  }

  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> notes;
  WatchListLoadOptions list_options;
  list_options.allow_partial = args.Has("allow-partial-list");
  std::unique_ptr<WatchListIndex> index;
  if (Status st = WatchListIndex::Load(args.GetAll("list"), list_options, &index, &notes); !st.ok()) {
    fmt::print(stderr, "decree screen: {}\n", st.message());
    return kExitFailure;
  }
  for (const std::string& n : notes) fmt::print(stderr, "decree screen: note: {}\n", n);
  options.allow_path = args.Get("allow");
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!quiet) {
    for (const WatchListIndex::List& l : index->lists()) {
      fmt::print(stderr, "decree screen: list {} ({}): {}, {}\n", l.id, l.source, Plural(l.entries, "entry", "entries"),
                 Plural(l.names, "name", "names"));
    }
    fmt::print(stderr, "decree screen: index of {} and {} distinct tokens built in {:.2f} s\n",
               Plural(index->name_count(), "name", "names"), Count(index->vocabulary_size()), load_seconds);
  }
  if (args.Has("save-index")) {
    if (Status st = index->Save(args.Get("save-index")); !st.ok()) {
      fmt::print(stderr, "decree screen: {}\n", st.message());
      return kExitFailure;
    }
    if (!quiet) fmt::print(stderr, "decree screen: index saved to {}\n", args.Get("save-index"));
    if (!args.Has("input")) return kExitOk;
  }
  Progress progress(args, "rows");
  if (progress.enabled()) {
    options.progress = [&progress](uint64_t done, uint64_t total, uint64_t rows) { progress.Update(done, total, rows); };
  }
  ScreenBatchResult result;
  Status st = ScreenBatch(*index, args.Get("input"), options, &result);
  progress.Done();
  if (!st.ok()) {
    fmt::print(stderr, "decree screen: {}\n", st.message());
    return kExitFailure;
  }
  if (!quiet) {
    fmt::print(stderr, "decree screen: read {} = {} screened + {} rejected; {} screened ({} empty); {}{}; {:.2f} s\n",
               Plural(result.rows_read, "row", "rows"), Count(result.rows_screened), Count(result.rows_rejected),
               Plural(result.names_screened, "name", "names"), Count(result.names_empty), Plural(result.hits, "hit", "hits"),
               args.Has("allow") ? fmt::format(", {} allowed by {}", Count(result.allowed), args.Get("allow")) : "",
               result.seconds);
    if (std::getenv("DECREE_TIMING") != nullptr) {
      fmt::print(stderr, "  {} distinct names screened, {} list names considered ({} ruled out by the bound), {} token lookups comparing {} list tokens\n",
                 result.queries, result.candidates, result.pruned, result.token_lookups, result.vocabulary_compared);
    }
    for (size_t i = 0; i < result.rejects.size() && i < 5; ++i) {
      const auto& r = result.rejects[i];
      fmt::print(stderr, "  rejected {}{}: {}\n", r.where, r.txn_id.empty() ? "" : " (" + r.txn_id + ")", r.reason);
    }
    if (result.rejects.size() > 5) fmt::print(stderr, "  … and {} more\n", result.rejects.size() - 5);
    for (const std::string& a : result.unused_allow_entries) fmt::print(stderr, "  note: allow-list entry at {} matched no hit\n", a);
  }
  if (result.rows_rejected > 0) return kExitFailure;
  if (args.Has("fail-on-findings") && result.hits > 0) return kExitFailure;
  return kExitOk;
}

}  // namespace

const Verb& ScreenVerb() {
  static const Verb v{&kSpec, Screen};
  return v;
}

}  // namespace decree::cli
