#include "analysis_report.h"

#include "ci_output.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "decree/json.h"

namespace decree::cli {

namespace {

using analysis::Finding;
using analysis::Kind;

const ir::SourceLoc* LocOf(const ir::Program& p, const std::string& id) {
  if (const ir::Rule* r = p.FindRule(id)) return &r->loc;
  for (const ir::Decision& d : p.decisions) {
    if (d.id == id) return &d.loc;
  }
  return nullptr;
}

SourceRange RangeOf(Compilation& c, const ir::SourceLoc* loc) {
  SourceRange r;
  if (loc == nullptr) return r;
  r.file = c.sources().Find(loc->file);
  r.line = loc->line;
  r.col = loc->col;
  r.end_line = loc->line;  // the declaration's first line is enough to point at
  r.end_col = loc->end_line == loc->line ? loc->end_col : loc->col + 4;
  return r;
}

const char* OutcomeName(Replay::Outcome o) {
  switch (o) {
    case Replay::Outcome::kConfirmed: return "confirmed";
    case Replay::Outcome::kDisagrees: return "runtime-disagrees";
    case Replay::Outcome::kNotReplayable: return "not-replayed";
    case Replay::Outcome::kFailed: return "replay-failed";
    case Replay::Outcome::kNone: break;
  }
  return "none";
}

std::string ShowValue(const ir::Program& p, const ir::Value& v) {
  if (v.null) return "null";
  std::string s = ir::ValueToDisplay(v, &p);
  if (v.kind == ir::TypeKind::kText || v.kind == ir::TypeKind::kId || v.kind == ir::TypeKind::kCountry) return JsonQuote(s);
  return s;
}

}  // namespace

const char* KindDescription(Kind k) {
  switch (k) {
    case Kind::kConflict: return "two rules fire on one input with incompatible verdicts and no declared precedence";
    case Kind::kDead: return "a rule no input can make fire";
    case Kind::kRedundant: return "a rule that another rule with the same verdicts always covers";
    case Kind::kShadowed: return "a rule its exemptions or overriding rules always cancel";
    case Kind::kGap: return "an exhaustive decision that leaves an input without an outcome";
    case Kind::kOverlap: return "versions of one rule in effect on the same dates";
  }
  return "";
}

std::string DescribeWitness(const ir::Program& p, const analysis::Witness& w) {
  std::vector<std::string> parts;
  const ir::Layout* layout = p.FindLayout(w.layout);
  for (size_t i = 0; layout != nullptr && i < layout->fields.size() && i < w.record.size(); ++i) {
    parts.push_back(fmt::format("{} = {}", layout->fields[i].name, ShowValue(p, w.record[i])));
  }
  std::string out = fmt::format("{} {{ {} }}", layout != nullptr ? layout->name : w.layout, fmt::join(parts, ", "));
  for (const std::vector<ir::Value>& rec : w.group) {
    std::vector<std::string> more;
    for (size_t i = 0; layout != nullptr && i < layout->fields.size() && i < rec.size(); ++i) {
      more.push_back(fmt::format("{} = {}", layout->fields[i].name, ShowValue(p, rec[i])));
    }
    out += fmt::format(" with {{ {} }}", fmt::join(more, ", "));
  }
  for (const auto& [agg, value] : w.aggregates) out += fmt::format("; {} = {}", agg, value);
  for (const analysis::TableRow& row : w.tables) {
    std::vector<std::string> vals;
    for (const ir::Value& v : row.values) vals.push_back(ShowValue(p, v));
    out += fmt::format("; {} row ({})", row.table, fmt::join(vals, ", "));
  }
  return out;
}

Diagnostic ToDiagnostic(Compilation& c, const Finding& f, const Replay& replay) {
  const ir::Program& p = c.program();
  Diagnostic d;
  d.code = analysis::KindRuleId(f.kind);
  d.severity = f.suppressed || f.unknown ? Severity::kWarning : Severity::kError;
  std::string subject = f.other.empty() || f.other == f.rule ? fmt::format("`{}`", f.rule)
                                                             : fmt::format("`{}` and `{}`", f.rule, f.other);
  d.message = fmt::format("{}{}: {}: {}", f.unknown ? "undecided " : "", analysis::KindName(f.kind), subject, f.message);
  d.range = RangeOf(c, LocOf(p, f.rule));
  if (!f.other.empty() && f.other != f.rule) {
    const ir::Rule* o = p.FindRule(f.other);
    d.Note(RangeOf(c, LocOf(p, f.other)),
           fmt::format("`{}` is declared here{}", f.other, o != nullptr && !o->citation.empty() ? " (" + o->citation + ")" : ""));
  }
  if (const ir::Rule* r = p.FindRule(f.rule); r != nullptr && !r->citation.empty()) d.Note(fmt::format("`{}` cites {}", f.rule, r->citation));
  if (f.has_witness) d.Note("witness: " + DescribeWitness(p, f.witness));
  switch (replay.outcome) {
    case Replay::Outcome::kConfirmed: d.Note("confirmed by evaluation: " + replay.detail); break;
    case Replay::Outcome::kDisagrees:
      d.Note("BUG: the runtime disagrees with the analysis on this witness (" + replay.detail +
             "); please report it with this output");
      break;
    case Replay::Outcome::kNotReplayable:
    case Replay::Outcome::kFailed: d.Note("not confirmed by evaluation: " + replay.detail); break;
    case Replay::Outcome::kNone: break;
  }
  if (f.suppressed) d.Note(fmt::format("suppressed: \"{}\"", f.suppression_reason));
  if (!f.suppressed && !f.unknown) {
    d.Help(fmt::format("if this is intended, say so next to the rule: suppress {}{} because \"…\"", analysis::KindName(f.kind),
                       f.other.empty() || f.other == f.rule ? "" : " with " + f.other.substr(f.other.rfind('.') + 1)));
  }
  return d;
}

void AppendFindingsJson(const ir::Program& p, const std::vector<Finding>& findings, const std::vector<Replay>& replays,
                        const analysis::Stats& stats, std::string* json) {
  JsonWriter w(json);
  w.BeginObject();
  w.Key("stats").BeginObject();
  w.Field("rules", static_cast<int64_t>(stats.rules)).Field("pairs", static_cast<int64_t>(stats.pairs));
  w.Field("pruned", static_cast<int64_t>(stats.pruned)).Field("queries", static_cast<int64_t>(stats.queries));
  w.Field("cached", static_cast<int64_t>(stats.cached)).Field("unknown", static_cast<int64_t>(stats.unknown));
  w.Key("seconds").Raw(fmt::format("{:.3f}", stats.seconds));
  w.EndObject();
  w.Key("findings").BeginArray();
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    w.BeginObject().Field("id", analysis::KindRuleId(f.kind)).Field("kind", analysis::KindName(f.kind)).Field("rule", f.rule);
    if (!f.other.empty()) w.Field("other", f.other);
    w.Field("message", f.message).FieldBool("unknown", f.unknown).FieldBool("suppressed", f.suppressed);
    if (f.suppressed) w.Field("suppression_reason", f.suppression_reason);
    if (const ir::SourceLoc* loc = LocOf(p, f.rule)) {
      w.Field("file", loc->file).Field("line", static_cast<int64_t>(loc->line)).Field("column", static_cast<int64_t>(loc->col));
    }
    if (f.has_witness) {
      w.Key("witness").BeginObject().Field("layout", f.witness.layout);
      const ir::Layout* layout = p.FindLayout(f.witness.layout);
      auto record = [&](const std::vector<ir::Value>& values) {
        w.BeginObject();
        for (size_t k = 0; layout != nullptr && k < layout->fields.size() && k < values.size(); ++k) {
          w.Key(layout->fields[k].name);
          if (values[k].null) {
            w.Null();
          } else {
            w.String(ir::ValueToDisplay(values[k], &p));
          }
        }
        w.EndObject();
      };
      w.Key("record");
      record(f.witness.record);
      if (!f.witness.group.empty()) {
        w.Key("group").BeginArray();
        for (const std::vector<ir::Value>& g : f.witness.group) record(g);
        w.EndArray();
      }
      w.Key("aggregates").BeginObject();
      for (const auto& [agg, value] : f.witness.aggregates) w.Field(agg, value);
      w.EndObject();
      w.EndObject();
    }
    w.Field("evaluation", OutcomeName(replays[i].outcome));
    if (!replays[i].detail.empty()) w.Field("evaluation_detail", replays[i].detail);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

std::string Sarif(Compilation& c, const std::vector<Diagnostic>& diagnostics, const std::vector<Finding>& findings,
                  const std::vector<Replay>& replays) {
  const ir::Program& p = c.program();
  std::vector<SarifRule> rules;
  std::set<std::string> codes;
  for (const Diagnostic& d : diagnostics) codes.insert(d.code);
  for (const std::string& code : codes) rules.push_back({code, "", "a Decree compile error"});
  static const Kind kKinds[] = {Kind::kConflict, Kind::kDead, Kind::kRedundant, Kind::kShadowed, Kind::kGap, Kind::kOverlap};
  for (Kind k : kKinds) rules.push_back({analysis::KindRuleId(k), analysis::KindName(k), KindDescription(k)});
  auto location = [&](const SourceRange& r) {
    return SarifLocation{r.file >= 0 ? c.sources().file(r.file).path() : "", static_cast<int>(r.line), static_cast<int>(r.col),
                         static_cast<int>(r.end_line > 0 ? r.end_line : r.line),
                         static_cast<int>(r.end_col > 0 ? r.end_col : r.col + 1)};
  };
  std::vector<SarifResult> results;
  for (const Diagnostic& d : diagnostics) {
    SarifResult res;
    res.rule_id = d.code;
    res.level = d.severity == Severity::kError ? "error" : "warning";
    res.message = d.message;
    if (d.range.valid()) res.locations.push_back(location(d.range));
    results.push_back(std::move(res));
  }
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    Diagnostic d = ToDiagnostic(c, f, replays[i]);
    SarifResult res;
    res.rule_id = analysis::KindRuleId(f.kind);
    res.level = f.unknown ? "warning" : "error";
    res.message = d.message;
    for (const DiagnosticNote& n : d.notes) res.message += "\n" + n.message;
    if (d.range.valid()) res.locations.push_back(location(d.range));
    if (!f.other.empty() && f.other != f.rule) {
      SourceRange other = RangeOf(c, LocOf(p, f.other));
      if (other.valid()) res.related.push_back(location(other));
    }
    if (f.suppressed) res.suppression = f.suppression_reason;
    results.push_back(std::move(res));
  }
  return SarifLog(rules, results);
}

}  // namespace decree::cli
