// decree fmt: print Decree sources in the canonical layout.
#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "cli.h"
#include "driver/compilation.h"
#include "syntax/parser.h"
#include "syntax/printer.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "fmt",
    "decree fmt [options] PATH...",
    "Print Decree sources in the canonical layout (stable and idempotent; comments kept).",
    "Without options, prints the formatted text of each file to standard output.\n"
    "A file with syntax errors is not formatted: its errors are reported (exit status 1).",
    {
        {"write", 'w', "", "rewrite the files in place"},
        {"check", 0, "", "change nothing; exit 1 and list the files that are not formatted"},
    },
    {"decree fmt rulesets/cn-pboc-lvtr/lvtr.decree", "decree fmt --write rulesets/", "decree fmt --check rulesets/"},
    1,
    -1,
};

int Run(const Args& args) {
  std::vector<std::string> files, errors;
  CollectSourceFiles(args.positionals(), &files, &errors);
  for (const std::string& e : errors) return UsageError("fmt", e);
  bool write = args.Has("write"), check = args.Has("check");
  if (write && check) return UsageError("fmt", "--write and --check exclude each other");
  bool color = args.Color(stderr);
  int status = kExitOk;
  std::vector<std::string> unformatted;
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    SourceManager sm;
    DiagnosticEngine diags(&sm);
    int id = sm.Add(path, text);
    std::unique_ptr<ast::Module> m;
    RunOnLargeStack(512u << 20, [&]() { m = ParseModule(sm, id, &diags); });
    if (diags.has_errors()) {
      for (const Diagnostic& d : diags.Sorted()) fmt::print(stderr, "{}\n", diags.RenderText(d, color));
      status = kExitFailure;
      continue;
    }
    std::string formatted;
    RunOnLargeStack(512u << 20, [&]() { formatted = FormatModule(*m); });
    if (check) {
      if (formatted != text) unformatted.push_back(path);
    } else if (write) {
      if (formatted != text) {
        std::string error;
        if (!WriteFileAtomic(path, formatted, &error)) {
          fmt::print(stderr, "decree fmt: {}\n", error);
          status = kExitFailure;
        } else {
          fmt::print(stderr, "formatted {}\n", path);
        }
      }
    } else {
      fmt::print("{}", formatted);
    }
  }
  for (const std::string& f : unformatted) fmt::print("{}\n", f);
  if (!unformatted.empty()) {
    fmt::print(stderr, "decree fmt: {} file{} not formatted; run `decree fmt --write`\n", unformatted.size(),
               unformatted.size() == 1 ? " is" : "s are");
    status = kExitFailure;
  }
  return status;
}

}  // namespace

const Verb& FmtVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
