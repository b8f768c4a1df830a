// decree validate: run a ruleset's `require` rules over a filing, for CI.
#include <fmt/format.h>

#include <set>

#include "ci_output.h"
#include "cli.h"
#include "decree/validate.h"
#include "compile_common.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "validate",
    "decree validate LIBRARY|SOURCES... -i FILING [--format text|sarif|junit] [--out FILE]",
    "Check a filing (CSV or XML) against a ruleset's `require` rules.",
    "The filing is read through the layout of the library's `require` rules (an XML layout,\n"
    "`from xml \"record\"`, for XML; with several, the one the filing fits, or --layout).  Every\n"
    "record either passes every rule or is listed with the rule, the line and the message; a\n"
    "record the layout itself rejects (a missing field, a value of the wrong type, an unknown ISO\n"
    "4217 currency or ISO 3166 country) is a violation of the layout, at its line.  A `per` rule\n"
    "(cross-record totals, duplicate ids) points at the first record of its group and lists the\n"
    "others.\n\n"
    "Formats: text (default), sarif (SARIF 2.1.0: one result per violation, located at the\n"
    "filing's line), junit (one test case per rule, failed with the lines).\n\n"
    "Exit status: 0 valid; 1 invalid (or unreadable); 2 could not start (a bad command line, a missing filing, not a library).",
    {
        {"input", 'i', "FILING", "the filing to check (also accepted as the last argument)"},
        {"format", 0, "FORMAT", "text (default), sarif or junit"},
        {"out", 'o', "FILE", "write the result here instead of standard output"},
        {"layout", 0, "NAME", "the filing's layout, when the library's require rules read several"},
        {"input-format", 0, "FMT", "csv, jsonl, sqlite or xml (default: from the name or content)"},
    },
    {"decree validate rulesets/filing-checks -i lvtr.csv",
     "decree validate filing-checks.dlib -i lvtr.xml --format sarif --out validate.sarif",
     "decree validate rulesets/filing-checks -i ctr.xml --format junit --out validate.xml"},
    1,
    -1,
};

std::string Also(const FilingViolation& v) {
  return v.also.empty() ? "" : fmt::format(" (also line{} {})", v.also.size() == 1 ? "" : "s", fmt::join(v.also, ", "));
}

std::string Text(const std::string& filing, const ValidationResult& r) {
  std::string out;
  std::set<std::string> failed;
  for (const FilingViolation& v : r.violations) {
    out += fmt::format("{}:{}: error [{}] {}{}\n", filing, v.line, v.rule, v.message, Also(v));
    failed.insert(v.rule);
  }
  const size_t n = r.violations.size();
  out += fmt::format("{}: {} ({}), {}: {}\n", filing, Plural(r.records, "record", "records"), r.layout,
                     Plural(r.rules.size(), "rule", "rules"),
                     n == 0 ? "valid" : fmt::format("INVALID, {} of {}", Plural(n, "violation", "violations"),
                                                    Plural(failed.size(), "rule", "rules")));
  return out;
}

std::string Sarif(const std::string& filing, const Library& lib, const ValidationResult& r) {
  std::vector<SarifRule> rules;
  for (const FilingRule& x : r.rules) rules.push_back({x.id, "", x.description});
  std::vector<SarifResult> results;
  for (const FilingViolation& v : r.violations) {
    SarifResult res;
    res.rule_id = v.rule;
    res.message = v.message;
    res.locations.push_back({filing, v.line});
    for (int l : v.also) res.related.push_back({filing, l});
    results.push_back(std::move(res));
  }
  return SarifLog(rules, results, lib.content_hash());
}

// One test case per rule, failed with every violation's line.
std::string Junit(const std::string& filing, const ValidationResult& r) {
  JunitSuite suite{filing, {}};
  for (const FilingRule& rule : r.rules) {
    JunitCase c{filing, rule.id, filing};
    size_t count = 0;
    const FilingViolation* first = nullptr;
    for (const FilingViolation& v : r.violations) {
      if (v.rule != rule.id) continue;
      if (first == nullptr) first = &v;
      ++count;
      c.failure_text += fmt::format("{}:{}: {}{}\n", filing, v.line, v.message, Also(v));
    }
    if (first != nullptr) {
      c.failed = true;
      c.line = first->line;
      c.failure_type = rule.id;
      c.failure_message = fmt::format("{}, first at line {}: {}", Plural(count, "violation", "violations"), first->line, first->message);
    }
    suite.cases.push_back(std::move(c));
  }
  return JunitXml({suite});
}

int Validate(const Args& args) {
  std::string format = args.Get("format", "text");
  if (format != "text" && format != "sarif" && format != "junit") return UsageError("validate", "--format must be text, sarif or junit");
  std::vector<std::string> lib_paths = args.positionals();
  if (!args.Has("input") && lib_paths.size() < 2) return UsageError("validate", "missing the filing (-i FILING)");
  const std::string filing = args.Has("input") ? args.Get("input") : lib_paths.back();
  if (!args.Has("input")) lib_paths.pop_back();
  {
    PathGuard guard;
    GuardSources(lib_paths, &guard);
    guard.Input("the filing", filing);
    guard.Output("--out", args.Get("out", "-"));
    if (int code = CheckPaths("validate", guard); code != 0) return code;
  }
  InputSpec input;
  input.path = filing;
  if (args.Has("input-format")) {
    Status st = ParseInputFormat(args.Get("input-format"), &input.format);
    if (!st.ok()) return UsageError("validate", st.message());
  }
  std::unique_ptr<Library> lib;
  if (int code = OpenOrCompile("validate", lib_paths, args.Color(stderr), &lib); code != 0) return code;
  ValidateOptions options;
  options.input = input;
  options.layout = args.Get("layout");
  ValidationResult result;
  if (Status st = ValidateFiling(*lib, options, &result); !st.ok()) {
    fmt::print(stderr, "decree validate: {}\n", st.message());
    return ExitFor(st);
  }
  std::string text = format == "sarif" ? Sarif(filing, *lib, result)
                     : format == "junit" ? Junit(filing, result)
                                         : Text(filing, result);
  std::string error;
  if (!WriteFileAtomic(args.Get("out", "-"), text, &error)) {
    fmt::print(stderr, "decree validate: cannot write {}: {}\n", args.Get("out"), error);
    return kExitFailure;
  }
  if (args.Has("out") && args.Get("out") != "-" && !args.quiet()) {
    fmt::print(stderr, "decree validate: {}: {}\n", filing,
               result.valid() ? "valid" : fmt::format("INVALID ({})", Plural(result.violations.size(), "violation", "violations")));
  }
  return result.valid() ? kExitOk : kExitFailure;
}

}  // namespace

const Verb& ValidateVerb() {
  static const Verb v{&kSpec, Validate};
  return v;
}

}  // namespace decree::cli
