// Shared pieces of the `decree` command line: the option parser every verb uses, the exit-code
// policy, numbers, progress and terminal output.  The policy (docs/cli.md) in one place:
//   0  the verb did its job and nothing it checks failed;
//   1  it did its job and the input fails: findings under --fail-on-findings, rejected rows past
//      --max-rejects, rule errors, failing tests, an invalid filing, analysis findings — or it
//      stopped part way (a write error, an input changed while read, the memory limit);
//   2  it could not start: a bad command line, an input file that does not exist, a rule library
//      that is not one, a table or watch list the rules need that was not given.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "decree/status.h"

namespace decree::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// The exit status for a Status that stopped a verb (the policy above).
int ExitFor(const Status& status);

struct OptionSpec {
  std::string name;      // long name without dashes
  char short_name = 0;
  std::string value;     // placeholder ("FILE"); empty for a flag
  std::string help;
  bool repeatable = false;
  std::vector<std::string> aliases = {};  // older names still accepted, not shown in --help
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

// The options a verb accepts: its own, then those every verb has (-o/--out, -q/--quiet,
// --color) unless it defines them itself.  -o/--out of a verb that does not define it writes
// what the verb prints on standard output to a file (main.cpp).
std::vector<OptionSpec> AllOptions(const VerbSpec& spec);
bool DefinesOption(const VerbSpec& spec, const std::string& name);

class Args {
 public:
  // Parses argv (after the verb): long options (--name VALUE, --name=VALUE), short ones
  // (-j 4, -j4, bundled flags -qj 2), `--` ends the options.  On a usage error prints it (with
  // a suggestion for a misspelt option) and returns false; on -h/--help sets *help.
  bool Parse(const VerbSpec& spec, int argc, char** argv, bool* help);

  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  const std::vector<std::string>& GetAll(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // Parses an integer option; prints a usage error and returns false when malformed.
  bool GetInt(const std::string& name, long long min, long long max, long long* out) const;
  bool quiet() const { return Has("quiet"); }
  // Whether to color `stream` (--color auto|always|never; NO_COLOR; a terminal).
  bool Color(FILE* stream) const;

 private:
  bool Take(const OptionSpec& opt, const std::string& value);
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
  std::string verb_;
};

std::string HelpText(const VerbSpec& spec);
// The repeatable `--table NAME=FILE` option into *out; on a malformed one prints the usage
// error and returns false.
bool TableArgs(const std::string& verb, const Args& args, std::map<std::string, std::string>* out);
int UsageError(const std::string& verb, const std::string& message);
// The closest of `candidates` to `word` when it is a likely misspelling, else "".
std::string Suggest(const std::string& word, const std::vector<std::string>& candidates);

bool IsTerminal(FILE* stream);

// Writes `data` to `path` atomically (temporary file, then rename).  "-" is stdout.
bool WriteFileAtomic(const std::string& path, const std::string& data, std::string* error);

// One number format for every verb: 1234567 -> "1,234,567"; "1 row" / "2 rows".
std::string Count(uint64_t n);
std::string Plural(uint64_t n, const char* one, const char* many);
// "1.2 M rows/s".
std::string Rate(double items, double seconds, const char* unit = "rows");

// The one progress line: "  42.0%  1,234 rows  1.2 M rows/s" redrawn on stderr while it is a
// terminal and not --quiet (no percentage when the total is not known, total 0), at most five
// times a second however often Update is called; Done() clears it.
class Progress {
 public:
  Progress(const Args& args, const char* unit);
  bool enabled() const { return enabled_; }
  void Update(uint64_t done, uint64_t total, uint64_t items);
  void Done();

 private:
  bool enabled_;
  const char* unit_;
  double started_;
  double drawn_ = 0;  // when the line was last drawn
};

struct Verb {
  const VerbSpec* spec;
  std::function<int(const Args&)> run;
};

// Defined in the verb_*.cpp files.
const Verb& CheckVerb();
const Verb& ServeVerb();
const Verb& SqlVerb();
const Verb& StreamVerb();
const Verb& BuildVerb();
const Verb& InspectVerb();
const Verb& FmtVerb();
const Verb& RunVerb();
const Verb& TestVerb();
const Verb& DiffVerb();
const Verb& ScreenVerb();
const Verb& ReportVerb();
const Verb& ValidateVerb();
const Verb& ExplainVerb();
const Verb& GraphVerb();
const Verb& CompletionVerb();
// All verbs, in the order `decree --help` lists them; ends with nullptr (main.cpp).
const Verb* const* AllVerbs();
// The man page (troff) of `verb`, or of decree itself when null: generated from the verb tables
// (completion.cpp), as the shell completions are.
std::string ManPage(const Verb* verb);

}  // namespace decree::cli
