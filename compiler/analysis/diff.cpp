// decree diff: which rules changed meaning between two versions of a library.
#include <fmt/format.h>

#include <map>

#include "analysis/analysis.h"
#include "analysis/encoder.h"

namespace decree::analysis {

namespace {

// The verdicts as a reader would write them: `flag review`, `report large_value within 5 business days`.
std::string VerdictText(const ir::Rule& r) {
  std::string s;
  for (const ir::Verdict& v : r.verdicts) {
    if (!s.empty()) s += ", ";
    s += ir::VerdictKindName(v.kind);
    if (!v.name.empty()) s += " " + v.name;
    if (!v.value.empty()) s += fmt::format(" \"{}\"", v.value);
    if (v.within >= 0) s += fmt::format(" within {} {}days", v.within, v.business ? "business " : "");
    if (!v.calendar.empty()) s += " using " + v.calendar;
  }
  return s;
}

}  // namespace

Status Diff(const ir::Program& old_program, const ir::Program& new_program, const Options& options,
            std::vector<Difference>* out) {
  out->clear();
  try {
    z3::context ctx;
    // The two versions read the same record and the same data (see Encoder's `share_with`).
    Encoder eo(ctx, old_program, "old.");
    Encoder en(ctx, new_program, "new.", &eo);
    // One solver for every rule: each encoder's background asserted once, queries in push/pop.
    z3::solver s(ctx);
    z3::params params(ctx);
    params.set("timeout", static_cast<unsigned>(options.timeout_ms));
    s.set(params);
    unsigned asserted_old = 0, asserted_new = 0;
    std::map<std::string, std::pair<const ir::Rule*, const ir::Rule*>> rules;
    for (const ir::Rule& r : old_program.rules) {
      if (r.kind != ir::RuleKind::kExempt) rules[r.id + "#" + std::to_string(r.version)].first = &r;
    }
    for (const ir::Rule& r : new_program.rules) {
      if (r.kind != ir::RuleKind::kExempt) rules[r.id + "#" + std::to_string(r.version)].second = &r;
    }
    for (const auto& [key, pair] : rules) {
      const auto [o, n] = pair;
      Difference d;
      d.rule = (o != nullptr ? o : n)->id;
      if (o == nullptr || n == nullptr) {
        d.change = o == nullptr ? "added" : "removed";
        out->push_back(std::move(d));
        continue;
      }
      const ir::Layout* lo = old_program.FindLayout(o->layout);
      const ir::Layout* ln = new_program.FindLayout(n->layout);
      if (lo == nullptr || ln == nullptr || o->layout != n->layout || lo->fields.size() != ln->fields.size()) {
        d.change = "reads another layout";
        out->push_back(std::move(d));
        continue;
      }
      z3::expr fo = eo.Fires(*o), fn = en.Fires(*n);
      auto check = [&](const z3::expr& q, z3::model* m) {
        eo.CatchUp(s, &asserted_old);
        en.CatchUp(s, &asserted_new);
        s.push();
        s.add(q);
        z3::check_result r = s.check();
        if (r == z3::sat) *m = en.NiceModel(s, *ln);
        s.pop();
        return r;
      };
      z3::model more(ctx), fewer(ctx);
      z3::check_result gained = check(fn && !fo, &more);
      z3::check_result lost = check(fo && !fn, &fewer);
      bool verdicts_changed = VerdictText(*o) != VerdictText(*n);
      if (gained == z3::unknown || lost == z3::unknown) {
        d.change = "could not be compared (solver timeout)";
        d.unknown = true;
        out->push_back(std::move(d));
        continue;
      }
      if (gained == z3::unsat && lost == z3::unsat && !verdicts_changed) continue;  // same meaning
      const z3::model* m = nullptr;
      if (gained == z3::sat && lost == z3::sat) {
        d.change = "fires on different inputs";
        m = &more;
      } else if (gained == z3::sat) {
        d.change = "fires on more inputs";
        m = &more;
      } else if (lost == z3::sat) {
        d.change = "fires on fewer inputs";
        m = &fewer;
      } else {
        d.change = fmt::format("same inputs, different verdicts: `{}` was `{}`", VerdictText(*n), VerdictText(*o));
        z3::model any(ctx);
        if (check(fn, &any) == z3::sat) {
          d.has_witness = true;
          d.witness = en.Extract(any, *ln, {n});
          d.old_fires = d.new_fires = true;
        }
        out->push_back(std::move(d));
        continue;
      }
      if (verdicts_changed) d.change += fmt::format(", and its verdicts changed: `{}` was `{}`", VerdictText(*n), VerdictText(*o));
      d.has_witness = true;
      d.witness = en.Extract(*m, *ln, {n});
      d.old_fires = m->eval(fo, true).is_true();
      d.new_fires = m->eval(fn, true).is_true();
      out->push_back(std::move(d));
    }
  } catch (const z3::exception& e) {
    return Status::Internal(fmt::format("decree diff: Z3: {}", e.msg()));
  }
  return Status::Ok();
}

}  // namespace decree::analysis
