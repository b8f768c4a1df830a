// decree check: parse and type-check Decree sources, then analyse the rules with Z3; report
// every problem found.
#include <fmt/format.h>

#include <filesystem>

#include "analysis/analysis.h"
#include "analysis_report.h"
#include "cli.h"
#include "compile_common.h"
#include "decree/json.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "check",
    "decree check [options] PATH...",
    "Type-check Decree sources and analyse the rules: conflicts, dead, redundant, shadowed, gaps.",
    "The analysis (Z3) looks for conflicting, dead, redundant and shadowed rules, gaps in\n"
    "exhaustive decisions and overlapping versions of a rule.\n"
    "PATH is a .decree file or a folder searched recursively for .decree files.  Every analysis\n"
    "finding names its rules and their locations and gives a witness input; a witness a single\n"
    "record can show is run through the runtime and marked \"confirmed by evaluation\".  A query\n"
    "the solver cannot decide within --solver-timeout is reported as undecided, never as clean.\n"
    "Findings suppressed next to a rule (`suppress redundant with r1 because \"…\"`) are listed\n"
    "as warnings.  Answers are cached by rule hash in .decree-cache/ (see --cache).\n\n"
    "Exit status: 0 clean; 1 errors, unsuppressed findings or undecided queries; 2 could not start (a bad command line, a missing input, not a library).",
    {
        {"format", 0, "FORMAT", "text (default), json or sarif (SARIF 2.1.0, for CI annotations)"},
        {"no-analysis", 0, "", "type-check only"},
        {"solver-timeout", 0, "MS", "per-query time limit of the solver (default 10000)"},
        {"cache", 0, "FILE", "analysis cache (default .decree-cache/analysis.db; none with --no-cache)"},
        {"no-cache", 0, "", "ask the solver every query"},
    },
    {"decree check rulesets/", "decree check rulesets/cn-pboc-lvtr --format sarif > decree.sarif",
     "decree check rules/ --no-analysis --format json"},
    1,
    -1,
};

int Run(const Args& args) {
  std::string format = args.Get("format", "text");
  if (format != "text" && format != "json" && format != "sarif") return UsageError("check", "--format must be text, json or sarif");
  long long timeout = 10000;
  if (args.Has("solver-timeout") && !args.GetInt("solver-timeout", 1, 3600000, &timeout)) return kExitUsage;
  {
    PathGuard guard;
    GuardSources(args.positionals(), &guard);
    if (!args.Has("no-cache")) guard.Output("--cache", args.Get("cache", ".decree-cache/analysis.db"));
    if (int code = CheckPaths("check", guard); code != 0) return code;
  }
  CompileOptions options;
  options.paths = args.positionals();
  Compilation c(options);
  bool ok = c.Run();
  for (const std::string& e : c.load_errors_) {
    if (e.find("no such file") != std::string::npos) return UsageError("check", e);
  }
  bool color = args.Color(stderr);
  // The analysis needs a program without errors.
  analysis::Report report;
  std::vector<Replay> replays;
  bool analysed = false;
  if (ok && c.load_errors_.empty() && !c.diags().has_errors() && !args.Has("no-analysis")) {
    analysis::Options ao;
    ao.timeout_ms = static_cast<int>(timeout);
    if (!args.Has("no-cache")) {
      ao.cache_path = args.Get("cache", ".decree-cache/analysis.db");
      std::error_code ec;
      std::filesystem::path dir = std::filesystem::path(ao.cache_path).parent_path();
      if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    }
    // Large libraries take a while: a progress line of queries answered (a terminal, not -q).
    Progress progress(args, "queries");
    if (progress.enabled()) ao.progress = [&](uint64_t queries, uint64_t cached) { progress.Update(0, 0, queries + cached); };
    Status st = analysis::Analyze(c.program(), ao, &report);
    progress.Done();
    if (!st.ok()) {
      fmt::print(stderr, "decree check: {}\n", st.ToString());
      return st.code() == Status::Code::kInvalidArgument ? kExitUsage : kExitFailure;
    }
    analysed = true;
    for (const analysis::Finding& f : report.findings) replays.push_back(ReplayWitness(c.program(), f));
  }
  size_t failing = 0, suppressed = 0, undecided = 0, disagreements = 0;
  for (size_t i = 0; i < report.findings.size(); ++i) {
    const analysis::Finding& f = report.findings[i];
    if (f.suppressed) {
      ++suppressed;
    } else if (f.unknown) {
      ++undecided;
    } else {
      ++failing;
    }
    if (replays[i].outcome == Replay::Outcome::kDisagrees) ++disagreements;
  }
  size_t errors;
  if (format == "sarif") {
    errors = c.load_errors_.size() + c.diags().error_count();
    fmt::print("{}", Sarif(c, c.diags().Sorted(), report.findings, replays));
  } else if (format == "json") {
    std::string extra;
    if (analysed) AppendFindingsJson(c.program(), report.findings, replays, report.stats, &extra);
    errors = PrintDiagnostics(c, format, color, extra);
  } else {
    errors = PrintDiagnostics(c, format, color);
    for (size_t i = 0; i < report.findings.size(); ++i) {
      fmt::print(stderr, "{}\n", c.diags().RenderText(ToDiagnostic(c, report.findings[i], replays[i]), color));
    }
    std::string analysis_summary;
    if (analysed) {
      const analysis::Stats& s = report.stats;
      analysis_summary = fmt::format("; analysis: {} finding{}{}{} ({} rules, {} pairs, {} pruned, {} queries, {} cached, {:.2f} s)",
                                     failing, failing == 1 ? "" : "s",
                                     suppressed > 0 ? fmt::format(", {} suppressed", suppressed) : "",
                                     undecided > 0 ? fmt::format(", {} undecided", undecided) : "", s.rules, s.pairs, s.pruned,
                                     s.queries, s.cached, s.seconds);
    }
    fmt::print(stderr, "decree check: {} file{}, {} rule{}: {} error{}, {} warning{}{}\n", c.root_files().size(),
               c.root_files().size() == 1 ? "" : "s", CountRules(c.program()), CountRules(c.program()) == 1 ? "" : "s",
               errors, errors == 1 ? "" : "s", c.diags().warning_count(), c.diags().warning_count() == 1 ? "" : "s",
               analysis_summary);
    if (disagreements > 0) {
      fmt::print(stderr, "decree check: BUG: the runtime disagrees with the analysis on {} witness{}\n", disagreements,
                 disagreements == 1 ? "" : "es");
    }
  }
  return ok && errors == 0 && failing == 0 && undecided == 0 && disagreements == 0 ? kExitOk : kExitFailure;
}

}  // namespace

const Verb& CheckVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
