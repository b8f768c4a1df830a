// decree check: parse and type-check Decree sources; report every problem found.
#include <fmt/format.h>

#include "cli.h"
#include "compile_common.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "check",
    "decree check [options] PATH...",
    "Parse and type-check Decree sources, reporting every error with its code and location.",
    "PATH is a .decree file or a folder searched recursively for .decree files.\n"
    "Exit status: 0 when clean, 1 when errors were found, 2 on a bad command line.",
    {
        {"format", 0, "FORMAT", "text (default) or json"},
        {"color", 0, "WHEN", "auto (default), always or never"},
    },
    {"decree check rulesets/", "decree check rulesets/cn-pboc-lvtr/lvtr.decree --format json"},
    1,
    -1,
};

int Run(const Args& args) {
  std::string format = args.Get("format", "text");
  if (format != "text" && format != "json") return UsageError("check", "--format must be text or json");
  std::string color_mode = args.Get("color", "auto");
  if (color_mode != "auto" && color_mode != "always" && color_mode != "never") {
    return UsageError("check", "--color must be auto, always or never");
  }
  CompileOptions options;
  options.paths = args.positionals();
  Compilation c(options);
  bool ok = c.Run();
  for (const std::string& e : c.load_errors_) {
    if (e.find("no such file") != std::string::npos) return UsageError("check", e);
  }
  size_t errors = PrintDiagnostics(c, format, UseColor(color_mode, stderr));
  if (format == "text") {
    fmt::print(stderr, "decree check: {} file{}, {} rule{}: {} error{}, {} warning{}\n", c.root_files().size(),
               c.root_files().size() == 1 ? "" : "s", CountRules(c.program()), CountRules(c.program()) == 1 ? "" : "s",
               errors, errors == 1 ? "" : "s", c.diags().warning_count(), c.diags().warning_count() == 1 ? "" : "s");
  }
  return ok && errors == 0 ? kExitOk : kExitFailure;
}

}  // namespace

const Verb& CheckVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
