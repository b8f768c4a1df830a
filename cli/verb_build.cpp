// decree build: compile Decree sources into a rule library (.dlib).
#include <fmt/format.h>

#include "cli.h"
#include "compile_common.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "build",
    "decree build [options] PATH... -o LIBRARY",
    "Compile Decree sources into a rule library: one SQLite file with a content hash.",
    "The library holds every ruleset, layout, table, rule (with its citation, source text and\n"
    "compiled form) and test of the sources and the modules they import.  It is written\n"
    "atomically: an existing file is replaced only when the build succeeds.\n"
    "docs/library-format.md specifies the format.",
    {
        {"out", 'o', "LIBRARY", "where to write the library (required)", false, {"output"}},
        {"format", 0, "FORMAT", "diagnostics as text (default) or json"},
    },
    {"decree build rulesets/cn-pboc-lvtr -o lvtr.dlib", "decree inspect lvtr.dlib"},
    1,
    -1,
};

int Run(const Args& args) {
  if (!args.Has("out")) return UsageError("build", "missing -o LIBRARY");
  std::string format = args.Get("format", "text");
  if (format != "text" && format != "json") return UsageError("build", "--format must be text or json");
  std::string out = args.Get("out");
  PathGuard guard;
  GuardSources(args.positionals(), &guard);
  guard.Output("-o", out);
  if (int code = CheckPaths("build", guard); code != 0) return code;
  if (Status st = CheckReplaceableLibrary(out); !st.ok()) return UsageError("build", "-o " + st.message());
  CompileOptions options;
  options.paths = args.positionals();
  Compilation c(options);
  bool ok = c.Run();
  for (const std::string& e : c.load_errors_) {
    if (e.find("no such file") != std::string::npos) return UsageError("build", e);
  }
  size_t errors = PrintDiagnostics(c, format, args.Color(stderr));
  if (!ok || errors > 0) {
    if (format == "text") fmt::print(stderr, "decree build: {} error{}; no library written\n", errors, errors == 1 ? "" : "s");
    return kExitFailure;
  }
  // Imported files are inputs too.
  for (int i = 0; i < c.sources().count(); ++i) {
    const std::string& path = c.sources().file(i).path();
    if (!path.starts_with("<builtin>")) guard.Input("the source", path);  // the prelude is compiled in
  }
  if (int code = CheckPaths("build", guard); code != 0) return code;
  std::string hash;
  Status st = WriteRuleLibrary(c, out, "decree " DECREE_VERSION, &hash);
  if (!st.ok()) {
    fmt::print(stderr, "decree build: cannot write the library: {}\n", st.ToString());
    return kExitFailure;
  }
  size_t rulesets = 0;
  for (const ir::RulesetInfo& r : c.program().rulesets) rulesets += !r.is_module;
  fmt::print(stderr, "decree build: wrote {} ({} ruleset{}, {} rule{}, {} test{}), content hash {}\n", out, rulesets,
             rulesets == 1 ? "" : "s", CountRules(c.program()), CountRules(c.program()) == 1 ? "" : "s",
             c.program().tests.size(), c.program().tests.size() == 1 ? "" : "s", hash);
  return kExitOk;
}

}  // namespace

const Verb& BuildVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
