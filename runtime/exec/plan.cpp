// What a run knows before it reads a row: the rules of the layout with their time zones,
// effective periods, exemptions, overrides and shared fund-flow hops (exec/run_plan.h).
#include <fmt/format.h>

#include <map>
#include <set>

#include "exec/run_plan.h"
#include "ir/ir_codec.h"
#include "ir/sexpr.h"

namespace decree::exec {

namespace {

void TablesOf(const ir::Program& p, const ir::Rule& r, std::set<int>* out) {
  ir::ForEachExpr(r, [&](const ir::Expr& e, const ir::Expr*) {
    if (e.op == ir::Op::kConvert || e.op == ir::Op::kLookup || e.op == ir::Op::kInTable) out->insert(e.index);
  });
  for (const ir::Verdict& v : r.verdicts) {
    if (!v.calendar.empty()) out->insert(p.TableIndex(v.calendar));
  }
}

// Path rules over the same hops (flow filter and fields, period, exemptions) read one
// collection and one index.
void SharePathHops(Plan* p) {
  Plan& plan = *p;
  std::map<std::string, int> first;
  for (size_t i = 0; i < plan.rules.size(); ++i) {
    RuleInfo& info = plan.rules[i];
    if (!info.path) continue;
    const ir::Rule& r = *info.rule;
    std::string key = fmt::format("{}|{}|{}|", r.effective_from, r.effective_until, r.where ? PrintSExpr(ir::EncodeExpr(*r.where)) : "");
    for (const ir::Key& k : r.keys) key += PrintSExpr(ir::EncodeExpr(*k.expr)) + "|";
    for (const std::string& e : r.exempted_by) key += e + ",";
    info.hops_of = first.emplace(key, static_cast<int>(i)).first->second;
  }
}

}  // namespace

Status MakeRunPlan(const ir::Program& program, const ir::Layout& layout_ref, const Tables& tables, const RunOptions& options,
                   Plan* plan_out, RunResult* result) {
  Plan& plan = *plan_out;
  const ir::Layout* layout = &layout_ref;
  plan.program = &program;
  plan.layout = layout;
  for (const std::string& id : options.skip_rules) {
    if (program.FindRule(id) == nullptr) return Status::InvalidArgument(fmt::format("no rule {} to skip in the library", id));
  }
  plan.keep_findings = options.findings_path.empty();
  *result = RunResult();
  result->layout = layout->name;
  std::map<std::string, int> index_of;
  std::set<int> needed_tables;
  for (const ir::Rule& r : program.rules) {
    if (r.layout != layout->name) {
      if (r.kind != ir::RuleKind::kExempt) result->skipped_rules.push_back(r.id);
      continue;
    }
    if (!options.only_rules.empty() && r.kind != ir::RuleKind::kExempt &&
        std::find(options.only_rules.begin(), options.only_rules.end(), r.id) == options.only_rules.end()) {
      continue;
    }
    if (std::find(options.skip_rules.begin(), options.skip_rules.end(), r.id) != options.skip_rules.end()) continue;
    RuleInfo info;
    info.rule = &r;
    const ir::RulesetInfo* rs = program.FindRuleset(r.ruleset);
    info.ruleset_version = rs != nullptr ? rs->version : "";
    Status st = TimeZone::Load(rs != nullptr ? rs->timezone : "UTC", &info.tz);
    if (!st.ok()) return st;
    for (const ir::Key& k : r.keys) info.key_types.push_back(k.expr->type);
    info.aggs = AggSpecs(r);
    constexpr int64_t kMargin = 2 * kMicrosPerDay;  // more than any UTC offset
    if (r.effective_from != ir::kNoDate) {
      int64_t start = info.tz->DayStart(r.effective_from);
      info.drop_before = start - kMargin;
      info.keep_from = start + kMargin;
    }
    if (r.effective_until != ir::kNoDate) {
      int64_t end = info.tz->DayStart(r.effective_until + 1);
      info.keep_until = end - kMargin;
      info.drop_from = end + kMargin;
    }
    info.grouped = r.kind == ir::RuleKind::kGroup || r.kind == ir::RuleKind::kWindow || (r.kind == ir::RuleKind::kRequire && !r.keys.empty());
    info.path = r.kind == ir::RuleKind::kPath;
    if ((info.grouped || NeedsEffective(r)) && layout->time_field < 0 && r.kind == ir::RuleKind::kWindow) {
      return Status::InvalidArgument(fmt::format("rule {} needs the time field of layout {}", r.id, layout->name));
    }
    TablesOf(program, r, &needed_tables);
    if (r.kind == ir::RuleKind::kExempt) {
      index_of["exempt:" + r.id] = static_cast<int>(plan.exempts.size());
      plan.exempts.push_back(std::move(info));
    } else {
      index_of[r.id + "#" + std::to_string(r.version)] = static_cast<int>(plan.rules.size());
      plan.rules.push_back(std::move(info));
    }
  }
  for (RuleInfo& info : plan.rules) {
    for (const std::string& e : info.rule->exempted_by) {
      auto it = index_of.find("exempt:" + e);
      if (it != index_of.end()) info.exempts.push_back(it->second);
    }
    for (const std::string& o : info.rule->overrides) {
      for (size_t j = 0; j < plan.rules.size(); ++j) {
        if (plan.rules[j].rule->id == o) info.overrides.push_back(static_cast<int>(j));
      }
    }
    result->rules.push_back(info.rule->id);
  }
  SharePathHops(&plan);
  for (int t : needed_tables) {
    if (t >= 0 && tables.Get(t) == nullptr) {
      const std::string& q = program.tables[t].name;
      return Status::MissingInput(fmt::format("the rules need table {} (short name {}); no file was given for it", q, q.substr(q.rfind('.') + 1)));
    }
  }
  for (size_t f = 0; f < layout->fields.size(); ++f) {
    if (layout->fields[f].type.kind == ir::TypeKind::kTimestamp) plan.time_fields.push_back(static_cast<int>(f));
  }
  for (const RuleInfo& info : plan.rules) {
    plan.min_instant = std::max(plan.min_instant, info.tz->DayStart(DaysFromCivil(1, 1, 1)));
    plan.max_instant = std::min(plan.max_instant, info.tz->DayStart(DaysFromCivil(10000, 1, 1)));
  }
  for (const RuleInfo& info : plan.exempts) {
    plan.min_instant = std::max(plan.min_instant, info.tz->DayStart(DaysFromCivil(1, 1, 1)));
    plan.max_instant = std::min(plan.max_instant, info.tz->DayStart(DaysFromCivil(10000, 1, 1)));
  }
  plan.tables = &tables;
  plan.env.program = &program;
  plan.env.tables = &tables;
  plan.env.scalar = &tables;
  return Status::Ok();
}

}  // namespace decree::exec
