// decree stream: decide records one at a time as they arrive on standard input.
#include <fmt/format.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

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
      "must be on one line).  For each, one line is written, in input order; the lines that\n"
      "arrive together are decided together and their answers flushed at once:\n"
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

// Appends the answers' lines to *out; kExitFailure (after saying which line) when the state
// log failed for one.
int Answer(const std::vector<EngineAnswer>& answers, const std::vector<uint64_t>& lines, std::string* out) {
  int code = kExitOk;
  for (size_t i = 0; i < answers.size(); ++i) {
    *out += answers[i].json;
    out->push_back('\n');
    if (answers[i].status == 500 && code == kExitOk) {
      fmt::print(stderr, "decree stream: line {}: {}\n", lines[i], answers[i].reason);
      code = kExitFailure;
    }
  }
  return code;
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
  std::vector<std::string> header;  // CSV: the column names of the header row
  uint64_t lines = 0, blank = 0;
  int code = kExitOk;
  // What has arrived is read at once and its whole lines decided together (DecideBatch), their
  // answers written and flushed before waiting for more: records that arrive together are
  // answered together, one that arrives alone at once.
  std::string pending, out;
  std::vector<std::string_view> batch;
  std::vector<uint64_t> batch_lines;
  std::vector<EngineAnswer> answers;
  bool eof = false;
  while (!eof && code == kExitOk) {
    char buf[1 << 16];
    ssize_t got = read(0, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      fmt::print(stderr, "decree stream: reading standard input: {}\n", std::strerror(errno));
      return kExitFailure;
    }
    eof = got == 0;
    pending.append(buf, static_cast<size_t>(got));
    size_t at = 0;
    batch.clear();
    batch_lines.clear();
    out.clear();
    for (;;) {
      size_t nl = pending.find('\n', at);
      if (nl == std::string::npos && !(eof && at < pending.size())) break;
      size_t end = nl == std::string::npos ? pending.size() : nl;
      std::string_view line(pending.data() + at, end - at);
      at = nl == std::string::npos ? pending.size() : nl + 1;
      ++lines;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
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
      batch.push_back(line);
      batch_lines.push_back(lines);
    }
    if (!batch.empty()) {
      if (format == "jsonl") {
        engine->DecideBatch(batch, &answers);
      } else {
        engine->DecideCsvBatch(header, batch, &answers);
      }
      code = Answer(answers, batch_lines, &out);
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    pending.erase(0, at);
  }
  EngineStats s = engine->stats();
  if (!args.Has("quiet")) {
    fmt::print(stderr,
               "decree stream: {} lines ({} blank): {} allow, {} review, {} block, {} replayed, {} rejected, {} conflicting, "
               "{} too late; {} transactions held for {} keys, {} dropped past the retention horizon\n",
               lines, blank, s.allow, s.review, s.block, s.replayed, s.rejected, s.conflicts, s.too_late, s.records_held,
               s.partitions, s.evicted);
  }
  return code;
}

}  // namespace

const Verb& StreamVerb() {
  static const Verb v{&Spec(), Stream};
  return v;
}

}  // namespace decree::cli
