// decree diff: which rules changed meaning between two libraries (or two source trees).
#include <fmt/format.h>

#include "analysis/analysis.h"
#include "analysis_report.h"
#include "cli.h"
#include "compile_common.h"
#include "decree/library.h"
#include "analysis/replay.h"
#include "decree/json.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "diff",
    "decree diff [options] OLD NEW",
    "Show which rules changed meaning between two versions of a rule library.",
    "OLD and NEW are .dlib libraries or Decree sources (a file or a folder each).  A rule whose\n"
    "guard or verdicts differ is listed with a witness input the two versions treat differently,\n"
    "replayed through the runtime on both.  Rules that were only reformatted, renamed internally\n"
    "or rewritten into an equivalent condition are not listed.\n\n"
    "Exit status: 0 no rule changed meaning; 1 some did (or could not be compared); 2 could not start (a bad command line, a missing input, not a library).",
    {
        {"format", 0, "FORMAT", "text (default) or json"},
        {"solver-timeout", 0, "MS", "per-query time limit of the solver (default 10000)"},
    },
    {"decree diff lvtr-2018.dlib lvtr-2026.dlib", "decree diff old/rulesets/cn-pboc-lvtr rulesets/cn-pboc-lvtr --format json"},
    2,
    2,
};

int Run(const Args& args) {
  std::string format = args.Get("format", "text");
  if (format != "text" && format != "json") return UsageError("diff", "--format must be text or json");
  long long timeout = 10000;
  if (args.Has("solver-timeout") && !args.GetInt("solver-timeout", 1, 3600000, &timeout)) return kExitUsage;
  std::unique_ptr<Library> old_lib, new_lib;
  bool color = args.Color(stderr);
  if (int code = OpenOrCompile("diff", {args.positionals()[0]}, color, &old_lib); code != 0) return code;
  if (int code = OpenOrCompile("diff", {args.positionals()[1]}, color, &new_lib); code != 0) return code;
  analysis::Options o;
  o.timeout_ms = static_cast<int>(timeout);
  std::vector<analysis::Difference> diffs;
  Status st = analysis::Diff(old_lib->program(), new_lib->program(), o, &diffs);
  if (!st.ok()) {
    fmt::print(stderr, "decree diff: {}\n", st.ToString());
    return kExitFailure;
  }
  std::string json;
  JsonWriter w(&json);
  w.BeginObject().Field("old", old_lib->content_hash()).Field("new", new_lib->content_hash()).Key("changes").BeginArray();
  for (const analysis::Difference& d : diffs) {
    std::string old_says, new_says;
    if (d.has_witness) {
      old_says = analysis::FiresOn(old_lib->program(), d.rule, d.witness);
      new_says = analysis::FiresOn(new_lib->program(), d.rule, d.witness);
    }
    if (format == "text") {
      fmt::print("{}: {}\n", d.rule, d.change);
      if (d.has_witness) {
        fmt::print("  witness: {}\n", DescribeWitness(new_lib->program(), d.witness));
        fmt::print("  old version: {} (by the solver: {}); new version: {} (by the solver: {})\n", old_says,
                   d.old_fires ? "fires" : "does not fire", new_says, d.new_fires ? "fires" : "does not fire");
      }
    } else {
      w.BeginObject().Field("rule", d.rule).Field("change", d.change).FieldBool("unknown", d.unknown);
      if (d.has_witness) {
        w.Field("witness", DescribeWitness(new_lib->program(), d.witness));
        w.FieldBool("old_fires", d.old_fires).FieldBool("new_fires", d.new_fires);
        w.Field("old_evaluation", old_says).Field("new_evaluation", new_says);
      }
      w.EndObject();
    }
  }
  w.EndArray().EndObject();
  if (format == "json") fmt::print("{}\n", json);
  if (format == "text") {
    fmt::print(stderr, "decree diff: {} rule{} changed meaning\n", diffs.size(), diffs.size() == 1 ? "" : "s");
  }
  return diffs.empty() ? kExitOk : kExitFailure;
}

}  // namespace

const Verb& DiffVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
