// Fund flows and path rules: a flow's fields (which record pays, which receives, when, how
// much), a path rule's options, and its `when` over the path.
#include <fmt/format.h>

#include "common/decimal.h"
#include "sema/sema_internal.h"

namespace decree::sema {

using ir::Type;
using ir::TypeKind;

namespace {

bool Bad(const ir::ExprPtr& e) { return !e || e->type.is_error(); }

// A constant ratio (80%, 0.8, 1) as a decimal value.
bool RatioConst(Sema* s, const ast::Expr& e, Env& row, ir::Value* out) {
  ir::Value v;
  Type t;
  if (!s->EvalConst(e, row, nullptr, &v, &t)) return false;
  if (v.null || (t.kind != TypeKind::kDecimal && t.kind != TypeKind::kInteger)) {
    s->diags_->Error("E0301", e.range, fmt::format("a hop's amount is bounded by ratios such as 80% or 1, not {}", s->TypeName(t)));
    return false;
  }
  *out = t.kind == TypeKind::kInteger ? ir::Value::Decimal(v.i, 0) : v;
  if (out->m < 0) {
    s->diags_->Error("E0301", e.range, "a ratio of amounts is not negative");
    return false;
  }
  return true;
}

}  // namespace

bool Sema::CheckFlowFields(const ast::FlowDecl& flow, Env& row, ir::Rule* r) {
  struct Part {
    const char* name;
    const ast::ExprPtr& expr;
  };
  const Part parts[] = {{"from", flow.from}, {"to", flow.to}, {"at", flow.at}, {"amount", flow.amount}};
  bool ok = true;
  r->keys.clear();
  for (const Part& part : parts) {
    ir::ExprPtr x = Check(*part.expr, row, nullptr);
    if (Bad(x)) {
      ok = false;
      continue;
    }
    r->keys.push_back(ir::Key{part.name, std::move(x)});
  }
  if (!ok) return false;
  const Type& from = r->keys[ir::kPathFrom].expr->type;
  const Type& to = r->keys[ir::kPathTo].expr->type;
  if (!from.is_textual()) {
    diags_->Error("E0301", flow.from->range, fmt::format("an account is an id or text, not {}", TypeName(from)));
    return false;
  }
  if (from.kind != to.kind) {
    diags_->Error("E0301", SourceRange::Join(flow.from->range, flow.to->range),
                  fmt::format("a flow links `to` of one hop with `from` of the next, so they have one type: this is {} to {}",
                              TypeName(from), TypeName(to)))
        .Help("link two fields of the same type (both text, or both id)");
    return false;
  }
  if (r->keys[ir::kPathAt].expr->type.kind != TypeKind::kTimestamp) {
    diags_->Error("E0301", flow.at->range,
                  fmt::format("a hop happens at a timestamp, not {}", TypeName(r->keys[ir::kPathAt].expr->type)));
    return false;
  }
  if (r->keys[ir::kPathAmount].expr->type.kind != TypeKind::kMoney) {
    diags_->Error("E0301", flow.amount->range,
                  fmt::format("a hop moves an amount of money, not {}", TypeName(r->keys[ir::kPathAmount].expr->type)));
    return false;
  }
  if (r->keys[ir::kPathAmount].expr->type.currency == ir::kDynamicCurrency) {
    diags_->Error("E0303", flow.amount->range, "a flow compares amounts hop to hop, so they need one currency")
        .Help("fix it in the flow's `where`, e.g. `t.amount.currency = CNY`");
    return false;
  }
  return true;
}

bool Sema::CheckPath(int module, const ast::PathClause& path, ir::Rule* r) {
  ir::PathSpec& spec = r->path;
  bool ok = true;
  Env c;  // the constants the options name
  c.module = c.ruleset_module = module;
  if (!path.min_hops || !path.max_hops) {
    diags_->Error("E0301", path.range, "a path rule needs its number of hops: `hops 3 to 8`");
    ok = false;
  } else {
    ir::Value lo, hi;
    Type tl, th;
    Type hint = Type::Of(TypeKind::kInteger);
    if (!EvalConst(*path.min_hops, c, &hint, &lo, &tl) || !EvalConst(*path.max_hops, c, &hint, &hi, &th)) {
      ok = false;
    } else if (tl.kind != TypeKind::kInteger || th.kind != TypeKind::kInteger || lo.null || hi.null || lo.i < 1 ||
               hi.i < lo.i || hi.i > ir::kMaxPathHops) {
      diags_->Error("E0301", path.hops_range, fmt::format("hops are whole numbers from 1 to {}, the least first", ir::kMaxPathHops));
      ok = false;
    } else {
      spec.min_hops = static_cast<int>(lo.i);
      spec.max_hops = static_cast<int>(hi.i);
    }
  }
  if (!path.within) {
    diags_->Error("E0301", path.range, "a path rule needs the time from one hop to the next: `hop within 48 hours`");
    ok = false;
  } else {
    ir::Value v;
    Type t;
    Type hint = Type::Of(TypeKind::kDuration);
    if (EvalConst(*path.within, c, &hint, &v, &t)) {
      if (t.kind != TypeKind::kDuration || v.null || v.i <= 0) {
        diags_->Error("E0301", path.within->range, "the time between hops is a positive duration, e.g. 48 hours");
        ok = false;
      } else {
        spec.within_us = v.i;
      }
    } else {
      ok = false;
    }
  }
  if (path.ratio_lo) {
    if (RatioConst(this, *path.ratio_lo, c, &spec.ratio_lo) && RatioConst(this, *path.ratio_hi, c, &spec.ratio_hi)) {
      ir::Value lo = spec.ratio_lo, hi = spec.ratio_hi;
      int scale = std::max(lo.scale, hi.scale);
      i128 a, b;
      if (!Rescale(lo.m, lo.scale, scale, &a) || !Rescale(hi.m, hi.scale, scale, &b) || a > b) {
        diags_->Error("E0301", path.ratio_range, "the lower ratio comes first and is at most the upper one");
        ok = false;
      }
      spec.has_ratio = true;
    } else {
      ok = false;
    }
  }
  spec.distinct = path.distinct;
  spec.maximal = path.maximal;
  spec.cycle = path.returns;
  if (path.maximal && path.returns) {
    diags_->Error("E0301", path.maximal_range, "a path that returns to its origin cannot be extended, so `maximal` says nothing")
        .Help("keep `returns to origin`, or `maximal` for chains");
    ok = false;
  }
  return ok;
}

bool Sema::CheckPathRule(int module, const ast::RuleDecl& d, const Env& row, ir::Rule* r) {
  r->kind = ir::RuleKind::kPath;
  bool ok = CheckPath(module, *d.path, r);
  if (!d.unless_before.empty() || !d.unless_after.empty()) {
    const ast::ExprPtr& u = d.unless_before.empty() ? d.unless_after.front() : d.unless_before.front();
    diags_->Error("E0301", u->range, "a path rule has no `unless`")
        .Help("put the conditions on each hop in the flow's `where`, and those on the path in `when`");
    ok = false;
  }
  if (d.require) {
    diags_->Error("E0301", d.require->range, "a path rule reports paths; it cannot `require`");
    ok = false;
  }
  if (!d.overrides.empty()) {
    diags_->Error("E0301", d.overrides.front().range, "a path rule's findings are paths, not records: it overrides no rule");
    ok = false;
  }
  if (d.when) {
    r->when = CheckPathGuard(module, *d.when, *d.path, row, *r);
    if (Bad(r->when)) ok = false;
  }
  return ok;
}

ir::ExprPtr Sema::CheckPathGuard(int module, const ast::Expr& when, const ast::PathClause& path, const Env& row, const ir::Rule& r) {
  Env env = row;
  env.level = Level::kPath;
  env.var.clear();
  env.aliases.clear();
  env.module = env.ruleset_module = module;
  env.path_var = path.var.name;
  env.path_types = {Type::Of(TypeKind::kInteger), Type::Of(TypeKind::kDuration), r.keys[ir::kPathAmount].expr->type,
                    r.keys[ir::kPathAmount].expr->type};
  for (Type& t : env.path_types) t.optional = false;
  return CheckBool(when, env, "a `when` clause");
}

}  // namespace decree::sema
