#include "cli.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>

#include "decree/atomic_file.h"

namespace decree::cli {

namespace {

const std::vector<OptionSpec>& CommonOptions() {
  static const std::vector<OptionSpec> kCommon = {
      {"out", 'o', "FILE", "write what would go to standard output to FILE (atomically; never over an input)"},
      {"quiet", 'q', "", "no progress and no summary"},
      {"color", 0, "WHEN", "color diagnostics: auto (default: when a terminal), always or never"},
  };
  return kCommon;
}

const OptionSpec* FindLong(const std::vector<OptionSpec>& options, const std::string& name) {
  for (const OptionSpec& o : options) {
    if (o.name == name || std::find(o.aliases.begin(), o.aliases.end(), name) != o.aliases.end()) return &o;
  }
  return nullptr;
}

const OptionSpec* FindShort(const std::vector<OptionSpec>& options, char c) {
  for (const OptionSpec& o : options) {
    if (o.short_name == c) return &o;
  }
  return nullptr;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      // A swap of two adjacent letters counts as one edit.
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev[j - 1]);
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int ExitFor(const Status& status) {
  switch (status.code()) {
    case Status::Code::kOk: return kExitOk;
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
    case Status::Code::kMissingInput: return kExitUsage;
    default: return kExitFailure;
  }
}

std::vector<OptionSpec> AllOptions(const VerbSpec& spec) {
  std::vector<OptionSpec> all = spec.options;
  for (const OptionSpec& c : CommonOptions()) {
    if (!DefinesOption(spec, c.name)) all.push_back(c);
  }
  return all;
}

bool DefinesOption(const VerbSpec& spec, const std::string& name) {
  return FindLong(spec.options, name) != nullptr;
}

std::string Suggest(const std::string& word, const std::vector<std::string>& candidates) {
  const size_t limit = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::string best;
  size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  if (!best.empty() || word.size() < 3) return best;
  for (const std::string& c : candidates) {  // an abbreviation: --thread for --threads
    if (c.starts_with(word)) return c;
  }
  return "";
}

int UsageError(const std::string& verb, const std::string& message) {
  fmt::print(stderr, "decree {}: {}\nTry 'decree {} --help'.\n", verb, message, verb);
  return kExitUsage;
}

bool Args::Take(const OptionSpec& opt, const std::string& value) {
  if (!opt.repeatable && values_.count(opt.name) > 0) {
    UsageError(verb_, fmt::format("option '--{}' given twice", opt.name));
    return false;
  }
  values_[opt.name].push_back(value);
  return true;
}

bool Args::Parse(const VerbSpec& spec, int argc, char** argv, bool* help) {
  verb_ = spec.name;
  *help = false;
  const std::vector<OptionSpec> options = AllOptions(spec);
  bool only_positionals = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (only_positionals || a == "-" || a.empty() || a[0] != '-') {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      *help = true;
      return true;
    }
    if (a.starts_with("--")) {
      std::string name = a.substr(2), value;
      size_t eq = name.find('=');
      bool has_inline = eq != std::string::npos;
      if (has_inline) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      const OptionSpec* opt = FindLong(options, name);
      if (opt == nullptr) {
        std::vector<std::string> names;
        for (const OptionSpec& o : options) names.push_back(o.name);
        std::string near = Suggest(name, names);
        UsageError(spec.name, fmt::format("unknown option '--{}'{}", name, near.empty() ? "" : fmt::format(" (did you mean '--{}'?)", near)));
        return false;
      }
      if (opt->value.empty() && has_inline) {
        UsageError(spec.name, fmt::format("option '--{}' takes no value", opt->name));
        return false;
      }
      if (!opt->value.empty() && !has_inline) {
        if (i + 1 >= argc) {
          UsageError(spec.name, fmt::format("option '--{}' needs a value ({})", opt->name, opt->value));
          return false;
        }
        value = argv[++i];
      }
      if (!Take(*opt, opt->value.empty() ? "true" : value)) return false;
      continue;
    }
    // Short options, bundled: -q, -j4, -j 4, -qj 2, -qj2.
    for (size_t k = 1; k < a.size(); ++k) {
      const OptionSpec* opt = FindShort(options, a[k]);
      if (opt == nullptr) {
        UsageError(spec.name, fmt::format("unknown option '-{}'{}", a[k], a.size() > 2 ? fmt::format(" in '{}'", a) : ""));
        return false;
      }
      if (opt->value.empty()) {
        if (!Take(*opt, "true")) return false;
        continue;
      }
      std::string value = a.substr(k + 1);
      if (value.empty()) {
        if (i + 1 >= argc) {
          UsageError(spec.name, fmt::format("option '-{}' needs a value ({})", a[k], opt->value));
          return false;
        }
        value = argv[++i];
      }
      if (!Take(*opt, value)) return false;
      break;
    }
  }
  std::string color = Get("color", "auto");
  if (color != "auto" && color != "always" && color != "never") {
    UsageError(spec.name, fmt::format("--color must be auto, always or never, not '{}'", color));
    return false;
  }
  int n = static_cast<int>(positionals_.size());
  if (n < spec.min_positionals) {
    UsageError(spec.name, spec.min_positionals == 1 && spec.max_positionals == 1
                              ? "missing argument"
                              : fmt::format("expected at least {} argument{}", spec.min_positionals,
                                            spec.min_positionals == 1 ? "" : "s"));
    return false;
  }
  if (spec.max_positionals >= 0 && n > spec.max_positionals) {
    UsageError(spec.name, fmt::format("too many arguments (expected at most {})", spec.max_positionals));
    return false;
  }
  return true;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

const std::vector<std::string>& Args::GetAll(const std::string& name) const {
  static const std::vector<std::string> kEmpty;
  auto it = values_.find(name);
  return it == values_.end() ? kEmpty : it->second;
}

bool Args::GetInt(const std::string& name, long long min, long long max, long long* out) const {
  std::string v = Get(name);
  char* end = nullptr;
  errno = 0;
  long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || x < min || x > max) {
    UsageError(verb_, fmt::format("--{} expects a whole number from {} to {}, not '{}'", name, min, max, v));
    return false;
  }
  *out = x;
  return true;
}

bool Args::Color(FILE* stream) const {
  std::string mode = Get("color", "auto");
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return IsTerminal(stream);
}

std::string HelpText(const VerbSpec& spec) {
  std::string s = fmt::format("Usage: {}\n\n{}\n", spec.usage, spec.summary);
  if (!spec.description.empty()) s += "\n" + spec.description + "\n";
  s += "\nOptions:\n";
  for (const OptionSpec& o : AllOptions(spec)) {
    std::string left = o.short_name != 0 ? fmt::format("-{}, --{}", o.short_name, o.name) : fmt::format("    --{}", o.name);
    if (!o.value.empty()) left += " " + o.value;
    s += fmt::format("  {:<30} {}\n", left, o.help);
  }
  s += fmt::format("  {:<30} {}\n", "-h, --help", "show this help");
  if (!spec.examples.empty()) {
    s += "\nExamples:\n";
    for (const std::string& e : spec.examples) s += "  " + e + "\n";
  }
  if (spec.description.find("Exit status") == std::string::npos) {
    s += "\nExit status: 0 success, 1 the input fails or the run stopped, 2 could not start (docs/cli.md).\n";
  }
  return s;
}

bool IsTerminal(FILE* stream) { return isatty(fileno(stream)) != 0; }

bool TableArgs(const std::string& verb, const Args& args, std::map<std::string, std::string>* out) {
  for (const std::string& t : args.GetAll("table")) {
    size_t eq = t.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == t.size()) {
      UsageError(verb, "--table expects NAME=FILE, e.g. usd_rate=rates.csv");
      return false;
    }
    (*out)[t.substr(0, eq)] = t.substr(eq + 1);
  }
  return true;
}

