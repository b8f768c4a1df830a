// decree report: write a supervisory report (or a summary) from the findings of a run.
#include <fmt/format.h>

#include "cli.h"
#include "compile_common.h"
#include "decree/report.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "report",
    "decree report LIBRARY|SOURCES... --findings findings.jsonl --format FORMAT [--input BATCH] [--out FILE]",
    "Write a supervisory report, or a summary, from the findings of `decree run`.",
    "Formats (docs/reports.md; the XML formats have XSDs in runtime/report/schemas/):\n"
    "  pboc-lvtr-csv, pboc-lvtr-xml  PBoC large-value transaction report: one record per reported\n"
    "                                transaction and rule (findings with `report large_value`)\n"
    "  goaml-xml                     goAML `report` with transactions and report_indicators\n"
    "  fincen-ctr-xml                FinCEN CTR batch (findings with `report ctr`); TotalAmount is\n"
    "                                the sum of the detail amounts\n"
    "  summary                       statistics per rule, day and currency: text, or CSV / SVG chart\n"
    "                                when --out ends in .csv / .svg (or summary-text|csv|svg)\n\n"
    "The reports itemise transactions, so they read the batch the findings came from (--input, and\n"
    "the rates with --table usd_rate=FILE when totals were converted).  The same inputs give a\n"
    "byte-identical report: nothing depends on the clock; the reporting period defaults to the\n"
    "reported transactions' first and last dates and the report date to the period's end.  Every\n"
    "report records the SHA-256 of the rule library.\n\n"
    "Exit status: 0 written; 1 an input could not be read or does not fit; 2 could not start (a bad command line, a missing input, not a library).",
    {
        {"findings", 'f', "FILE", "findings.jsonl written by decree run (required)"},
        {"format", 0, "FORMAT", "pboc-lvtr-csv, pboc-lvtr-xml, goaml-xml, fincen-ctr-xml or summary (required)"},
        {"out", 'o', "FILE", "where to write (default: standard output); written atomically"},
        {"input", 'i', "FILE", "the batch the findings came from (required except for summary)"},
        {"input-format", 0, "FMT", "csv, jsonl, sqlite or xml (default: from the name or content)"},
        {"table", 't', "NAME=FILE", "reference data, as for decree run; usd_rate=FILE converts totals", true},
        {"list", 'l', "FILE", "watch lists, as for decree run (findings of rules that screen are re-evaluated)", true},
        {"allow-partial-list", 0, "", "as for decree run"},
        {"multiline-records", 0, "", "as for decree run: when the run accepted them"},
        {"institution", 0, "FILE", "the reporting institution, JSON (code, name, country, currency, ...)"},
        {"report-kind", 0, "KIND", "findings reported: `report KIND` or `flag KIND` (default per format)"},
        {"period", 0, "FROM:TO", "the reporting period, YYYY-MM-DD:YYYY-MM-DD"},
        {"report-date", 0, "DATE", "the submission date written in the report (default: the period's end)"},
    },
    {"decree report lvtr.dlib -f findings.jsonl -i transactions.csv -t usd_rate=rates.csv --institution bank.json \\\n"
     "      --format pboc-lvtr-xml -o lvtr.xml",
     "decree report rulesets/us-fincen-ctr -f ctr.jsonl -i batch.csv -t usd_rate=rates.csv --institution bank.json \\\n"
     "      --format fincen-ctr-xml -o ctr.xml",
     "decree report lvtr.dlib -f findings.jsonl --format summary -o summary.svg"},
    1,
    -1,
};

int Report(const Args& args) {
  if (!args.Has("findings")) return UsageError("report", "missing --findings FILE");
  if (!args.Has("format")) return UsageError("report", "missing --format FORMAT");
  std::string out = args.Get("out", "-");
  ReportFormat format;
  Status st = ParseReportFormat(args.Get("format"), out, &format);
  if (!st.ok()) return UsageError("report", st.message());
  const bool summary = IsSummaryFormat(format);
  ReportOptions options;
  options.findings_path = args.Get("findings");
  options.institution_path = args.Get("institution");
  options.report_kind = args.Has("report-kind") ? args.Get("report-kind") : DefaultReportKind(format);
  options.report_date = args.Get("report-date");
  if (args.Has("period")) {
    std::string p = args.Get("period");
    size_t colon = p.find(':');
    if (colon == std::string::npos) return UsageError("report", "--period expects FROM:TO, e.g. 2026-03-01:2026-03-31");
    options.period_start = p.substr(0, colon);
    options.period_end = p.substr(colon + 1);
  }
  if (!summary && !args.Has("input")) return UsageError("report", "missing --input BATCH (the batch the findings came from)");
  if (!summary && !args.Has("institution")) return UsageError("report", "missing --institution FILE (the reporting institution)");
  options.input.path = args.Get("input");
  if (args.Has("input-format")) {
    if (Status f = ParseInputFormat(args.Get("input-format"), &options.input.format); !f.ok()) return UsageError("report", f.message());
  }
  if (!TableArgs("report", args, &options.tables)) return kExitUsage;
  options.watch_lists = args.GetAll("list");
  options.allow_partial_lists = args.Has("allow-partial-list");
  options.input.multiline_records = args.Has("multiline-records");
  PathGuard guard;
  GuardSources(args.positionals(), &guard);
  guard.Input("--findings", options.findings_path);
  guard.Input("--input", options.input.path);
  guard.Input("--institution", options.institution_path);
  for (const auto& [name, file] : options.tables) guard.Input("--table " + name, file);
  for (const std::string& l : options.watch_lists) guard.Input("--list", l);
  guard.Output("--out", out);
  if (int code = CheckPaths("report", guard); code != 0) return code;
  std::unique_ptr<Library> lib;
  if (int code = OpenOrCompile("report", args.positionals(), args.Color(stderr), &lib); code != 0) return code;
  options.generator = "decree " DECREE_VERSION;
  std::string text;
  ReportSummary result;
  st = MakeReport(*lib, format, options, &text, &result);
  if (!st.ok()) {
    fmt::print(stderr, "decree report: {}\n", st.message());
    return st.code() == Status::Code::kMissingInput ? kExitUsage : kExitFailure;  // inputs that do not fit: 1
  }
  std::string error;
  if (!WriteFileAtomic(out, text, &error)) {
    fmt::print(stderr, "decree report: cannot write {}: {}\n", out, error);
    return kExitFailure;
  }
  if (out != "-" && !args.quiet()) {
    fmt::print(stderr, "decree report: {} of {} ({} transaction records), {} to {}, written to {}{}\n",
               Count(result.findings_reported), Plural(result.findings_read, "finding", "findings"),
               Count(result.transaction_records), result.period_start, result.period_end, out,
               result.outside_period > 0 ? fmt::format("; {} outside the period left out",
                                                       Plural(result.outside_period, "finding", "findings"))
                                         : "");
  }
  return kExitOk;
}

}  // namespace

const Verb& ReportVerb() {
  static const Verb v{&kSpec, Report};
  return v;
}

}  // namespace decree::cli
