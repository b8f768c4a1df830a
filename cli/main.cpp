// decree: the command line.  One verb per file (verb_*.cpp); this file dispatches, and gives
// every verb the options they share (cli.h): -o/--out for what a verb prints, help, version.
#include <fmt/format.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "analysis/analysis.h"
#include "build_info.h"
#include "cli.h"
#include "decree/atomic_file.h"
#include "decree/version.h"
#include "compile_common.h"
#include "paths.h"

namespace decree::cli {

const Verb* const* AllVerbs() {
  static const Verb* const kVerbs[] = {&CheckVerb(), &BuildVerb(), &InspectVerb(), &FmtVerb(),      &TestVerb(),
                                       &DiffVerb(),  &RunVerb(),   &ExplainVerb(), &GraphVerb(), &ScreenVerb(),   &ReportVerb(),
                                       &ServeVerb(), &StreamVerb(), &SqlVerb(), &ValidateVerb(), &CompletionVerb(), nullptr};
  return kVerbs;
}

namespace {

void PrintUsage(FILE* out) {
  fmt::print(out,
             "decree {} — regulatory rules compiler, checker and batch runtime\n\n"
             "Usage: decree <verb> [options] [arguments]\n\nVerbs:\n",
             DECREE_VERSION);
  for (const Verb* const* v = AllVerbs(); *v != nullptr; ++v) {
    fmt::print(out, "  {:<10} {}\n", (*v)->spec->name, (*v)->spec->summary);
  }
  fmt::print(out,
             "\nRun 'decree help <verb>' (or 'decree <verb> --help') for a verb's options and examples.\n"
             "Options every verb takes: -o/--out FILE, -q/--quiet, --color WHEN, -h/--help.\n"
             "Exit status: 0 success, 1 the input fails or the run stopped, 2 could not start (docs/cli.md).\n");
}

void PrintVersion() {
  fmt::print("decree {} (commit {})\nrule library format {}\n{}, {}\n", DECREE_VERSION, DECREE_COMMIT,
             LibraryFormatVersion(), ComponentVersions(), analysis::SolverVersion());
}

const Verb* FindVerb(const std::string& name) {
  for (const Verb* const* v = AllVerbs(); *v != nullptr; ++v) {
    if ((*v)->spec->name == name) return *v;
  }
  return nullptr;
}

int UnknownVerb(const std::string& name) {
  std::vector<std::string> names;
  for (const Verb* const* v = AllVerbs(); *v != nullptr; ++v) names.push_back((*v)->spec->name);
  std::string near = Suggest(name, names);
  fmt::print(stderr, "decree: unknown verb '{}'{}\nRun 'decree --help' for the list of verbs.\n", name,
             near.empty() ? "" : fmt::format(" (did you mean '{}'?)", near));
  return kExitUsage;
}

// Runs a verb with its standard output going to `out` (-o/--out of a verb that does not write
// files itself): written atomically, kept unless the verb could not start.
int RunToFile(const Verb& verb, const Args& args, const std::string& out) {
  PathGuard guard;  // the verb's arguments that are files, or folders of sources, are its inputs
  for (const std::string& p : args.positionals()) {
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) {
      GuardSources({p}, &guard);
    } else if (std::filesystem::exists(p, ec)) {
      guard.Input("the input", p);
    }
  }
  guard.Output("--out", out);
  if (Status st = guard.Check(); !st.ok()) {
    fmt::print(stderr, "decree {}: {}\n", verb.spec->name, st.message());
    return ExitFor(st);
  }
  AtomicFile file;
  if (Status st = file.Open(out); !st.ok()) {
    fmt::print(stderr, "decree {}: --out {}\n", verb.spec->name, st.message());
    return kExitFailure;
  }
  std::fflush(stdout);
  int saved = dup(STDOUT_FILENO);
  dup2(file.fd(), STDOUT_FILENO);
  int code = verb.run(args);
  bool flushed = std::fflush(stdout) == 0;
  dup2(saved, STDOUT_FILENO);
  close(saved);
  if (code == kExitUsage) return code;  // the abandoned file leaves the target as it was
  if (Status st = flushed ? file.Commit() : Status::IoError(out + ": cannot write"); !st.ok()) {
    fmt::print(stderr, "decree {}: {}\n", verb.spec->name, st.message());
    return kExitFailure;
  }
  return code;
}

}  // namespace

}  // namespace decree::cli

int main(int argc, char** argv) {
  using namespace decree::cli;
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  std::string verb_name = argv[1];
  if (verb_name == "--help" || verb_name == "-h" || (verb_name == "help" && argc == 2)) {
    PrintUsage(stdout);
    return kExitOk;
  }
  if (verb_name == "help") {
    const Verb* v = FindVerb(argv[2]);
    if (v == nullptr) return UnknownVerb(argv[2]);
    fmt::print("{}", HelpText(*v->spec));
    return kExitOk;
  }
  if (verb_name == "--version" || verb_name == "-V" || verb_name == "version") {
    PrintVersion();
    return kExitOk;
  }
  if (verb_name == "--man-page" && argc == 3) {  // for the build: cli/CMakeLists.txt
    const Verb* v = std::strcmp(argv[2], "decree") == 0 ? nullptr : FindVerb(argv[2]);
    fmt::print("{}", ManPage(v));
    return kExitOk;
  }
  const Verb* verb = FindVerb(verb_name);
  if (verb == nullptr) return UnknownVerb(verb_name);
  Args args;
  bool help = false;
  if (!args.Parse(*verb->spec, argc - 2, argv + 2, &help)) return kExitUsage;
  if (help) {
    fmt::print("{}", HelpText(*verb->spec));
    return kExitOk;
  }
  if (args.Has("out") && !DefinesOption(*verb->spec, "out") && args.Get("out") != "-") {
    return RunToFile(*verb, args, args.Get("out"));
  }
  return verb->run(args);
}