bool WriteFileAtomic(const std::string& path, const std::string& data, std::string* error) {
  Status st = WriteFileAtomically(path, data);
  if (!st.ok()) *error = st.message();
  return st.ok();
}

std::string Count(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Plural(uint64_t n, const char* one, const char* many) { return Count(n) + " " + (n == 1 ? one : many); }

std::string Rate(double items, double seconds, const char* unit) {
  double r = seconds > 0 ? items / seconds : 0;
  if (r >= 1e6) return fmt::format("{:.1f} M {}/s", r / 1e6, unit);
  if (r >= 1e3) return fmt::format("{:.1f} k {}/s", r / 1e3, unit);
  return fmt::format("{:.0f} {}/s", r, unit);
}

Progress::Progress(const Args& args, const char* unit)
    : enabled_(!args.quiet() && IsTerminal(stderr)), unit_(unit), started_(Seconds()) {}

void Progress::Update(uint64_t done, uint64_t total, uint64_t items) {
  if (!enabled_) return;
  const double now = Seconds();
  if (now - drawn_ < 0.2) return;  // at most five redraws a second, whoever calls
  drawn_ = now;
  std::string pct = total > 0 ? fmt::format("{:5.1f}%  ", 100.0 * static_cast<double>(done) / static_cast<double>(total)) : "";
  fmt::print(stderr, "\r\x1b[2K  {}{} {}  {}", pct, Count(items), unit_, Rate(static_cast<double>(items), Seconds() - started_, unit_));
  std::fflush(stderr);
}

void Progress::Done() {
  if (enabled_) fmt::print(stderr, "\r\x1b[2K");
}

}  // namespace decree::cli
