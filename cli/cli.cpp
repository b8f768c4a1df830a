#include "cli.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "decree/atomic_file.h"

namespace decree::cli {

namespace {

const OptionSpec* FindOption(const VerbSpec& spec, const std::string& name, char short_name) {
  for (const OptionSpec& o : spec.options) {
    if ((!name.empty() && o.name == name) || (short_name != 0 && o.short_name == short_name)) return &o;
  }
  return nullptr;
}

}  // namespace

int UsageError(const std::string& verb, const std::string& message) {
  fmt::print(stderr, "decree {}: {}\nTry 'decree {} --help'.\n", verb, message, verb);
  return kExitUsage;
}

bool Args::Parse(const VerbSpec& spec, int argc, char** argv, bool* help) {
  verb_ = spec.name;
  *help = false;
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
    std::string name, value;
    bool has_inline = false;
    const OptionSpec* opt;
    if (a.rfind("--", 0) == 0) {
      name = a.substr(2);
      size_t eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_inline = true;
      }
      opt = FindOption(spec, name, 0);
    } else {
      opt = a.size() == 2 ? FindOption(spec, "", a[1]) : nullptr;
    }
    if (opt == nullptr) {
      UsageError(spec.name, fmt::format("unknown option '{}'", a));
      return false;
    }
    if (opt->value.empty()) {
      if (has_inline) {
        UsageError(spec.name, fmt::format("option '--{}' takes no value", opt->name));
        return false;
      }
      values_[opt->name].push_back("true");
      continue;
    }
    if (!has_inline) {
      if (i + 1 >= argc) {
        UsageError(spec.name, fmt::format("option '--{}' needs a value ({})", opt->name, opt->value));
        return false;
      }
      value = argv[++i];
    }
    if (!opt->repeatable && values_.count(opt->name) > 0) {
      UsageError(spec.name, fmt::format("option '--{}' given twice", opt->name));
      return false;
    }
    values_[opt->name].push_back(value);
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

std::string HelpText(const VerbSpec& spec) {
  std::string s = fmt::format("Usage: {}\n\n{}\n", spec.usage, spec.summary);
  if (!spec.description.empty()) s += "\n" + spec.description + "\n";
  if (!spec.options.empty()) {
    s += "\nOptions:\n";
    for (const OptionSpec& o : spec.options) {
      std::string left = o.short_name != 0 ? fmt::format("-{}, --{}", o.short_name, o.name) : fmt::format("    --{}", o.name);
      if (!o.value.empty()) left += " " + o.value;
      s += fmt::format("  {:<30} {}\n", left, o.help);
    }
    s += fmt::format("  {:<30} {}\n", "-h, --help", "show this help");
  }
  if (!spec.examples.empty()) {
    s += "\nExamples:\n";
    for (const std::string& e : spec.examples) s += "  " + e + "\n";
  }
  return s;
}

bool IsTerminal(FILE* stream) { return isatty(fileno(stream)) != 0; }

bool UseColor(const std::string& mode, FILE* stream) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  return IsTerminal(stream);
}

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

}  // namespace decree::cli
