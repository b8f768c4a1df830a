// Rules, exemptions, decision blocks, and the links between them.
#include <fmt/format.h>

#include <algorithm>

#include "common/codes.h"
#include "sema/sema_internal.h"

namespace decree::sema {

using ir::Type;
using ir::TypeKind;

namespace {

bool Bad(const ir::ExprPtr& e) { return !e || e->type.is_error(); }

std::string DefaultKeyName(const ast::Expr& e, size_t index) {
  switch (e.kind) {
    case ast::ExprKind::kMember:
    case ast::ExprKind::kCall:
    case ast::ExprKind::kName: return e.text;
    case ast::ExprKind::kParen: return DefaultKeyName(*e.args[0], index);
    default: return fmt::format("key{}", index + 1);
  }
}

const char* kSuppressible[] = {"conflict", "dead", "redundant", "shadowed", "gap", "overlap"};

}  // namespace

namespace {

struct RuleContext {
  Sema* s;
  int module;
  int layout = -1;
  Env row;
};

// Resolves `for <Layout> <var> [where …]` into the rule and a row environment.
bool ResolveFor(Sema* s, int module, const ast::ForClause& f, ir::Rule* r, RuleContext* c) {
  c->s = s;
  c->module = module;
  c->layout = s->FindLayout(module, f.layout.name);
  if (c->layout < 0) {
    Diagnostic& d = s->diags_->Error("E0204", f.layout.range, fmt::format("unknown layout `{}`", f.layout.name));
    std::vector<std::string> names;
    for (const auto& [n, i] : s->scopes_[module].layouts) names.push_back(n);
    for (int imp : s->scopes_[module].imports) {
      for (const auto& [n, i] : s->scopes_[imp].layouts) names.push_back(n);
    }
    if (names.empty()) {
      d.Help("declare a layout, or `import decree.canonical` for the canonical transaction layout");
    } else {
      d.Help(fmt::format("layouts in scope: {}", fmt::join(names, ", ")));
    }
    return false;
  }
  r->layout = s->p_->layouts[c->layout].name;
  r->var = f.var.name;
  c->row.level = Level::kRow;
  c->row.module = module;
  c->row.ruleset_module = module;
  c->row.layout = c->layout;
  c->row.var = f.var.name;
  if (f.where) {
    r->where = s->CheckBool(*f.where, c->row, "a `where` clause");
    if (Bad(r->where)) return false;
    s->AddFacts(*r->where, &c->row);
  }
  return true;
}

bool ResolveVerdict(Sema* s, int module, const ast::Verdict& v, ir::Verdict* out) {
  switch (v.kind) {
    case ast::Verdict::Kind::kReport:
      out->kind = ir::VerdictKind::kReport;
      out->name = v.name.name;
      if (v.within) {
        if (v.unit.name != "days" && v.unit.name != "day") {
          s->diags_->Error("E0403", v.unit.range, fmt::format("a report is due within a number of days, not `{}`", v.unit.name))
              .Help("write `within 5 business days` or `within 15 days`");
          return false;
        }
        if (v.within->size() > 5) {
          s->diags_->Error("E0403", v.within_range, "due period too long");
          return false;
        }
        out->within = std::stoi(*v.within);
        out->business = v.business;
        if (v.calendar) {
          if (!v.business) {
            s->diags_->Error("E0403", v.calendar->range, "a holiday calendar applies to business days");
            return false;
          }
          int t = s->FindTable(module, v.calendar->name);
          if (t < 0) {
            s->diags_->Error("E0205", v.calendar->range, fmt::format("unknown table `{}`", v.calendar->name));
            return false;
          }
          const ir::TableDecl& table = s->p_->tables[t];
          // Keyed by date; `working: bool` (a listed date is a day off unless true), and any
          // text columns (the notice a date comes from, the holiday's name).
          bool ok = table.keys.size() == 1 && table.keys[0].type.kind == TypeKind::kDate;
          for (const ir::Field& f : table.values) {
            bool working = f.name == "working" && f.type.kind == TypeKind::kBool && !f.type.optional;
            ok = ok && (working || f.type.kind == TypeKind::kText);
          }
          if (!ok) {
            s->diags_->Error("E0302", v.calendar->range, fmt::format("table {} is not a working-day calendar", v.calendar->name))
                .Help("a calendar is `table holidays key (date: date)` (listed dates are days off), optionally with "
                      "`value working: bool` (true marks a make-up working day) and text columns (e.g. `source: text`)");
            return false;
          }
          out->calendar = table.name;
        }
      }
      return true;
    case ast::Verdict::Kind::kFlag:
      out->kind = ir::VerdictKind::kFlag;
      out->name = v.name.name;
      if (v.message) out->value = *v.message;
      return true;
    case ast::Verdict::Kind::kBlock: out->kind = ir::VerdictKind::kBlock; return true;
    case ast::Verdict::Kind::kAllow: out->kind = ir::VerdictKind::kAllow; return true;
    case ast::Verdict::Kind::kClassify:
      out->kind = ir::VerdictKind::kClassify;
      out->name = v.name.name;
      out->value = v.value.name;
      return true;
  }
  return false;
}

bool ResolveSuppressions(Sema* s, const std::vector<ast::Suppress>& in, ir::Rule* r) {
  bool ok = true;
  for (const ast::Suppress& x : in) {
    if (std::find(std::begin(kSuppressible), std::end(kSuppressible), x.kind.name) == std::end(kSuppressible)) {
      s->diags_->Error("E0408", x.kind.range, fmt::format("cannot suppress `{}`", x.kind.name))
          .Help("analysis findings are: conflict, dead, redundant, shadowed, gap, overlap");
      ok = false;
      continue;
    }
    if (x.reason.empty()) {
      s->diags_->Error("E0408", x.range, "a suppression needs a reason");
      ok = false;
      continue;
    }
    ir::Suppression sup;
    sup.kind = x.kind.name;
    sup.other = x.other ? x.other->name : "";
    sup.reason = x.reason;
    sup.loc = s->Loc(x.range);
    r->suppressions.push_back(std::move(sup));
  }
  return ok;
}

void Effective(Sema* s, int module, const std::optional<ast::Effective>& e, int layout, const SourceRange& decl,
               ir::Rule* r) {
  const ModuleScope& scope = s->scopes_[module];
  r->effective_from = scope.effective_from;
  r->effective_until = scope.effective_until;
  if (e) {
    int32_t from = ir::kNoDate, until = ir::kNoDate;
    s->ParseDateLiteral(e->from, e->from_range, &from);
    if (e->until) s->ParseDateLiteral(*e->until, e->until_range, &until);
    if (from != ir::kNoDate && until != ir::kNoDate && until < from) {
      s->diags_->Error("E0402", e->range, "`until` is before `effective`");
    }
    if (from != ir::kNoDate && (r->effective_from == ir::kNoDate || from > r->effective_from)) r->effective_from = from;
    if (until != ir::kNoDate && (r->effective_until == ir::kNoDate || until < r->effective_until)) r->effective_until = until;
    if (scope.effective_from != ir::kNoDate && until != ir::kNoDate && until < scope.effective_from) {
      s->diags_->Warning("W0401", e->range, "this rule ends before its ruleset takes effect");
    }
  }
  if ((r->effective_from != ir::kNoDate || r->effective_until != ir::kNoDate) && layout >= 0 &&
      s->p_->layouts[layout].time_field < 0) {
    s->diags_->Error("E0404", e ? e->range : decl,
                     fmt::format("layout {} has no time field, so effective dates cannot apply", s->p_->layouts[layout].name));
  }
}

}  // namespace

bool Sema::ResolveFlow(int module, const ast::FlowDecl& f, ir::Rule* r, Env* row) {
  RuleContext c;
  if (!ResolveFor(this, module, f.for_clause, r, &c)) return false;
  *row = c.row;
  return CheckFlowFields(f, *row, r);
}

void Sema::CheckRule(int module, const ast::RuleDecl& d, int version) {
  ir::Rule r;
  r.name = d.name.name;
  r.id = Qualify(module, d.name.name);
  r.ruleset = scopes_[module].id;
  r.version = version;
  if (d.citation) r.citation = d.citation->value;
  r.loc = Loc(d.range);
  r.source_text = SourceText(d.range);
  RuleContext c;
  if (d.path) {
    int owner = module;
    const ast::FlowDecl* flow = FindFlow(module, d.path->flow.name, &owner);
    if (flow == nullptr) {
      std::vector<std::string> names;
      for (const auto& [n, f] : scopes_[module].flows) names.push_back(n);
      diags_->Error("E0204", d.path->flow.range, fmt::format("unknown flow `{}`", d.path->flow.name))
          .Help(names.empty() ? "declare one: `flow transfers for Transaction t where … from t.account_id to "
                                "t.counterparty_account at t.booked_at amount t.amount`"
                              : fmt::format("flows in scope: {}", fmt::join(names, ", ")));
      return;
    }
    if (!flow_ok_[flow] || !ResolveFlow(owner, *flow, &r, &c.row)) return;  // its errors are reported once
    r.path.flow = Qualify(owner, flow->name.name);
    c.s = this;
    c.module = module;
    c.layout = static_cast<int>(p_->FindLayout(r.layout) - p_->layouts.data());
  } else if (!ResolveFor(this, module, d.for_clause, &r, &c)) {
    return;
  }
  Effective(this, module, d.effective, c.layout, d.range, &r);
  const ir::Layout& layout = p_->layouts[c.layout];
  bool ok = true;
  if (d.path) ok = CheckPathRule(module, d, c.row, &r);

  std::vector<const ast::Expr*> key_asts;
  std::set<std::string> key_names;
  for (size_t i = 0; i < d.per.size(); ++i) {
    const ast::KeyExpr& k = d.per[i];
    ir::ExprPtr x = Check(*k.expr, c.row, nullptr);
    if (Bad(x)) {
      ok = false;
      continue;
    }
    TypeKind kind = x->type.kind;
    if (kind == TypeKind::kMoney || kind == TypeKind::kRecord || kind == TypeKind::kSet || kind == TypeKind::kRatio ||
        kind == TypeKind::kDecimal || kind == TypeKind::kRate) {
      diags_->Error("E0301", k.expr->range, fmt::format("cannot group by {}", TypeName(x->type)))
          .Help("group by ids, codes, enums, dates or booleans");
      ok = false;
      continue;
    }
    ir::Key key;
    key.name = k.alias ? k.alias->name : DefaultKeyName(*k.expr, i);
    if (!key_names.insert(key.name).second) {
      diags_->Error("E0202", k.alias ? k.alias->range : k.expr->range, fmt::format("two keys are called `{}`", key.name))
          .Help("rename one with `as`");
      ok = false;
      continue;
    }
    key.expr = std::move(x);
    r.keys.push_back(std::move(key));
    key_asts.push_back(k.expr.get());
  }

  if (d.window) {
    ir::Value v;
    Type t;
    Type hint = Type::Of(TypeKind::kDuration);
    if (EvalConst(*d.window, c.row, &hint, &v, &t)) {
      if (t.kind != TypeKind::kDuration || v.null || v.i <= 0) {
        diags_->Error("E0301", d.window->range, "a sliding window is a positive duration, e.g. 24 hours");
        ok = false;
      } else {
        r.has_window = true;
        r.window.duration_us = v.i;
      }
    } else {
      ok = false;
    }
    if (layout.time_field < 0) {
      diags_->Error("E0404", d.window->range, fmt::format("layout {} has no time field for a sliding window", layout.name))
          .Help("declare one: `layout … time booked_at { … }`");
      ok = false;
    }
    if (d.anchor) {
      r.window.anchor = CheckBool(*d.anchor, c.row, "a window anchor");
      if (Bad(r.window.anchor)) ok = false;
    }
  }
  bool grouped = !d.per.empty() || d.window;
  if (!d.path) r.kind = d.window ? ir::RuleKind::kWindow : grouped ? ir::RuleKind::kGroup : ir::RuleKind::kRow;

  for (const auto* list : {&d.unless_before, &d.unless_after}) {
    for (const ast::ExprPtr& u : *list) {
      if (d.path) break;  // refused in CheckPathRule
      ir::ExprPtr x = CheckBool(*u, c.row, "an `unless` clause");
      if (Bad(x)) {
        ok = false;
      } else {
        r.unless.push_back(std::move(x));
      }
    }
  }

  const ast::Expr* guard = d.require ? d.require.get() : d.when.get();
  if (guard != nullptr && !d.path) {
    const char* what = d.require ? "a `require` clause" : "a `when` clause";
    if (grouped) {
      Env group = c.row;
      group.level = Level::kGroup;
      group.rule = &r;
      r.when = CheckWithKeys(*this, *guard, group, key_asts, what);
    } else {
      r.when = CheckBool(*guard, c.row, what);
    }
    if (Bad(r.when)) ok = false;
  }
  if (d.require && !d.path) {
    r.kind = ir::RuleKind::kRequire;
    ir::Verdict v;
    v.kind = ir::VerdictKind::kError;
    v.name = "invalid";
    v.value = d.require_message ? d.require_message->value : SourceText(d.require->range);
    r.verdicts.push_back(std::move(v));
  }
  for (const ast::Verdict& v : d.verdicts) {
    ir::Verdict out;
    if (ResolveVerdict(this, module, v, &out)) {
      r.verdicts.push_back(std::move(out));
    } else {
      ok = false;
    }
  }
  if (r.kind != ir::RuleKind::kRow && layout.id_field < 0) {
    diags_->Error("E0404", d.path ? d.path->flow.range : d.for_clause.layout.range,
                  fmt::format("layout {} has no key field, so findings cannot list their records", layout.name))
        .Help("declare one: `layout … key txn_id { … }`");
    ok = false;
  }
  ok &= ResolveSuppressions(this, d.suppressions, &r);
  if (!d.overrides.empty()) overrides_.push_back(PendingLink{module, r.id, d.overrides});
  if (ok) p_->rules.push_back(std::move(r));
}

void Sema::CheckExempt(int module, const ast::ExemptDecl& d) {
  ir::Rule r;
  r.name = d.name.name;
  r.id = Qualify(module, d.name.name);
  r.ruleset = scopes_[module].id;
  r.kind = ir::RuleKind::kExempt;
  if (d.citation) r.citation = d.citation->value;
  r.loc = Loc(d.range);
  r.source_text = SourceText(d.range);
  RuleContext c;
  if (!ResolveFor(this, module, d.for_clause, &r, &c)) return;
  Effective(this, module, std::nullopt, c.layout, d.range, &r);
  bool ok = true;
  if (d.when) {
    r.when = CheckBool(*d.when, c.row, "an exemption's `when`");
    ok = !Bad(r.when);
  }
  ok &= ResolveSuppressions(this, d.suppressions, &r);
  if (!d.applies_to.empty()) {
    applies_.push_back(PendingLink{module, r.id, d.applies_to});
    exempt_ids_with_explicit_scope_.insert(r.id);
  }
  if (!d.overrides.empty()) {
    diags_->Error("E0405", d.overrides.front().range, "an exemption takes precedence by itself; use `applies to` to scope it");
    ok = false;
  }
  if (ok) p_->rules.push_back(std::move(r));
}

void Sema::CheckDecide(int module, const ast::DecideDecl& d, int version) {
  ir::Decision dec;
  dec.id = Qualify(module, d.name.name);
  dec.name = d.name.name;
  dec.ruleset = scopes_[module].id;
  if (d.citation) dec.citation = d.citation->value;
  dec.exhaustive = d.exhaustive;
  dec.loc = Loc(d.range);
  std::vector<ir::ExprPtr> earlier;  // guards of earlier cases: the first matching case decides
  std::set<std::string> names;
  bool ok = true;
  for (const ast::DecideCase& dc : d.cases) {
    ir::Rule r;
    r.name = d.name.name + "." + dc.name.name;
    r.id = Qualify(module, r.name);
    r.ruleset = scopes_[module].id;
    r.kind = ir::RuleKind::kRow;
    r.citation = dec.citation;
    r.loc = Loc(dc.range);
    r.source_text = SourceText(dc.range);
    r.decision = dec.id;
    r.version = version;
    if (!names.insert(dc.name.name).second) {
      diags_->Error("E0202", dc.name.range, fmt::format("case `{}` is declared twice", dc.name.name));
      ok = false;
      continue;
    }
    RuleContext c;
    if (!ResolveFor(this, module, d.for_clause, &r, &c)) return;
    dec.layout = r.layout;
    Effective(this, module, d.effective, c.layout, dc.range, &r);
    if (dc.when) {
      r.when = CheckBool(*dc.when, c.row, "a case's `when`");
      if (Bad(r.when)) {
        ok = false;
        continue;
      }
    }
    for (const ir::ExprPtr& e : earlier) r.unless.push_back(e->Clone());
    if (r.when) {
      earlier.push_back(r.when->Clone());
    } else {
      earlier.push_back(ir::MakeConst(ir::Value::Bool(true), Type::Of(TypeKind::kBool)));
    }
    for (const ast::Verdict& v : dc.verdicts) {
      ir::Verdict out;
      if (ResolveVerdict(this, module, v, &out)) {
        r.verdicts.push_back(std::move(out));
      } else {
        ok = false;
      }
    }
    ok &= ResolveSuppressions(this, d.suppressions, &r);
    if (!d.overrides.empty()) overrides_.push_back(PendingLink{module, r.id, d.overrides});
    dec.branches.push_back(r.id);
    if (ok) p_->rules.push_back(std::move(r));
  }
  if (ok) p_->decisions.push_back(std::move(dec));
}

void Sema::LinkRules() {
  auto resolve = [&](int module, const ast::Ident& name, std::vector<std::string>* out) {
    auto it = scopes_[module].rule_ids.find(name.name);
    if (it != scopes_[module].rule_ids.end()) {
      *out = it->second;
      return true;
    }
    // A qualified id of another ruleset.
    if (p_->FindRule(name.name) != nullptr) {
      *out = {name.name};
      return true;
    }
    diags_->Error("E0206", name.range, fmt::format("unknown rule `{}`", name.name));
    return false;
  };
  auto rules_with_id = [&](const std::string& id) {
    std::vector<ir::Rule*> out;
    for (ir::Rule& r : p_->rules) {
      if (r.id == id) out.push_back(&r);
    }
    return out;
  };
  for (const PendingLink& link : overrides_) {
    for (ir::Rule* winner : rules_with_id(link.rule_id)) {
      for (const ast::Ident& n : link.names) {
        std::vector<std::string> ids;
        if (!resolve(link.module, n, &ids)) continue;
        for (const std::string& id : ids) {
          for (ir::Rule* loser : rules_with_id(id)) {
            if (loser == winner) {
              diags_->Error("E0405", n.range, "a rule cannot override itself");
              continue;
            }
            if (loser->layout != winner->layout || winner->kind != ir::RuleKind::kRow || loser->kind != ir::RuleKind::kRow) {
              diags_->Error("E0405", n.range,
                            fmt::format("`overrides` links row rules over the same layout; {} and {} are not", winner->id, loser->id));
              continue;
            }
            if (std::find(winner->overrides.begin(), winner->overrides.end(), id) == winner->overrides.end()) {
              winner->overrides.push_back(id);
            }
          }
        }
      }
    }
  }
  // Exemptions: an explicit `applies to` list, or every other rule of the ruleset over the
  // same layout.
  for (ir::Rule& ex : p_->rules) {
    if (ex.kind != ir::RuleKind::kExempt) continue;
    std::vector<std::string> targets;
    if (exempt_ids_with_explicit_scope_.count(ex.id) > 0) {
      for (const PendingLink& link : applies_) {
        if (link.rule_id != ex.id) continue;
        for (const ast::Ident& n : link.names) {
          std::vector<std::string> ids;
          if (!resolve(link.module, n, &ids)) continue;
          for (const std::string& id : ids) {
            for (ir::Rule* t : rules_with_id(id)) {
              if (t->layout != ex.layout || t->kind == ir::RuleKind::kExempt) {
                diags_->Error("E0405", n.range, fmt::format("exemption {} cannot apply to {}", ex.id, id));
                continue;
              }
              targets.push_back(id);
            }
          }
        }
      }
    } else {
      for (const ir::Rule& t : p_->rules) {
        if (t.ruleset == ex.ruleset && t.layout == ex.layout && t.kind != ir::RuleKind::kExempt) targets.push_back(t.id);
      }
    }
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    ex.applies_to = targets;
  }
  for (const ir::Rule& ex : p_->rules) {
    if (ex.kind != ir::RuleKind::kExempt) continue;
    for (const std::string& id : ex.applies_to) {
      for (ir::Rule& t : p_->rules) {
        if (t.id == id && std::find(t.exempted_by.begin(), t.exempted_by.end(), ex.id) == t.exempted_by.end()) {
          t.exempted_by.push_back(ex.id);
        }
      }
    }
  }
}

}  // namespace decree::sema
