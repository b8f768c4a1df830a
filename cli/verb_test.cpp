// decree test: run the `test` blocks of rulesets (or of a built library).
#include <fmt/format.h>

#include <map>

#include "ci_output.h"
#include "cli.h"
#include "compile_common.h"
#include "decree/library.h"
#include "decree/testing.h"
#include "ir/ir.h"
#include "decree/json.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "test",
    "decree test [options] PATH...",
    "Run the test blocks of Decree sources, or of a rule library, through the runtime.",
    "Each test's records and table rows are evaluated exactly as a batch would be; its `expect`\n"
    "lines are then checked against the findings and the rejected rows.\n"
    "Exit status: 0 when every test passes, 1 on a failure or a compile error, 2 could not start (a bad command line, a missing input, not a library).",
    {
        {"filter", 0, "TEXT", "run only the tests whose name contains TEXT"},
        {"format", 0, "FORMAT", "text (default), json or junit"},
    },
    {"decree test rulesets/", "decree test rulesets/cn-pboc-lvtr --filter threshold", "decree test lvtr.dlib --format junit > tests.xml"},
    1,
    -1,
};

int Run(const Args& args) {
  std::string format = args.Get("format", "text");
  if (format != "text" && format != "json" && format != "junit") return UsageError("test", "--format must be text, json or junit");
  bool color = args.Color(stdout);
  const ir::Program* program = nullptr;
  std::unique_ptr<Library> lib;
  std::unique_ptr<Compilation> compilation;
  const std::vector<std::string>& paths = args.positionals();
  if (paths.size() == 1 && paths[0].size() > 5 && paths[0].substr(paths[0].size() - 5) == ".dlib") {
    if (int code = OpenLibraryFile("test", paths[0], &lib); code != 0) return code;
    program = &lib->program();
  } else {
    CompileOptions options;
    options.paths = paths;
    compilation = std::make_unique<Compilation>(options);
    bool ok = compilation->Run();
    for (const std::string& e : compilation->load_errors_) {
      if (e.find("no such file") != std::string::npos) return UsageError("test", e);
    }
    if (!ok) {
      size_t errors = PrintDiagnostics(*compilation, "text", args.Color(stderr));
      fmt::print(stderr, "decree test: {} compile error{}; no test run\n", errors, errors == 1 ? "" : "s");
      return kExitFailure;
    }
    program = &compilation->program();
  }
  std::vector<TestOutcome> outcomes;
  Status st = RunTests(*program, args.Get("filter"), &outcomes);
  if (!st.ok()) {
    fmt::print(stderr, "decree test: {}\n", st.ToString());
    return kExitFailure;
  }
  size_t failed = 0;
  for (const TestOutcome& o : outcomes) failed += !o.passed;
  if (format == "json") {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Field("tests", static_cast<int64_t>(outcomes.size())).Field("failed", static_cast<int64_t>(failed));
    w.Key("results").BeginArray();
    for (const TestOutcome& o : outcomes) {
      w.BeginObject().Field("ruleset", o.ruleset).Field("name", o.name).Field("file", o.file).Field("line", o.line);
      w.FieldBool("passed", o.passed).Key("failures").BeginArray();
      for (const std::string& f : o.failures) w.String(f);
      w.EndArray().EndObject();
    }
    w.EndArray().EndObject();
    fmt::print("{}\n", out);
  } else if (format == "junit") {
    std::map<std::string, JunitSuite> by_ruleset;  // one suite per ruleset, in name order
    for (const TestOutcome& o : outcomes) {
      JunitSuite& suite = by_ruleset[o.ruleset];
      suite.name = o.ruleset;
      JunitCase c{o.ruleset, o.name, o.file, o.line, !o.passed};
      if (!o.passed) {
        c.failure_message = o.failures.front();
        for (const std::string& x : o.failures) c.failure_text += x + "\n";
      }
      suite.cases.push_back(std::move(c));
    }
    std::vector<JunitSuite> suites;
    for (auto& [name, suite] : by_ruleset) suites.push_back(std::move(suite));
    fmt::print("{}", JunitXml(suites));
  } else {
    for (const TestOutcome& o : outcomes) {
      const char* mark = o.passed ? (color ? "\x1b[32mPASS\x1b[0m" : "PASS") : (color ? "\x1b[31mFAIL\x1b[0m" : "FAIL");
      fmt::print("{} {}: {}\n", mark, o.ruleset, o.name);
      for (const std::string& f : o.failures) fmt::print("    {}\n", f);
    }
    fmt::print("{} test{}: {} passed, {} failed\n", outcomes.size(), outcomes.size() == 1 ? "" : "s", outcomes.size() - failed, failed);
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace

const Verb& TestVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
