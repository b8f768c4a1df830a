#include "analysis/encoder.h"
#include "analysis/encoder_internal.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/civil.h"
#include "common/codes.h"
#include "common/decimal.h"
#include "ir/ir_codec.h"
#include "ir/ir.h"
#include "ir/sexpr.h"

namespace decree::analysis {

Encoder::Encoder(z3::context& ctx, const ir::Program& program, std::string prefix, Encoder* share_with)
    : ctx_(ctx),
      p_(program),
      s_(share_with != nullptr ? share_with->s_ : std::make_shared<Shared>()),
      background_(ctx),
      prefix_(std::move(prefix)) {}

z3::expr Encoder::Scaled(const z3::expr& v, int by) {
  if (by <= 0) return v;
  return v * ctx_.int_val(Pow10Text(by).c_str());
}

void Encoder::Align(Term* a, Term* b) {
  if (a->ratio || b->ratio) return;
  if (a->scale < b->scale) {
    a->v = Scaled(a->v, b->scale - a->scale);
    a->scale = b->scale;
  } else if (b->scale < a->scale) {
    b->v = Scaled(b->v, a->scale - b->scale);
    b->scale = a->scale;
  }
}

z3::expr Encoder::TextId(const std::string& s) {
  auto it = s_->text_ids.find(s);
  if (it == s_->text_ids.end()) {
    // Literals are 1, 2, …; 0 and the rest are texts no rule names.
    int64_t id = static_cast<int64_t>(s_->text_ids.size()) + 1;
    it = s_->text_ids.emplace(s, id).first;
    s_->text_of[id] = s;
  }
  return ctx_.int_val(static_cast<int64_t>(it->second));
}

std::string Encoder::TextOf(int64_t id) const {
  auto it = s_->text_of.find(id);
  if (it != s_->text_of.end()) return it->second;
  return fmt::format("x{}", id < 0 ? -id : id);  // differs from every literal the rules compare with
}

z3::expr Encoder::Truth(const Term& t) { return !t.null && t.v; }

z3::expr Encoder::MinorUnits(const Term& t) {
  if (!t.money || t.scale <= 0) return ctx_.bool_val(true);
  auto multiple = [&](int minor) {
    return minor >= t.scale ? ctx_.bool_val(true) : z3::mod(t.v, ctx_.int_val(Pow10Text(t.scale - minor).c_str())) == 0;
  };
  if (t.cur.is_numeral()) {
    int64_t c = t.cur.get_numeral_int64();
    return multiple(c >= 0 && c < CurrencyCount() ? CurrencyMinorUnits(static_cast<CurrencyId>(c)) : 2);
  }
  // Most currencies have 2 minor units; the others are listed.
  z3::expr out = multiple(2);
  for (int c = CurrencyCount() - 1; c >= 0; --c) {
    int minor = CurrencyMinorUnits(static_cast<CurrencyId>(c));
    if (minor != 2) out = z3::ite(t.cur == c, multiple(minor), out);
  }
  return out;
}

Term Encoder::Field(const ir::Field& f, const std::string& name) {
  Term t(ctx_);
  const ir::Type& type = f.type;
  t.v = type.kind == TypeKind::kBool ? ctx_.bool_const(name.c_str()) : ctx_.int_const(name.c_str());
  t.null = type.optional ? ctx_.bool_const((name + "?null").c_str()) : ctx_.bool_val(false);
  t.scale = type.kind == TypeKind::kDecimal || type.kind == TypeKind::kMoney || type.kind == TypeKind::kRate ? type.scale : 0;
  if (type.kind == TypeKind::kMoney) {
    t.money = true;
    t.cur = type.currency >= 0 ? ctx_.int_val(type.currency) : ctx_.int_const((name + "?currency").c_str());
  }
  return t;
}

RecordVars& Encoder::Record(const ir::Layout& layout) {
  auto it = s_->records.find(layout.name);
  if (it != s_->records.end()) return *it->second;
  auto rec = MakeRecord(layout, "r.");
  background_.push_back(rec->domain);
  RecordVars& out = *rec;
  s_->records[layout.name] = std::move(rec);
  return out;
}

std::unique_ptr<RecordVars> Encoder::MakeRecord(const ir::Layout& layout, const std::string& prefix) {
  auto rec = std::make_unique<RecordVars>(ctx_);
  rec->layout = &layout;
  z3::expr_vector domain(ctx_);
  const int64_t lo_day = DaysFromCivil(1, 1, 1), hi_day = DaysFromCivil(9999, 12, 31);
  for (const ir::Field& f : layout.fields) {
    Term t = Field(f, prefix + f.name);
    const ir::Type& type = f.type;
    switch (type.kind) {
      case TypeKind::kEnum:
        domain.push_back(t.v >= 0 && t.v < static_cast<int>(p_.enums[type.ref].values.size()));
        break;
      case TypeKind::kCurrency: domain.push_back(t.v >= 0 && t.v < CurrencyCount()); break;
      case TypeKind::kDate: domain.push_back(t.v >= ctx_.int_val(lo_day) && t.v <= ctx_.int_val(hi_day)); break;
      case TypeKind::kTimestamp:
        domain.push_back(t.v >= ctx_.int_val(static_cast<int64_t>(lo_day) * kMicrosPerDay) &&
                         t.v < ctx_.int_val(static_cast<int64_t>(hi_day + 1) * kMicrosPerDay));
        break;
      case TypeKind::kText:
      case TypeKind::kId:
      case TypeKind::kCountry: domain.push_back(t.v >= 0); break;
      default: break;
    }
    if (t.money && type.currency < 0) domain.push_back(t.cur >= 0 && t.cur < CurrencyCount());
    // Amounts read from data have at most their currency's minor units (readers reject more).
    if (t.money) domain.push_back(t.null || MinorUnits(t));
    if (f.positive && IsIntKind(type.kind)) domain.push_back(t.null || t.v > 0);
    rec->fields.push_back(t);
  }
  rec->domain = z3::mk_and(domain);
  return rec;
}

void Encoder::CatchUp(z3::solver& s, unsigned* asserted) const {
  for (; *asserted < background_.size(); ++*asserted) s.add(background_[static_cast<int>(*asserted)]);
}

z3::model Encoder::NiceModel(z3::solver& s, const ir::Layout& layout, const std::vector<RecordVars*>& more) {
  z3::model m = s.get_model();
  for (int level = 2; level >= 0; --level) {
    s.push();
    s.add(Niceness(layout, level, more));
    bool nice = s.check() == z3::sat;
    if (nice) m = s.get_model();
    s.pop();
    if (nice) break;
  }
  return m;
}

z3::expr Encoder::Fresh(const char* what, bool boolean) {
  std::string name = fmt::format("{}{}#{}", prefix_, what, ++fresh_);
  return boolean ? ctx_.bool_const(name.c_str()) : ctx_.int_const(name.c_str());
}

Term Encoder::Const(const ir::Value& v, const ir::Type& t) {
  Term out(ctx_);
  out.null = ctx_.bool_val(v.null);
  if (t.kind == TypeKind::kBool) {
    out.v = ctx_.bool_val(!v.null && v.i != 0);
    return out;
  }
  out.v = ctx_.int_val(0);
  if (v.null) return out;
  switch (v.kind) {
    case TypeKind::kBool: out.v = ctx_.bool_val(v.i != 0); break;
    case TypeKind::kDecimal:
    case TypeKind::kRate:
    case TypeKind::kMoney:
      out.v = ctx_.int_val(I128ToString(v.m).c_str());
      out.scale = v.scale;
      if (v.kind == TypeKind::kMoney) {
        out.money = true;
        out.cur = ctx_.int_val(v.currency);
      }
      break;
    case TypeKind::kText:
    case TypeKind::kId:
    case TypeKind::kCountry: out.v = TextId(v.s); break;
    default: out.v = ctx_.int_val(static_cast<int64_t>(v.i)); break;
  }
  // A constant used at a larger scale than written (sema's casts handle most; this is the rest).
  if ((t.kind == TypeKind::kDecimal || t.kind == TypeKind::kMoney || t.kind == TypeKind::kRate) && t.scale > out.scale) {
    out.v = Scaled(out.v, t.scale - out.scale);
    out.scale = t.scale;
  }
  return out;
}

z3::expr Encoder::LocalDay(const z3::expr& micros, const std::string& tz) {
  std::string key = fmt::format("{}@{}", micros.id(), tz);
  auto it = s_->days.find(key);
  if (it != s_->days.end()) return it->second;
  std::shared_ptr<const TimeZone>& zone = s_->zones[tz];
  if (!zone) TimeZone::Load(tz, &zone);
  z3::expr day = Fresh("day");
  z3::expr off = Fresh("offset");
  z3::expr_vector cases(ctx_);
  if (zone) {
    const std::vector<int64_t>& tr = zone->transitions();
    const std::vector<int32_t>& offs = zone->offsets();
    if (tr.size() <= 256) {  // exact: the offset in force at the instant
      for (size_t i = 0; i < offs.size(); ++i) {
        z3::expr c = off == offs[i];
        if (i > 0) c = c && micros >= ctx_.int_val(tr[i - 1]);
        if (i < tr.size()) c = c && micros < ctx_.int_val(tr[i]);
        cases.push_back(c);
      }
    } else {  // any offset the zone has used: an over-approximation
      std::vector<int32_t> sorted(offs.begin(), offs.end());
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      for (int32_t o : sorted) cases.push_back(off == o);
    }
  } else {
    cases.push_back(off == 0);
  }
  z3::expr local = micros + off * ctx_.int_val(kMicrosPerSecond);
  z3::expr per_day = ctx_.int_val(kMicrosPerDay);
  background_.push_back(z3::mk_or(cases) && day * per_day <= local && local < (day + 1) * per_day);
  s_->days.emplace(key, day);
  return day;
}

z3::expr Encoder::Effective(const ir::Rule& rule) {
  const ir::Layout* layout = p_.FindLayout(rule.layout);
  return layout == nullptr ? ctx_.bool_val(true) : EffectiveOn(rule, Record(*layout));
}

z3::expr Encoder::EffectiveOn(const ir::Rule& rule, RecordVars& rec) {
  const ir::Layout* layout = p_.FindLayout(rule.layout);
  if (layout == nullptr || layout->time_field < 0 ||
      (rule.effective_from == ir::kNoDate && rule.effective_until == ir::kNoDate)) {
    return ctx_.bool_val(true);
  }
  const ir::RulesetInfo* rs = p_.FindRuleset(rule.ruleset);
  const Term& t = rec.fields[static_cast<size_t>(layout->time_field)];
  z3::expr d = LocalDay(t.v, rs != nullptr ? rs->timezone : "UTC");
  z3::expr in = !t.null;
  if (rule.effective_from != ir::kNoDate) in = in && d >= rule.effective_from;
  if (rule.effective_until != ir::kNoDate) in = in && d <= rule.effective_until;
  return in;
}

bool Encoder::NonNegative(const ir::Expr& e, const ir::Layout& layout) const {
  switch (e.op) {
    case Op::kCast:
    case Op::kConvert:
    case Op::kMoneyValue: return NonNegative(*e.kids[0], layout);
    case Op::kAbs: return true;
    case Op::kConst: return !e.value.null && (e.value.kind == TypeKind::kInteger ? e.value.i >= 0 : e.value.m >= 0);
    case Op::kColumn:
      // A `positive` field: the reader rejects anything else.
      return e.index >= 0 && e.index < static_cast<int>(layout.fields.size()) && layout.fields[e.index].positive;
    case Op::kAdd:
    case Op::kMul: return NonNegative(*e.kids[0], layout) && NonNegative(*e.kids[1], layout);
    default: return false;
  }
}

namespace {

// The conjuncts of an `and` tree (a single expression is its own conjunct).
void Conjuncts(const ir::Expr& e, std::vector<const ir::Expr*>* out) {
  if (e.op == Op::kAnd) {
    for (const ir::ExprPtr& k : e.kids) Conjuncts(*k, out);
  } else {
    out->push_back(&e);
  }
}

std::string Printed(const ir::Expr& e) { return PrintSExpr(ir::EncodeExpr(e)); }

// An expression's text with its conjuncts sorted: a filter written in another order reads the
// same.
std::string CanonicalFilter(const ir::ExprPtr& e) {
  if (!e) return "";
  std::vector<const ir::Expr*> cs;
  Conjuncts(*e, &cs);
  std::vector<std::string> parts;
  for (const ir::Expr* c : cs) parts.push_back(Printed(*c));
  std::sort(parts.begin(), parts.end());
  return fmt::format("{}", fmt::join(parts, " & "));
}

// The columns and constants an expression reads, as sorted text: two filters that mean the
// same (reordered, negated comparisons) have the same fingerprint, so only those are compared
// by the solver.
void Atoms(const ir::Expr& e, std::vector<std::string>* out) {
  if (e.op == Op::kColumn) out->push_back(fmt::format("c{}", e.index));
  if (e.op == Op::kConst) out->push_back("k" + ir::EncodeValue(e.value));
  for (const ir::ExprPtr& k : e.kids) Atoms(*k, out);
}

// Bounds a filter sets on an expression: each conjunct `x OP c` or `c OP x`, as (OP, c) with x
// on the left.
std::vector<std::pair<Op, const ir::Expr*>> BoundsOn(const ir::Expr& x, const std::vector<const ir::Expr*>& conjuncts) {
  std::vector<std::pair<Op, const ir::Expr*>> out;
  const std::string want = Printed(x);
  for (const ir::Expr* c : conjuncts) {
    if (c->kids.size() != 2 || !ir::IsComparison(c->op) || c->op == Op::kNe) continue;
    const ir::Expr& l = *c->kids[0];
    const ir::Expr& r = *c->kids[1];
    if (r.op == Op::kConst && Printed(l) == want) {
      out.emplace_back(c->op, &r);
    } else if (l.op == Op::kConst && Printed(r) == want) {
      Op flipped = c->op == Op::kLt ? Op::kGt : c->op == Op::kLe ? Op::kGe : c->op == Op::kGt ? Op::kLt : c->op == Op::kGe ? Op::kLe : c->op;
      out.emplace_back(flipped, &l);
    }
  }
  return out;
}

}  // namespace

std::string Encoder::PopulationKey(const ir::Rule& rule) const {
  // Two rules with the same population (layout, period, filters, exemptions, keys, window)
  // group the same records the same way, so equal aggregates have equal values.  This is the
  // quick test (the filters' conjuncts in any order); PopulationFor asks the solver.
  std::string k = fmt::format("{}|{}|{}|{}|", rule.layout, rule.effective_from, rule.effective_until, CanonicalFilter(rule.where));
  for (const std::string& e : rule.exempted_by) {
    // By meaning, not by name: another version of the library may change the exemption.
    k += e + "=";
    for (const ir::Rule& x : p_.rules) {
      if (x.id == e) k += ir::EncodeRuleBody(x) + ";";
    }
    k += ",";
  }
  k += "|";
  for (const ir::ExprPtr& u : rule.unless) k += Printed(*u) + ";";
  k += "|";
  for (const ir::Key& key : rule.keys) k += Printed(*key.expr) + ";";
  if (rule.has_window) {
    k += fmt::format("|window {} {}", rule.window.duration_us, rule.window.anchor ? Printed(*rule.window.anchor) : "");
  }
  return k;
}

std::string Encoder::Fingerprint(const ir::Rule& rule) const {
  std::vector<std::string> atoms;
  if (rule.where) Atoms(*rule.where, &atoms);
  for (const ir::ExprPtr& u : rule.unless) Atoms(*u, &atoms);
  std::sort(atoms.begin(), atoms.end());
  std::vector<std::string> exempt(rule.exempted_by.begin(), rule.exempted_by.end());
  std::sort(exempt.begin(), exempt.end());
  std::string k = fmt::format("{}|{}|{}|{}|{}|", rule.layout, rule.effective_from, rule.effective_until,
                              fmt::join(atoms, ","), fmt::join(exempt, ","));
  for (const ir::Key& key : rule.keys) k += Printed(*key.expr) + ";";
  if (rule.has_window) {
    k += fmt::format("|window {} {}", rule.window.duration_us, rule.window.anchor ? Printed(*rule.window.anchor) : "");
  }
  return k;
}

bool Encoder::Equivalent(const z3::expr& differ) {
  // A solver of the encoders' shared background, for these questions only.
  if (!s_->eq_solver) {
    s_->eq_solver = std::make_unique<z3::solver>(ctx_);
    z3::params params(ctx_);
    params.set("timeout", 2000u);
    s_->eq_solver->set(params);
  }
  z3::solver& eq = *s_->eq_solver;
  unsigned& asserted = s_->eq_asserted[this];
  CatchUp(eq, &asserted);
  eq.push();
  eq.add(differ);
  bool same = eq.check() == z3::unsat;  // unknown: treated as different (independent aggregates)
  eq.pop();
  return same;
}

void Encoder::AddAggregates(const ir::Rule& rule, Scope& scope) {
  // The record r is a member of the group; the aggregates are free but for what holds of
  // every group that holds r.
  const ir::Layout& layout = *p_.FindLayout(rule.layout);
  z3::expr member = Member(rule) && NotExempted(rule);
  std::string population = PopulationKey(rule);
  std::string fingerprint = Fingerprint(rule);
  std::vector<const ir::Expr*> filters;  // the rule's `where` conjuncts: every member meets them
  if (rule.where) Conjuncts(*rule.where, &filters);
  for (const ir::Agg& a : rule.aggs) {
    std::string agg = std::string(ir::AggKindName(a.kind)) + "|" + (a.arg ? Printed(*a.arg) : "") + "|" + CanonicalFilter(a.filter);
    std::string key = population + "|" + agg;
    auto it = s_->aggregates.find(key);
    if (it != s_->aggregates.end()) {
      agg_list_.push_back(AggVar{rule.id, a.text, it->second, &rule, &a});
      scope.aggs->push_back(it->second);
      continue;
    }
    Scope row = scope;
    z3::expr filter_ok = a.filter ? Truth(Encode(*a.filter, row)) : ctx_.bool_val(true);
    Term arg(ctx_);
    if (a.arg) arg = Encode(*a.arg, row);
    // The same aggregate of a population the solver proves equal (same members, same keys,
    // same filter and argument on them): the same variable.
    const Term* same = nullptr;
    for (const SharedPopulation& c : s_->populations) {
      if (c.fingerprint != fingerprint || c.agg_kind != a.kind || c.has_arg != static_cast<bool>(a.arg) || c.keys.size() != scope.keys->size()) {
        continue;
      }
      z3::expr_vector differ(ctx_);
      differ.push_back(member != c.member);
      for (size_t k = 0; k < c.keys.size(); ++k) {
        const Term& x = (*scope.keys)[k];
        const Term& y = c.keys[k];
        if (x.v.get_sort().is_bool() != y.v.get_sort().is_bool()) {
          differ.push_back(member);
          continue;
        }
        Term xs = x, ys = y;
        Align(&xs, &ys);
        differ.push_back(member && (xs.null != ys.null || (!xs.null && xs.v != ys.v)));
      }
      differ.push_back(member && filter_ok != c.filter_ok);
      if (a.arg) {
        Term xs = arg, ys = c.arg;
        if (xs.v.get_sort().is_bool() == ys.v.get_sort().is_bool()) {
          Align(&xs, &ys);
          differ.push_back(member && filter_ok && (xs.null != ys.null || (!xs.null && xs.v != ys.v)));
        } else {
          differ.push_back(member);
        }
      }
      if (Equivalent(z3::mk_or(differ))) {
        same = &s_->aggregates.at(c.key);
        break;
      }
    }
    if (same != nullptr) {
      s_->aggregates.emplace(key, *same);
      agg_list_.push_back(AggVar{rule.id, a.text, *same, &rule, &a});
      scope.aggs->push_back(*same);
      continue;
    }
    Term t(ctx_);
    t.v = Fresh("agg");
    t.scale = a.type.kind == TypeKind::kDecimal || a.type.kind == TypeKind::kMoney || a.type.kind == TypeKind::kRate ? a.type.scale : 0;
    z3::expr_vector c(ctx_);
    if (a.kind == ir::AggKind::kCount) {
      t.null = ctx_.bool_val(false);
      c.push_back(t.v >= 0);
      c.push_back(z3::implies(filter_ok, t.v >= 1));
    } else {
      z3::expr present = filter_ok && !arg.null;
      if (a.kind == ir::AggKind::kCountDistinct) {
        t.null = ctx_.bool_val(false);
        c.push_back(t.v >= 0);
        c.push_back(z3::implies(present, t.v >= 1));
      } else {
        t.null = Fresh("agg_null", true);
        c.push_back(z3::implies(present, !t.null));
        if (arg.money) {
          t.money = true;
          t.cur = arg.cur;
        }
        Term at = t, ar = arg;
        Align(&at, &ar);
        if (a.kind == ir::AggKind::kMin) c.push_back(z3::implies(present, at.v <= ar.v));
        if (a.kind == ir::AggKind::kMax) c.push_back(z3::implies(present, at.v >= ar.v));
        // Every member meets the rule's filter and the aggregate's own: min and max are a
        // member's value, so they meet the bounds those set on the argument too.
        std::vector<const ir::Expr*> all = filters;
        if (a.filter) Conjuncts(*a.filter, &all);
        std::vector<std::pair<Op, const ir::Expr*>> bounds = BoundsOn(*a.arg, all);
        bool nonnegative = NonNegative(*a.arg, layout);
        for (const auto& [op, bound] : bounds) {
          Term b = Encode(*bound, row);
          Term ab = t;
          Align(&ab, &b);
          if ((op == Op::kGe || op == Op::kGt) && !b.null) {
            // A lower bound of zero or more: every member is non-negative.
            nonnegative = nonnegative || (bound->value.kind == TypeKind::kInteger ? bound->value.i >= 0 : bound->value.m >= 0);
          }
          if (a.kind != ir::AggKind::kMin && a.kind != ir::AggKind::kMax) continue;
          z3::expr holds = op == Op::kEq ? ab.v == b.v : op == Op::kLt ? ab.v < b.v : op == Op::kLe ? ab.v <= b.v
                           : op == Op::kGt ? ab.v > b.v : ab.v >= b.v;
          c.push_back(z3::implies(!t.null, holds));
        }
        if (a.kind == ir::AggKind::kSum && nonnegative) {
          // A sum of non-negative members is at least each of them (r among them).
          c.push_back(z3::implies(present, at.v >= ar.v));
          c.push_back(z3::implies(!t.null, t.v >= 0));
        }
        if (arg.money && a.arg->op == Op::kColumn) {
          // A sum, min or max of amounts read from data is a whole number of minor units too.
          c.push_back(z3::implies(!t.null, MinorUnits(t)));
        }
      }
    }
    background_.push_back(z3::implies(member, z3::mk_and(c)));
    s_->aggregates.emplace(key, t);
    SharedPopulation pop{key, fingerprint, a.kind, static_cast<bool>(a.arg), member, filter_ok, arg, {}};
    for (const Term& k : *scope.keys) pop.keys.push_back(k);
    s_->populations.push_back(std::move(pop));
    agg_list_.push_back(AggVar{rule.id, a.text, t, &rule, &a});
    scope.aggs->push_back(t);
  }
}

z3::expr Encoder::Member(const ir::Rule& rule) { return MemberOn(rule, Record(*p_.FindLayout(rule.layout))); }

z3::expr Encoder::MemberOn(const ir::Rule& rule, RecordVars& rec) {
  // A record belongs to the rule's population: in its period, matching `where`, and (for
  // grouped rules) not excluded by `unless`.
  Scope s;
  s.rule = &rule;
  s.rec = &rec;
  z3::expr m = EffectiveOn(rule, rec);
  if (rule.where) m = m && Truth(Encode(*rule.where, s));
  for (const ir::ExprPtr& u : rule.unless) m = m && !Truth(Encode(*u, s));
  return m;
}

z3::expr Encoder::NotExemptedOn(const ir::Rule& rule, RecordVars& rec) {
  z3::expr_vector out(ctx_);
  for (const std::string& e : rule.exempted_by) {
    const ir::Rule* ex = p_.FindRule(e);
    if (ex == nullptr) continue;
    Scope s;
    s.rule = ex;
    s.rec = &rec;
    z3::expr hit = MemberOn(*ex, rec);
    if (ex->when) hit = hit && Truth(Encode(*ex->when, s));
    out.push_back(!hit);
  }
  return out.empty() ? ctx_.bool_val(true) : z3::mk_and(out);
}

z3::expr Encoder::Raw(const ir::Rule& rule) {
  auto it = raw_.find(rule.id + "#" + std::to_string(rule.version));
  if (it != raw_.end()) return it->second;
  const ir::Layout* layout = p_.FindLayout(rule.layout);
  z3::expr f = ctx_.bool_val(false);
  if (layout != nullptr) {
    Scope s;
    s.rule = &rule;
    s.rec = &Record(*layout);
    f = Member(rule);
    if (rule.kind == ir::RuleKind::kPath) {
      std::vector<Term> keys, attrs;
      s.keys = &keys;
      s.aggs = &attrs;
      AddPathAttributes(rule, s);
      // A hop has both accounts; with distinct accounts it is no transfer to itself, but for
      // a one-hop cycle.
      Term from = Encode(*rule.keys[ir::kPathFrom].expr, s), to = Encode(*rule.keys[ir::kPathTo].expr, s);
      f = f && !from.null && !to.null;
      if (rule.path.distinct && !(rule.path.cycle && rule.path.min_hops == 1)) f = f && from.v != to.v;
      if (rule.when) f = f && Truth(Encode(*rule.when, s));
    } else if (rule.is_aggregate()) {
      std::vector<Term> keys, aggs;
      for (const ir::Key& k : rule.keys) keys.push_back(Encode(*k.expr, s));
      s.keys = &keys;
      s.aggs = &aggs;
      AddAggregates(rule, s);
      if (rule.when) {
        Term w = Encode(*rule.when, s);
        f = f && (rule.kind == ir::RuleKind::kRequire ? !Truth(w) : Truth(w));
      }
    } else if (rule.when) {
      Term w = Encode(*rule.when, s);
      f = f && (rule.kind == ir::RuleKind::kRequire ? !Truth(w) : Truth(w));
    }
  }
  raw_.emplace(rule.id + "#" + std::to_string(rule.version), f);
  return f;
}

void Encoder::AddPathAttributes(const ir::Rule& rule, Scope& scope) {
  // The record r is a hop of the rule's flow; the path it lies on is free but for what every
  // path of the rule has: its hop count in range, and its time from first to last hop at least
  // a microsecond per link and at most `within` per link.  Its amounts are free.  So the
  // formula admits every hop that can lie on such a path (and possibly more): a path rule is
  // never dead when it can fire, and is never taken to cover another rule (see analyzer.cpp).
  const ir::PathSpec& p = rule.path;
  Term hops(ctx_), elapsed(ctx_);
  hops.v = Fresh("path_hops");
  hops.null = ctx_.bool_val(false);
  elapsed.v = Fresh("path_elapsed");
  elapsed.null = ctx_.bool_val(false);
  z3::expr_vector c(ctx_);
  c.push_back(hops.v >= p.min_hops && hops.v <= p.max_hops);
  c.push_back(elapsed.v >= hops.v - 1);
  c.push_back(elapsed.v <= (hops.v - 1) * ctx_.int_val(static_cast<int64_t>(p.within_us)));
  background_.push_back(z3::mk_and(c));
  scope.aggs->push_back(hops);
  scope.aggs->push_back(elapsed);
  const ir::Type& amount = rule.keys[ir::kPathAmount].expr->type;
  for (const char* what : {"path_first_amount", "path_last_amount"}) {
    Term a(ctx_);
    a.v = Fresh(what);
    a.null = ctx_.bool_val(false);
    a.scale = amount.scale;
    a.money = true;
    a.cur = ctx_.int_val(amount.currency);
    scope.aggs->push_back(a);
  }
}

z3::expr Encoder::Exempted(const ir::Rule& exemption) { return Raw(exemption); }

z3::expr Encoder::NotExempted(const ir::Rule& rule) {
  z3::expr_vector out(ctx_);
  for (const std::string& e : rule.exempted_by) {
    const ir::Rule* ex = p_.FindRule(e);
    if (ex != nullptr) out.push_back(!Exempted(*ex));
  }
  return out.empty() ? ctx_.bool_val(true) : z3::mk_and(out);
}

z3::expr Encoder::Matches(const ir::Rule& rule) { return Raw(rule) && NotExempted(rule); }

z3::expr Encoder::Fires(const ir::Rule& rule) {
  std::string id = rule.id + "#" + std::to_string(rule.version);
  auto it = fires_.find(id);
  if (it != fires_.end()) return it->second;
  z3::expr f = Matches(rule);
  for (const ir::Rule& o : p_.rules) {
    if (std::find(o.overrides.begin(), o.overrides.end(), rule.id) != o.overrides.end() && o.layout == rule.layout) {
      f = f && !Matches(o);
    }
  }
  fires_.emplace(id, f);
  return f;
}

z3::expr Encoder::InScope(const ir::Rule& rule) {
  // A decision's scope: its period and `where` (every case has the decision's `where`), not
  // exempted.  The cases' `unless` (the earlier cases) is what the gap is about.
  const ir::Layout* layout = p_.FindLayout(rule.layout);
  if (layout == nullptr) return ctx_.bool_val(false);
  Scope s;
  s.rule = &rule;
  s.rec = &Record(*layout);
  z3::expr in = Effective(rule);
  if (rule.where) in = in && Truth(Encode(*rule.where, s));
  return in && NotExempted(rule);
}

}  // namespace decree::analysis
