// decree validate: run a ruleset's `require` rules over a filing, for CI.
#include <fmt/format.h>

#include <cctype>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "cli.h"
#include "report/report.h"
#include "compile_common.h"
#include "decree/run.h"
#include "exec/run_source.h"
#include "io/source.h"
#include "ir/ir.h"
#include "decree/json.h"
#include "io/xml.h"

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

struct Violation {
  std::string rule;     // rule id, or the layout's name for records it rejects
  int line = 0;         // 0: the whole filing
  std::vector<int> also;  // further lines of a group
  std::string message;
};

struct RuleInfo {
  std::string id, description;
};

// The (first) line a label or message names: "line 17", "lines 11–20", "line 3, column 5".
int LineOf(const std::string& label) {
  for (size_t p = label.find("line"); p != std::string::npos; p = label.find("line", p + 4)) {
    size_t d = p + 4 + (p + 4 < label.size() && label[p + 4] == 's');
    if (d < label.size() && label[d] == ' ' && d + 1 < label.size() && std::isdigit(static_cast<unsigned char>(label[d + 1]))) {
      return std::atoi(label.c_str() + d + 1);
    }
  }
  return 0;
}

std::string Text(const std::string& filing, const std::vector<RuleInfo>& rules, const std::vector<Violation>& vs,
                 uint64_t records, const std::string& layout) {
  std::string out;
  for (const Violation& v : vs) {
    out += fmt::format("{}:{}: error [{}] {}", filing, v.line, v.rule, v.message);
    if (!v.also.empty()) out += fmt::format(" (also line{} {})", v.also.size() == 1 ? "" : "s", fmt::join(v.also, ", "));
    out += '\n';
  }
  std::set<std::string> failed;
  for (const Violation& v : vs) failed.insert(v.rule);
  out += fmt::format("{}: {} records ({}), {} rules: {}\n", filing, records, layout, rules.size(),
                     vs.empty() ? "valid" : fmt::format("INVALID, {} violation{} of {} rule{}", vs.size(), vs.size() == 1 ? "" : "s",
                                                        failed.size(), failed.size() == 1 ? "" : "s"));
  return out;
}

