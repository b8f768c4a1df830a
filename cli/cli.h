// Shared pieces of the `decree` command line: argument parsing, exit codes, terminal output.
#pragma once

#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace decree::cli {

// Exit codes of every verb (docs/ci.md, first paragraph).
inline constexpr int kExitOk = 0;       // success; `run`: ran (findings or not)
inline constexpr int kExitFailure = 1;  // errors in the input, invalid filing, failing tests
inline constexpr int kExitUsage = 2;    // bad command line

struct OptionSpec {
  std::string name;      // long name without dashes
  char short_name = 0;
  std::string value;     // placeholder ("FILE"); empty for a flag
  std::string help;
  bool repeatable = false;
};

struct VerbSpec {
  std::string name;
  std::string usage;     // "decree check [options] PATH..."
  std::string summary;
  std::string description;
  std::vector<OptionSpec> options;
  std::vector<std::string> examples;
  int min_positionals = 0;
  int max_positionals = -1;  // -1: unbounded
};

class Args {
 public:
  // Parses argv (after the verb).  On a usage error prints it and returns false; on --help
  // prints the help and sets *help.
  bool Parse(const VerbSpec& spec, int argc, char** argv, bool* help);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  const std::vector<std::string>& GetAll(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // Parses an integer option; prints a usage error and returns false when malformed.
  bool GetInt(const std::string& name, long long min, long long max, long long* out) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
  std::string verb_;
};

std::string HelpText(const VerbSpec& spec);
// The repeatable `--table NAME=FILE` option into *out; on a malformed one prints the usage
// error and returns false.
bool TableArgs(const std::string& verb, const Args& args, std::map<std::string, std::string>* out);
int UsageError(const std::string& verb, const std::string& message);

// Colors when stderr is a terminal (or --color always).
bool UseColor(const std::string& mode, FILE* stream);
bool IsTerminal(FILE* stream);

// Writes `data` to `path` atomically (temporary file, then rename).  "-" is stdout.
bool WriteFileAtomic(const std::string& path, const std::string& data, std::string* error);

struct Verb {
  const VerbSpec* spec;
  std::function<int(const Args&)> run;
};

// Defined in the verb_*.cpp files.
const Verb& CheckVerb();
const Verb& BuildVerb();
const Verb& InspectVerb();
const Verb& FmtVerb();
const Verb& RunVerb();
const Verb& TestVerb();
const Verb& DiffVerb();
const Verb& ScreenVerb();
const Verb& ReportVerb();
const Verb& ValidateVerb();

}  // namespace decree::cli
