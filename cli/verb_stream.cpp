// decree stream: decide records one at a time as they arrive on standard input.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "cli.h"
#include "engine_common.h"

namespace decree::cli {

namespace {

VerbSpec MakeSpec() {
  VerbSpec s{
      "stream",
      "decree stream [options] LIBRARY|PATH... < records.jsonl",
      "Decide each record as it arrives (JSON Lines or CSV on standard input), one answer line each.",
      "Each line of the input is one record: a JSON object whose keys are the layout's column\n"
      "names (the JSON Lines batch form), or, for CSV, a line after the header row (a record\n"
      "must be on one line).  For each, one line is written and flushed at once:\n"
      "the decision {\"txn_id\", \"decision\": allow|review|block, \"findings\", \"library\",\n"
      "\"explain\"}, computed over every record accepted so far, itself included, exactly as\n"
      "`decree run` evaluates that set; or {\"txn_id\", \"status\", \"error\"} for a record that is\n"
      "rejected (400), a repeated id with other content (409) or one too late (422).  A repeated\n"
      "id with the same content is answered with its first answer.  The semantics are those of\n"
      "`decree serve` (docs/serve.md), without HTTP.  Counts go to standard error at the end.\n\n"
      "Exit status: 0 every line was answered (whatever the answers); 1 the state log failed;\n"
      "2 could not start.",
      EngineOptionSpecs(),
      {"decree stream rulesets/cn-pboc-lvtr -t usd_rate=examples/rates.csv < examples/stream.jsonl",
       "tail -f payments.jsonl | decree stream lvtr.dlib -t usd_rate=rates.csv --state /var/lib/decree",
       "decree stream lvtr.dlib -t usd_rate=rates.csv --input-format csv < examples/transactions.csv"},
      1,
      -1,
  };
  return s;
}

const VerbSpec& Spec() {
  static const VerbSpec s = [] {
    VerbSpec v = MakeSpec();
    v.options.push_back({"input-format", 0, "FMT", "jsonl or csv (default: jsonl when the first line starts with '{', else csv)"});
    return v;
  }();
  return s;
}

int Stream(const Args& args) {
  EngineOptions options;
  if (int code = ParseEngineOptions("stream", args, &options); code != 0) return code;
  std::unique_ptr<Engine> engine;
  if (int code = OpenEngine("stream", args, options, &engine); code != 0) return code;
  std::string format = args.Get("input-format", "auto");
  if (format != "auto" && format != "jsonl" && format != "csv") {
    return UsageError("stream", fmt::format("--input-format expects jsonl or csv, not '{}'", format));
  }
  std::string line, out;
  std::vector<std::string> header;  // CSV: the column names of the header row
  uint64_t lines = 0, blank = 0;
  int code = kExitOk;
  while (std::getline(std::cin, line)) {
    ++lines;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      ++blank;
      continue;
    }
    if (format == "auto") {  // by the first non-blank line: an object is JSON Lines (a BOM aside)
      size_t first = line.find_first_not_of(" \t\xEF\xBB\xBF");
      format = line[first] == '{' ? "jsonl" : "csv";
    }
    if (format == "csv" && header.empty()) {
      if (Status st = Engine::CsvHeader(line, &header); !st.ok()) {
        fmt::print(stderr, "decree stream: line {}: {}\n", lines, st.message());
        return kExitFailure;
      }
      continue;
    }
    EngineAnswer a = format == "csv" ? engine->DecideCsv(header, line) : engine->Decide(line);
    out = a.json;
    out.push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    if (a.status == 500) {
      fmt::print(stderr, "decree stream: line {}: {}\n", lines, a.reason);
      code = kExitFailure;
      break;
    }
  }
  EngineStats s = engine->stats();
  if (!args.Has("quiet")) {
    fmt::print(stderr,
               "decree stream: {} lines ({} blank): {} allow, {} review, {} block, {} replayed, {} rejected, {} conflicting, "
               "{} too late; {} transactions held for {} keys\n",
               lines, blank, s.allow, s.review, s.block, s.replayed, s.rejected, s.conflicts, s.too_late, s.records_held,
               s.partitions);
  }
  return code;
}

}  // namespace

const Verb& StreamVerb() {
  static const Verb v{&Spec(), Stream};
  return v;
}

}  // namespace decree::cli