std::string Sarif(const std::string& filing, const Library& lib, const std::vector<RuleInfo>& rules,
                  const std::vector<Violation>& vs) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Field("$schema", "https://json.schemastore.org/sarif-2.1.0.json").Field("version", "2.1.0");
  w.Key("runs").BeginArray().BeginObject();
  w.Key("tool").BeginObject().Key("driver").BeginObject();
  w.Field("name", "decree").Field("version", DECREE_VERSION).Field("informationUri", "docs/reports.md");
  w.Key("rules").BeginArray();
  for (const RuleInfo& r : rules) {
    w.BeginObject().Field("id", r.id).Key("shortDescription").BeginObject().Field("text", r.description).EndObject().EndObject();
  }
  w.EndArray().EndObject().EndObject();
  w.Key("properties").BeginObject().Field("libraryHash", lib.content_hash()).EndObject();
  w.Key("results").BeginArray();
  auto location = [&](int line) {
    w.BeginObject().Key("physicalLocation").BeginObject();
    w.Key("artifactLocation").BeginObject().Field("uri", filing).EndObject();
    if (line > 0) w.Key("region").BeginObject().Field("startLine", line).EndObject();
    w.EndObject().EndObject();
  };
  for (const Violation& v : vs) {
    int index = 0;
    for (size_t i = 0; i < rules.size(); ++i) {
      if (rules[i].id == v.rule) index = static_cast<int>(i);
    }
    w.BeginObject().Field("ruleId", v.rule).Field("ruleIndex", index).Field("level", "error");
    w.Key("message").BeginObject().Field("text", v.message).EndObject();
    w.Key("locations").BeginArray();
    location(v.line);
    w.EndArray();
    if (!v.also.empty()) {
      w.Key("relatedLocations").BeginArray();
      for (int l : v.also) location(l);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("invocations").BeginArray().BeginObject().FieldBool("executionSuccessful", true).EndObject().EndArray();
  w.EndObject().EndArray().EndObject();
  out += '\n';
  return out;
}

std::string Junit(const std::string& filing, const std::vector<RuleInfo>& rules, const std::vector<Violation>& vs) {
  std::map<std::string, std::vector<const Violation*>> by_rule;
  for (const Violation& v : vs) by_rule[v.rule].push_back(&v);
  size_t failures = 0;
  for (const RuleInfo& r : rules) failures += by_rule.count(r.id) > 0;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites tests=\"{}\" failures=\"{}\">\n", rules.size(), failures);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\">\n", io::XmlEscaped(filing), rules.size(), failures);
  for (const RuleInfo& r : rules) {
    out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"", io::XmlEscaped(filing), io::XmlEscaped(r.id), io::XmlEscaped(filing));
    auto it = by_rule.find(r.id);
    if (it == by_rule.end()) {
      out += "/>\n";
      continue;
    }
    std::string body;
    for (const Violation* v : it->second) {
      body += fmt::format("{}:{}: {}", filing, v->line, v->message);
      if (!v->also.empty()) body += fmt::format(" (also line{} {})", v->also.size() == 1 ? "" : "s", fmt::join(v->also, ", "));
      body += '\n';
    }
    const Violation& first = *it->second.front();
    out += fmt::format(" line=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n", first.line,
                       io::XmlEscaped(fmt::format("{} violation{}, first at line {}: {}", it->second.size(), it->second.size() == 1 ? "" : "s",
                                       first.line, first.message)),
                       io::XmlEscaped(r.id), io::XmlEscaped(body));
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
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
  const ir::Program& program = lib->program();

  // The layouts the require rules read, and which of them the filing fits.
  std::map<std::string, std::vector<const ir::Rule*>> by_layout;
  for (const ir::Rule& r : program.rules) {
    if (r.kind == ir::RuleKind::kRequire) by_layout[r.layout].push_back(&r);
  }
  if (by_layout.empty()) {
    fmt::print(stderr, "decree validate: the library has no `require` rules to validate a filing with\n");
    return kExitUsage;
  }
  std::string layout_name;
  std::string open_error;
  if (args.Has("layout")) {
    const ir::Layout* l = nullptr;
    (void)exec::SelectLayout(program, args.Get("layout"), &l);  // qualified or short name, as decree run takes it
    if (l == nullptr || by_layout.count(l->name) == 0) {
      std::vector<std::string> names;
      for (const auto& [name, rules] : by_layout) names.push_back(name);
      return UsageError("validate", fmt::format("--layout {}: not a layout of the require rules ({})", args.Get("layout"), fmt::join(names, ", ")));
    }
    layout_name = l->name;
  } else {
    std::vector<std::string> fits, opened;
    for (const auto& [name, rules] : by_layout) {
      std::unique_ptr<io::RowSource> source;
      Status st = io::OpenSource(input, program, *program.FindLayout(name), &source);
      if (!st.ok()) {
        if (open_error.empty() || by_layout.size() == 1) open_error = st.message();
        continue;
      }
      opened.push_back(name);
      // An XML filing fits the layouts whose record element it holds.
      if (source->format_name() != "XML" || source->total_bytes() > 0) fits.push_back(name);
    }
    if (fits.empty() && opened.size() == 1) fits = opened;
    if (fits.size() > 1) {
      return UsageError("validate", fmt::format("{} fits several layouts ({}): choose one with --layout", filing, fmt::join(fits, ", ")));
    }
    if (!fits.empty()) layout_name = fits.front();
  }

  std::vector<RuleInfo> rules;
  std::vector<Violation> violations;
  uint64_t records = 0;
  auto finish = [&](const std::string& layout_shown) {
    std::sort(violations.begin(), violations.end(), [](const Violation& a, const Violation& b) {
      return std::tie(a.line, a.rule, a.message) < std::tie(b.line, b.rule, b.message);
    });
    std::string text = format == "sarif" ? Sarif(filing, *lib, rules, violations)
                       : format == "junit" ? Junit(filing, rules, violations)
                                           : Text(filing, rules, violations, records, layout_shown);
    std::string error;
    if (!WriteFileAtomic(args.Get("out", "-"), text, &error)) {
      fmt::print(stderr, "decree validate: cannot write {}: {}\n", args.Get("out"), error);
      return kExitFailure;
    }
    if (args.Has("out") && args.Get("out") != "-") {
      fmt::print(stderr, "decree validate: {}: {}\n", filing,
                 violations.empty() ? "valid" : fmt::format("INVALID ({} violations)", violations.size()));
    }
    return violations.empty() ? kExitOk : kExitFailure;
  };
  const std::string readable_rule = "decree.filing.readable";
  if (layout_name.empty()) {
    // The filing does not fit: that is a finding about the filing, reported like the others.
    rules.push_back({readable_rule, "the filing can be read through the ruleset's layout"});
    violations.push_back({readable_rule, LineOf(open_error), {}, open_error.empty() ? "no layout fits the filing" : open_error});
    return finish("no layout");
  }
  const ir::Layout& layout = *program.FindLayout(layout_name);
  rules.push_back({layout.name, fmt::format("every record has the fields of layout {}, of their types (codes: ISO 4217, ISO 3166)", layout.name)});
  RunOptions options;
  options.layout = layout.name;
  options.threads = 1;
  for (const ir::Rule* r : by_layout[layout.name]) {
    options.only_rules.push_back(r->id);
    if (std::none_of(rules.begin(), rules.end(), [&](const RuleInfo& x) { return x.id == r->id; })) {
      std::string message;
      for (const ir::Verdict& v : r->verdicts) {
        if (v.kind == ir::VerdictKind::kError) message = v.value;
      }
      rules.push_back({r->id, r->citation.empty() ? message : r->citation + ": " + message});
    }
  }
  RunResult result;
  Status st = decree::Run(program, input, options, &result);
  if (!st.ok()) {
    rules.insert(rules.begin(), {readable_rule, "the filing can be read through the ruleset's layout"});
    violations.push_back({readable_rule, LineOf(st.message()), {}, st.message()});
    return finish(layout.name);
  }
  records = result.rows_read;
  if (records == 0) {
    rules.insert(rules.begin(), {readable_rule, "the filing can be read through the ruleset's layout"});
    violations.push_back({readable_rule, 1, {}, fmt::format("the filing holds no record of layout {}", layout.name)});
    return finish(layout.name);
  }
  if (input.format == InputFormat::kXml || (input.format == InputFormat::kAuto && result.input_format == "XML")) {
    Status schema = report::CheckFilingSchema(filing);
    if (!schema.ok()) {
      const std::string schema_rule = "decree.filing.schema";
      rules.insert(rules.begin(), {schema_rule, "the XML filing is valid against its format's schema"});
      violations.push_back({schema_rule, LineOf(schema.message()), {}, schema.message()});
    }
  }
  std::vector<std::pair<std::string, std::string>> labels;
  if (!(st = io::RecordLabels(input, program, layout, &labels)).ok()) {
    fmt::print(stderr, "decree validate: {}\n", st.message());
    return kExitFailure;
  }
  std::map<std::string, std::vector<int>> lines_of;
  for (const auto& [id, label] : labels) lines_of[id].push_back(LineOf(label));
  for (const RejectedRow& r : result.rejects) {
    violations.push_back({layout.name, LineOf(r.position), {},
                          r.record_id.empty() ? r.reason : fmt::format("record {}: {}", r.record_id, r.reason)});
  }
  for (const Finding& f : result.findings) {
    Violation v;
    v.rule = f.rule;
    std::vector<int> lines;
    std::set<std::string> seen;
    for (const std::string& id : f.txn_ids) {
      if (!seen.insert(id).second) continue;
      auto it = lines_of.find(id);
      if (it != lines_of.end()) lines.insert(lines.end(), it->second.begin(), it->second.end());
    }
    std::sort(lines.begin(), lines.end());
    if (!lines.empty()) {
      v.line = lines.front();
      v.also.assign(lines.begin() + 1, lines.end());
    }
    std::string where;
    if (f.keyed) {
      for (const auto& [k, val] : f.key) where += fmt::format("{}{} {}", where.empty() ? "" : ", ", k, val);
      where = fmt::format("{} ({} record{})", where, f.txn_ids.size(), f.txn_ids.size() == 1 ? "" : "s");
    } else {
      where = "record " + f.txn_ids.front();
    }
    v.message = fmt::format("{}: {}", where, f.message.empty() ? f.explain : f.message);
    if (!f.explain.empty() && f.explain.find(f.message) == std::string::npos) v.message += " — " + f.explain;
    violations.push_back(std::move(v));
  }
  return finish(layout.name);
}

}  // namespace

const Verb& ValidateVerb() {
  static const Verb v{&kSpec, Validate};
  return v;
}

}  // namespace decree::cli
