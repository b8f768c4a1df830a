// decree: the command line.  One verb per file (verb_*.cpp); this file only dispatches.
#include <fmt/format.h>

#include <cstring>

#include "cli.h"

using decree::cli::Verb;

namespace {

const Verb* const* Verbs() {
  static const Verb* const kVerbs[] = {&decree::cli::CheckVerb(), &decree::cli::BuildVerb(),
                                       &decree::cli::InspectVerb(), &decree::cli::FmtVerb(),
                                       &decree::cli::RunVerb(), &decree::cli::TestVerb(), &decree::cli::DiffVerb(), &decree::cli::ScreenVerb(),
                                       &decree::cli::ReportVerb(), &decree::cli::ValidateVerb(),
                                       nullptr};
  return kVerbs;
}

void PrintUsage(FILE* out) {
  fmt::print(out,
             "decree {} — regulatory rules compiler, checker and batch runtime\n\n"
             "Usage: decree <verb> [options] [arguments]\n\nVerbs:\n",
             DECREE_VERSION);
  for (const Verb* const* v = Verbs(); *v != nullptr; ++v) {
    fmt::print(out, "  {:<10} {}\n", (*v)->spec->name, (*v)->spec->summary);
  }
  fmt::print(out,
             "\nRun 'decree <verb> --help' for a verb's options and examples.\n"
             "Exit status: 0 success, 1 errors found, 2 bad command line.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return decree::cli::kExitUsage;
  }
  std::string verb = argv[1];
  if (verb == "--help" || verb == "-h" || verb == "help") {
    PrintUsage(stdout);
    return decree::cli::kExitOk;
  }
  if (verb == "--version" || verb == "version") {
    fmt::print("decree {}\n", DECREE_VERSION);
    return decree::cli::kExitOk;
  }
  for (const Verb* const* v = Verbs(); *v != nullptr; ++v) {
    if ((*v)->spec->name != verb) continue;
    decree::cli::Args args;
    bool help = false;
    if (!args.Parse(*(*v)->spec, argc - 2, argv + 2, &help)) return decree::cli::kExitUsage;
    if (help) {
      fmt::print("{}", decree::cli::HelpText(*(*v)->spec));
      return decree::cli::kExitOk;
    }
    return (*v)->run(args);
  }
  fmt::print(stderr, "decree: unknown verb '{}'\n\n", verb);
  PrintUsage(stderr);
  return decree::cli::kExitUsage;
}
