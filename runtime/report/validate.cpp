// ValidateFiling (decree/validate.h): a filing through the require rules of its layout.
#include "decree/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>

#include "decree/run.h"
#include "exec/run_source.h"
#include "io/source.h"
#include "ir/ir.h"
#include "report/report.h"

namespace decree {

namespace {

const char kReadableRule[] = "decree.filing.readable";
const char kSchemaRule[] = "decree.filing.schema";

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

using RulesByLayout = std::map<std::string, std::vector<const ir::Rule*>>;

// The layout the filing is read through: `requested`, or the one of `by_layout` it fits ("" and
// *open_error when none does).
Status ChooseLayout(const ir::Program& program, const RulesByLayout& by_layout, const InputSpec& input,
                    const std::string& requested, std::string* layout, std::string* open_error) {
  if (!requested.empty()) {
    const ir::Layout* l = nullptr;
    (void)exec::SelectLayout(program, requested, &l);  // qualified or short name, as a run takes it
    if (l == nullptr || by_layout.count(l->name) == 0) {
      std::vector<std::string> names;
      for (const auto& [name, rules] : by_layout) names.push_back(name);
      return Status::InvalidArgument(
          fmt::format("layout {}: not a layout of the require rules ({})", requested, fmt::join(names, ", ")));
    }
    *layout = l->name;
    return Status::Ok();
  }
  std::vector<std::string> fits, opened;
  for (const auto& [name, rules] : by_layout) {
    std::unique_ptr<io::RowSource> source;
    Status st = io::OpenSource(input, program, *program.FindLayout(name), &source);
    if (!st.ok()) {
      if (open_error->empty() || by_layout.size() == 1) *open_error = st.message();
      continue;
    }
    opened.push_back(name);
    // An XML filing fits the layouts whose record element it holds.
    if (source->format_name() != "XML" || source->total_bytes() > 0) fits.push_back(name);
  }
  if (fits.empty() && opened.size() == 1) fits = opened;
  if (fits.size() > 1) {
    return Status::InvalidArgument(
        fmt::format("{} fits several layouts ({}): choose one", input.path, fmt::join(fits, ", ")));
  }
  if (!fits.empty()) *layout = fits.front();
  return Status::Ok();
}

// The rules checked: the layout itself, then its require rules, each described by citation and
// message.
void ListRules(const ir::Layout& layout, const std::vector<const ir::Rule*>& rules, std::vector<FilingRule>* out) {
  out->push_back({layout.name, fmt::format("every record has the fields of layout {}, of their types (codes: ISO 4217, ISO 3166)",
                                           layout.name)});
  for (const ir::Rule* r : rules) {
    if (std::any_of(out->begin(), out->end(), [&](const FilingRule& x) { return x.id == r->id; })) continue;
    std::string message;
    for (const ir::Verdict& v : r->verdicts) {
      if (v.kind == ir::VerdictKind::kError) message = v.value;
    }
    out->push_back({r->id, r->citation.empty() ? message : r->citation + ": " + message});
  }
}

// A finding of a require rule as a violation at the lines of its records.
FilingViolation ToViolation(const Finding& f, const std::map<std::string, std::vector<int>>& lines_of) {
  FilingViolation v;
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
  return v;
}

void Unreadable(ValidationResult* result, int line, std::string message) {
  result->rules.insert(result->rules.begin(), {kReadableRule, "the filing can be read through the ruleset's layout"});
  result->violations.push_back({kReadableRule, line, {}, std::move(message)});
}

// Runs the layout's require rules over the filing and lists what they and the layout find.
Status CheckRecords(const ir::Program& program, const ir::Layout& layout, const std::vector<const ir::Rule*>& rules,
                    const InputSpec& input, ValidationResult* result) {
  result->layout = layout.name;
  ListRules(layout, rules, &result->rules);
  RunOptions options;
  options.layout = layout.name;
  options.threads = 1;
  for (const ir::Rule* r : rules) options.only_rules.push_back(r->id);
  RunResult run;
  if (Status st = Run(program, input, options, &run); !st.ok()) {
    Unreadable(result, LineOf(st.message()), st.message());
    return Status::Ok();
  }
  result->records = run.rows_read;
  if (run.rows_read == 0) {
    Unreadable(result, 1, fmt::format("the filing holds no record of layout {}", layout.name));
    return Status::Ok();
  }
  if (input.format == InputFormat::kXml || (input.format == InputFormat::kAuto && run.input_format == "XML")) {
    if (Status schema = report::CheckFilingSchema(input.path); !schema.ok()) {
      result->rules.insert(result->rules.begin(), {kSchemaRule, "the XML filing is valid against its format's schema"});
      result->violations.push_back({kSchemaRule, LineOf(schema.message()), {}, schema.message()});
    }
  }
  std::vector<std::pair<std::string, std::string>> labels;
  if (Status st = io::RecordLabels(input, program, layout, &labels); !st.ok()) return st;
  std::map<std::string, std::vector<int>> lines_of;
  for (const auto& [id, label] : labels) lines_of[id].push_back(LineOf(label));
  for (const RejectedRow& r : run.rejects) {
    result->violations.push_back({layout.name, LineOf(r.position), {},
                                  r.record_id.empty() ? r.reason : fmt::format("record {}: {}", r.record_id, r.reason)});
  }
  for (const Finding& f : run.findings) result->violations.push_back(ToViolation(f, lines_of));
  return Status::Ok();
}

}  // namespace

Status ValidateFiling(const Library& lib, const ValidateOptions& options, ValidationResult* result) {
  *result = ValidationResult{};
  const ir::Program& program = lib.program();
  RulesByLayout by_layout;
  for (const ir::Rule& r : program.rules) {
    if (r.kind == ir::RuleKind::kRequire) by_layout[r.layout].push_back(&r);
  }
  if (by_layout.empty()) return Status::InvalidArgument("the library has no `require` rules to validate a filing with");
  std::string layout_name, open_error;
  if (Status st = ChooseLayout(program, by_layout, options.input, options.layout, &layout_name, &open_error); !st.ok()) return st;
  Status st = Status::Ok();
  if (layout_name.empty()) {  // the filing does not fit: a finding about the filing, reported like the others
    result->layout = "no layout";
    Unreadable(result, LineOf(open_error), open_error.empty() ? "no layout fits the filing" : open_error);
  } else {
    st = CheckRecords(program, *program.FindLayout(layout_name), by_layout[layout_name], options.input, result);
  }
  std::sort(result->violations.begin(), result->violations.end(), [](const FilingViolation& a, const FilingViolation& b) {
    return std::tie(a.line, a.rule, a.message) < std::tie(b.line, b.rule, b.message);
  });
  return st;
}

}  // namespace decree
