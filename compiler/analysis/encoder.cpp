#include "analysis/encoder.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/civil.h"
#include "common/codes.h"
#include "common/decimal.h"
#include "ir/ir_codec.h"
#include "ir/ir.h"
#include "ir/sexpr.h"

namespace decree::analysis {

namespace {

using ir::Op;
using ir::TypeKind;

std::string Pow10Text(int n) { return "1" + std::string(static_cast<size_t>(n), '0'); }

bool IsIntKind(TypeKind k) { return k != TypeKind::kBool; }

// Model values: Z3 numerals as exact integers.
bool NumeralToI128(const z3::expr& e, i128* out) {
  if (!e.is_numeral()) return false;
  std::string s = e.get_decimal_string(0);
  if (!s.empty() && s.back() == '?') return false;
  int scale;
  return ParseDecimal(s, out, &scale) && scale == 0;
}

}  // namespace

struct Encoder::Scope {
  const ir::Rule* rule = nullptr;
  RecordVars* rec = nullptr;
  std::vector<Term>* keys = nullptr;
  std::vector<Term>* aggs = nullptr;
};

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
    if (rule.is_aggregate()) {
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

Term Encoder::Encode(const ir::Expr& e, Scope& s) {
  auto kid = [&](size_t i) { return Encode(*e.kids[i], s); };
  Term out(ctx_);
  out.null = ctx_.bool_val(false);
  switch (e.op) {
    case Op::kConst: return Const(e.value, e.type);
    case Op::kColumn: return s.rec->fields[static_cast<size_t>(e.index)];
    case Op::kKey: return (*s.keys)[static_cast<size_t>(e.index)];
    case Op::kAgg: return (*s.aggs)[static_cast<size_t>(e.index)];
    case Op::kCast: {
      Term a = kid(0);
      int target = e.type.kind == TypeKind::kDecimal || e.type.kind == TypeKind::kMoney || e.type.kind == TypeKind::kRate
                       ? e.type.scale
                       : a.scale;
      if (target > a.scale) {
        a.v = Scaled(a.v, target - a.scale);
        a.scale = target;
      }
      return a;
    }
    case Op::kNot: {
      Term a = kid(0);
      out.v = !a.v;
      out.null = a.null;
      return out;
    }
    case Op::kAnd:
    case Op::kOr: {
      z3::expr_vector t(ctx_), f(ctx_);
      for (size_t i = 0; i < e.kids.size(); ++i) {
        Term a = kid(i);
        t.push_back(!a.null && a.v);
        f.push_back(!a.null && !a.v);
      }
      z3::expr is_true = e.op == Op::kAnd ? z3::mk_and(t) : z3::mk_or(t);
      z3::expr is_false = e.op == Op::kAnd ? z3::mk_or(f) : z3::mk_and(f);
      out.v = is_true;
      out.null = !is_true && !is_false;
      return out;
    }
    case Op::kNeg: {
      Term a = kid(0);
      a.v = -a.v;
      return a;
    }
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      Term a = kid(0), b = kid(1);
      out.null = a.null || b.null;
      z3::expr l = a.v, r = b.v;
      if (a.ratio || b.ratio) {
        // n/d op x  <=>  n op x*d  (d > 0; a zero denominator makes the ratio null)
        Term& q = a.ratio ? a : b;
        Term& x = a.ratio ? b : a;
        z3::expr n = Scaled(q.v, x.scale + q.den_scale), d_x = Scaled(q.den * x.v, q.scale);
        out.null = out.null || q.den <= 0;
        l = a.ratio ? n : d_x;
        r = a.ratio ? d_x : n;
      } else {
        Align(&a, &b);
        l = a.v;
        r = b.v;
      }
      switch (e.op) {
        case Op::kEq: out.v = l == r; break;
        case Op::kNe: out.v = l != r; break;
        case Op::kLt: out.v = l < r; break;
        case Op::kLe: out.v = l <= r; break;
        case Op::kGt: out.v = l > r; break;
        default: out.v = l >= r; break;
      }
      return out;
    }
    case Op::kAdd:
    case Op::kSub: {
      Term a = kid(0), b = kid(1);
      Align(&a, &b);
      a.v = e.op == Op::kAdd ? a.v + b.v : a.v - b.v;
      a.null = a.null || b.null;
      if (!a.money && b.money) {
        a.money = true;
        a.cur = b.cur;
      }
      return a;
    }
    case Op::kMul: {
      Term a = kid(0), b = kid(1);
      Term r = a.money ? a : b;
      r.v = a.v * b.v;
      r.scale = a.scale + b.scale;
      r.null = a.null || b.null;
      int want = e.type.kind == TypeKind::kDecimal || e.type.kind == TypeKind::kMoney || e.type.kind == TypeKind::kRate
                     ? e.type.scale
                     : r.scale;
      if (want < r.scale) {  // the runtime rounds to the result's scale: within one unit of it
        z3::expr q = Fresh("product");
        z3::expr unit = ctx_.int_val(Pow10Text(r.scale - want).c_str());
        background_.push_back(q * unit - r.v < unit && r.v - q * unit < unit);
        r.v = q;
        r.scale = want;
      }
      return r;
    }
    case Op::kMod: {
      Term a = kid(0), b = kid(1);
      Align(&a, &b);
      out.v = z3::mod(a.v, b.v);
      out.scale = a.scale;
      out.null = a.null || b.null || b.v == 0;
      return out;
    }
    case Op::kIf: {
      Term c = kid(0), a = kid(1), b = kid(2);
      if (a.v.is_int()) Align(&a, &b);
      Term r = a;
      r.v = z3::ite(Truth(c), a.v, b.v);
      r.null = z3::ite(Truth(c), a.null, b.null);
      if (a.money && b.money) r.cur = z3::ite(Truth(c), a.cur, b.cur);
      return r;
    }
    case Op::kIn: {
      Term a = kid(0);
      const ir::Value& set = e.kids[1]->value;
      z3::expr_vector any(ctx_);
      for (const ir::Value& el : set.elems) {
        Term c = Const(el, e.kids[0]->type.NonOptional());
        Term x = a;
        Align(&x, &c);
        any.push_back(x.v == c.v);
      }
      out.v = any.empty() ? ctx_.bool_val(false) : z3::mk_or(any);
      out.null = a.null;
      return out;
    }
    case Op::kInTable:
    case Op::kLookup: {
      z3::sort_vector domain(ctx_);
      z3::expr_vector args(ctx_);
      z3::expr null = ctx_.bool_val(false);
      for (size_t i = 0; i < e.kids.size(); ++i) {
        Term a = kid(i);
        null = null || a.null;
        domain.push_back(a.v.get_sort());
        args.push_back(a.v);
      }
      std::string name = fmt::format("{}:{}:{}", e.op == Op::kInTable ? "in" : "lookup", p_.tables[e.index].name, e.name);
      z3::sort range = e.op == Op::kInTable || e.type.kind == TypeKind::kBool ? ctx_.bool_sort() : ctx_.int_sort();
      z3::func_decl f = z3::function(name.c_str(), domain, range);
      z3::func_decl missing = z3::function((name + "?missing").c_str(), domain, ctx_.bool_sort());
      out.v = f(args);
      out.null = e.op == Op::kInTable ? null : null || missing(args);
      out.scale = e.type.kind == TypeKind::kDecimal || e.type.kind == TypeKind::kMoney || e.type.kind == TypeKind::kRate ? e.type.scale : 0;
      if (e.type.kind == TypeKind::kMoney) {
        out.money = true;
        out.cur = e.type.currency >= 0 ? ctx_.int_val(e.type.currency) : z3::function((name + "?currency").c_str(), domain, ctx_.int_sort())(args);
      }
      return out;
    }
    case Op::kIsNull:
    case Op::kIsNotNull: {
      Term a = kid(0);
      out.v = e.op == Op::kIsNull ? a.null : !a.null;
      return out;
    }
    case Op::kMoneyValue: {
      Term a = kid(0);
      a.money = false;
      return a;
    }
    case Op::kMoneyCurrency: {
      Term a = kid(0);
      out.v = a.cur;
      out.null = a.null;
      return out;
    }
    case Op::kConvert: {
      Term a = kid(0), d = kid(1);
      int target_scale = e.type.scale;
      int target = e.type.currency;
      std::string key = fmt::format("{}/{}/{}/{}/{}", a.v.id(), a.cur.id(), d.v.id(), p_.tables[e.index].name, target);
      auto it = s_->conversions.find(key);
      z3::expr result = Fresh("converted");
      if (it != s_->conversions.end()) {
        result = it->second;
      } else {
        // Same currency: the amount itself.  Otherwise an unknown positive rate: the sign is
        // kept (rates are positive), the size is free.
        Term same = a;
        if (target_scale > same.scale) same.v = Scaled(same.v, target_scale - same.scale);
        z3::expr is_same = a.cur == target;
        background_.push_back(z3::implies(is_same, result == same.v));
        background_.push_back(z3::implies(!is_same, (a.v > 0) == (result > 0) && (a.v == 0) == (result == 0)));
        s_->conversions.emplace(key, result);
        s_->conversion_list.push_back(Conversion{p_.tables[e.index].name, a.v, a.cur, d.v, result, a.scale, target_scale, target});
      }
      out.v = result;
      out.scale = target_scale;
      out.money = true;
      out.cur = ctx_.int_val(target);
      out.null = a.null || d.null;
      return out;
    }
    case Op::kDay: {
      Term a = kid(0);
      out.v = LocalDay(a.v, e.name);
      out.null = a.null;
      return out;
    }
    case Op::kCurrencyClass: {
      Term a = kid(0);
      CurrencyId home = LookupCurrency(e.name);
      // The enum sema gives it: 0 = the home currency, 1 = FX.
      out.v = z3::ite(a.cur == static_cast<int>(home), ctx_.int_val(0), ctx_.int_val(1));
      out.null = a.null;
      return out;
    }
    case Op::kMultipleOf: {
      Term a = kid(0), b = kid(1);
      Align(&a, &b);
      out.v = b.v != 0 && z3::mod(a.v, b.v) == 0;
      out.null = a.null || b.null;
      return out;
    }
    case Op::kRatio: {
      Term a = kid(0), b = kid(1);
      out.v = a.v;
      out.scale = a.scale;
      out.ratio = true;
      out.den = b.v;
      out.den_scale = b.scale;
      out.null = a.null || b.null;
      return out;
    }
    case Op::kLength:
    case Op::kMatches:
    case Op::kScreen: {
      Term a = kid(0);
      std::string name = fmt::format("{}:{}", ir::OpName(e.op),
                                     e.op == Op::kMatches ? e.kids[1]->value.s : e.name);
      z3::sort range = e.op == Op::kMatches ? ctx_.bool_sort() : ctx_.int_sort();
      z3::func_decl f = z3::function(name.c_str(), a.v.get_sort(), range);
      out.v = f(a.v);
      out.null = a.null;
      if (e.op == Op::kLength) background_.push_back(out.v >= 0);
      if (e.op == Op::kScreen) {
        out.scale = 4;
        background_.push_back(out.v >= 0 && out.v <= 10000);
      }
      return out;
    }
    case Op::kWeekday: {
      Term a = kid(0);
      out.v = z3::mod(a.v + 3, 7) + 1;  // 1970-01-01 was a Thursday
      out.null = a.null;
      return out;
    }
    case Op::kAbs: {
      Term a = kid(0);
      a.v = z3::ite(a.v < 0, -a.v, a.v);
      return a;
    }
  }
  out.v = Fresh("unknown", e.type.kind == TypeKind::kBool);
  return out;
}

z3::expr Encoder::Niceness(const ir::Layout& layout, int level,
                           const std::vector<RecordVars*>& more) {
  z3::expr_vector nice(ctx_);
  std::vector<RecordVars*> records{&Record(layout)};
  records.insert(records.end(), more.begin(), more.end());
  for (RecordVars* r : records) {
    RecordVars& rec = *r;
    for (size_t i = 0; i < layout.fields.size(); ++i) {
      const ir::Field& f = layout.fields[i];
      const Term& t = rec.fields[i];
      if (t.money) {
        // Cents in a currency that has them (readers reject 0.01 JPY); at level 2, whole units.
        if (t.scale > 2)
          nice.push_back(z3::mod(t.v, ctx_.int_val(Pow10Text(t.scale - 2).c_str())) == 0);
        for (int c = 0; c < CurrencyCount(); ++c) {
          if (CurrencyMinorUnits(static_cast<CurrencyId>(c)) < 2) nice.push_back(t.cur != c);
        }
        if (level >= 2 && t.scale > 0)
          nice.push_back(z3::mod(t.v, ctx_.int_val(Pow10Text(t.scale).c_str())) == 0);
      }
      if (f.type.kind == TypeKind::kTimestamp) {
        int64_t from = static_cast<int64_t>(DaysFromCivil(2026, 1, 1)) * kMicrosPerDay;
        nice.push_back(t.v >= ctx_.int_val(from) && t.v < ctx_.int_val(from + 365 * kMicrosPerDay));
        nice.push_back(z3::mod(t.v, ctx_.int_val(kMicrosPerSecond)) == 0);
      }
      if (f.type.kind == TypeKind::kDate) {
        nice.push_back(t.v >= DaysFromCivil(2026, 1, 1) && t.v < DaysFromCivil(2027, 1, 1));
      }
    }
  }
  for (const AggVar& a : agg_list_) {
    // Sums of amounts in whole cents, as the records they add up.
    if (a.term.money && a.term.scale > 2)
      nice.push_back(z3::mod(a.term.v, ctx_.int_val(Pow10Text(a.term.scale - 2).c_str())) == 0);
  }
  for (const Conversion& c : s_->conversion_list) {
    z3::expr same = c.result_scale >= c.amount_scale
                        ? Scaled(c.amount, c.result_scale - c.amount_scale)
                        : c.amount;
    if (level >= 1) {
      // A rate of exactly 1 keeps the witness's table row exact.
      nice.push_back(c.result == same);
      continue;
    }
    // Level 0: any rate the table can hold exactly (at its scale), so the witness replays.
    const ir::TableDecl* table = p_.FindTable(c.table);
    if (table == nullptr || table->values.empty()) continue;
    int rate_scale = table->values[0].type.scale;
    z3::expr rate = Fresh("rate");
    z3::expr exact = c.result * ctx_.int_val(Pow10Text(c.amount_scale + rate_scale).c_str()) ==
                     c.amount * rate * ctx_.int_val(Pow10Text(c.result_scale).c_str());
    nice.push_back(z3::implies(c.currency != c.target && c.amount != 0, rate > 0 && exact));
  }
  return nice.empty() ? ctx_.bool_val(true) : z3::mk_and(nice);
}

namespace {

bool ModelInt(const z3::model& m, const z3::expr& e, i128* out) {
  return NumeralToI128(m.eval(e, true), out);
}


// A term's value in `m`, as a witness shows it: "null", "51000.00 CNY", "3".
std::string ShowTerm(const z3::model& m, const Term& t) {
  if (m.eval(t.null, true).is_true()) return "null";
  i128 n = 0;
  if (!ModelInt(m, t.v, &n)) return "?";
  std::string shown = t.scale > 0 ? FormatDecimal(n, t.scale) : I128ToString(n);
  i128 c = 0;
  if (t.money && ModelInt(m, t.cur, &c) && c >= 0 && c < CurrencyCount()) shown += " " + std::string(CurrencyCode(static_cast<CurrencyId>(c)));
  return shown;
}

}  // namespace

void Encoder::ExtractRecord(const z3::model& m, const ir::Layout& layout, RecordVars& rec, Witness* w,
                            std::vector<ir::Value>* out) {
  auto NotReplayable = [](Witness* w, std::string why) {
    if (w->replayable) w->not_replayable = std::move(why);
    w->replayable = false;
  };
  std::vector<std::string> used_countries;
  for (const auto& [text, id] : s_->text_ids) {
    if (text.size() == 2 && IsCountryCode(text)) used_countries.push_back(text);
  }
  for (size_t i = 0; i < layout.fields.size(); ++i) {
    const ir::Field& f = layout.fields[i];
    const Term& t = rec.fields[i];
    ir::Value v;
    if (m.eval(t.null, true).is_true()) {
      out->push_back(ir::Value::Null());
      continue;
    }
    i128 n = 0;
    if (f.type.kind == TypeKind::kBool) {
      v = ir::Value::Bool(m.eval(t.v, true).is_true());
    } else if (!ModelInt(m, t.v, &n)) {
      NotReplayable(w, fmt::format("the solver gave no value for `{}`", f.name));
      v = ir::Value::Null();
    } else {
      switch (f.type.kind) {
        case TypeKind::kInteger: v = ir::Value::Integer(static_cast<int64_t>(n)); break;
        case TypeKind::kDecimal:
        case TypeKind::kRate:
          v = ir::Value::Decimal(n, t.scale);
          v.kind = f.type.kind;
          break;
        case TypeKind::kMoney: {
          i128 c = 0;
          ModelInt(m, t.cur, &c);
          if (c < 0 || c >= CurrencyCount()) c = LookupCurrency("CNY");
          // Amounts finer than the currency's minor units would be rejected by a reader.
          int minor = CurrencyMinorUnits(static_cast<CurrencyId>(c));
          if (t.scale > minor && n % Pow10(t.scale - minor) != 0) {
            NotReplayable(w, fmt::format("`{}` has more decimals than {} allows", f.name, CurrencyCode(static_cast<CurrencyId>(c))));
          }
          v = ir::Value::Money(n, t.scale, static_cast<int>(c));
          break;
        }
        case TypeKind::kDate: v = ir::Value::Date(static_cast<int32_t>(n)); break;
        case TypeKind::kTimestamp: v = ir::Value::Timestamp(static_cast<int64_t>(n)); break;
        case TypeKind::kDuration: v = ir::Value::Duration(static_cast<int64_t>(n)); break;
        case TypeKind::kEnum:
          v.kind = TypeKind::kEnum;
          v.null = false;
          v.i = static_cast<int64_t>(n);
          v.enum_id = f.type.ref;
          break;
        case TypeKind::kCurrency:
          v.kind = TypeKind::kCurrency;
          v.null = false;
          v.i = static_cast<int64_t>(n);
          break;
        case TypeKind::kCountry: {
          std::string s = TextOf(static_cast<int64_t>(n));
          if (!IsCountryCode(s)) {
            // A code no rule compares with: any valid one that is not among the literals.
            for (const char* c : {"SG", "FR", "BR", "KE", "NZ", "PE", "IS", "MN"}) {
              if (std::find(used_countries.begin(), used_countries.end(), c) == used_countries.end()) {
                s = c;
                break;
              }
            }
          }
          v = ir::Value::Text(s, TypeKind::kCountry);
          break;
        }
        case TypeKind::kText:
        case TypeKind::kId: v = ir::Value::Text(TextOf(static_cast<int64_t>(n)), f.type.kind); break;
        default: NotReplayable(w, fmt::format("`{}` has a type a record cannot be built with", f.name)); break;
      }
    }
    out->push_back(v);
  }
}

Witness Encoder::Extract(const z3::model& m, const ir::Layout& layout, const std::vector<const ir::Rule*>& rules) {
  Witness w;
  w.layout = layout.name;
  w.replayable = true;
  auto not_replayable = [&](std::string why) {
    if (w.replayable) w.not_replayable = std::move(why);
    w.replayable = false;
  };
  ExtractRecord(m, layout, Record(layout), &w, &w.record);
  // The rules involved: aggregates (not replayable as one record) and conversions' rates.
  for (const ir::Rule* r : rules) {
    if (r->is_aggregate()) not_replayable("it reads aggregates over a group of records");
    bool screens = false;
    ir::ForEachExpr(*r, [&](const ir::Expr& e, const ir::Expr*) { screens = screens || e.op == Op::kScreen; });
    if (screens) not_replayable("it depends on screening scores, and the watch lists are bound at run time");
    for (const AggVar& a : agg_list_) {
      if (a.rule != r->id) continue;
      std::pair<std::string, std::string> shown(a.text, ShowTerm(m, a.term));
      if (std::find(w.aggregates.begin(), w.aggregates.end(), shown) == w.aggregates.end()) w.aggregates.push_back(shown);
    }
  }
  for (const Conversion& c : s_->conversion_list) {
    i128 amount = 0, result = 0, cur = 0, date = 0;
    if (!ModelInt(m, c.amount, &amount) || !ModelInt(m, c.result, &result) || !ModelInt(m, c.currency, &cur) ||
        !ModelInt(m, c.date, &date) || amount == 0 || cur == c.target || cur < 0 || cur >= CurrencyCount()) {
      continue;
    }
    const ir::TableDecl* table = p_.FindTable(c.table);
    if (table == nullptr || table->values.empty()) continue;
    int rate_scale = table->values[0].type.scale;
    // rate = result / amount, at the table's scale, exactly or the witness is not replayable.
    i128 num = result * Pow10(c.amount_scale + rate_scale), den = amount * Pow10(c.result_scale);
    if (den == 0 || num % den != 0) {
      not_replayable(fmt::format("its `{}` rate is not exact at the table's scale", c.table));
      continue;
    }
    TableRow row;
    row.table = c.table;
    row.values.push_back(ir::Value::Date(static_cast<int32_t>(date)));
    ir::Value code;
    code.kind = TypeKind::kCurrency;
    code.null = false;
    code.i = static_cast<int64_t>(cur);
    row.values.push_back(code);
    ir::Value rate = ir::Value::Decimal(num / den, rate_scale);
    rate.kind = table->values[0].type.kind;
    row.values.push_back(rate);
    w.tables.push_back(std::move(row));
  }
  return w;
}


Term Encoder::GroupAggregate(const AggVar& a, std::vector<RecordVars*>& records, z3::expr_vector* constraints) {
  const ir::Rule& rule = *a.def_rule;
  const ir::Agg& agg = *a.def_agg;
  const ir::Layout& layout = *p_.FindLayout(rule.layout);
  // Keys of r, the group's first record.
  std::vector<Term> keys0;
  {
    Scope s;
    s.rule = &rule;
    s.rec = records[0];
    for (const ir::Key& k : rule.keys) keys0.push_back(Encode(*k.expr, s));
  }
  Term out = a.term;
  std::vector<z3::expr> included;  // per record: counted in r's group
  std::vector<Term> args;
  for (RecordVars* rec : records) {
    Scope s;
    s.rule = &rule;
    s.rec = rec;
    z3::expr in = MemberOn(rule, *rec) && NotExemptedOn(rule, *rec);
    for (size_t k = 0; k < rule.keys.size(); ++k) {
      Term x = Encode(*rule.keys[k].expr, s), y = keys0[k];
      if (x.v.get_sort().is_bool() != y.v.get_sort().is_bool()) continue;
      Align(&x, &y);
      in = in && x.null == y.null && (x.null || x.v == y.v);
    }
    if (rule.has_window && layout.time_field >= 0) {
      // r is the anchor: its window holds the group's records from W before it up to it.
      const Term& t = rec->fields[static_cast<size_t>(layout.time_field)];
      const Term& t0 = records[0]->fields[static_cast<size_t>(layout.time_field)];
      in = in && t.v <= t0.v && t.v >= t0.v - ctx_.int_val(rule.window.duration_us);
    }
    if (agg.filter) in = in && Truth(Encode(*agg.filter, s));
    Term arg(ctx_);
    if (agg.arg) {
      arg = Encode(*agg.arg, s);
      if (agg.kind != ir::AggKind::kCount) in = in && !arg.null;
    }
    included.push_back(in);
    args.push_back(arg);
  }
  auto as_int = [&](const z3::expr& b) { return z3::ite(b, ctx_.int_val(1), ctx_.int_val(0)); };
  z3::expr any = ctx_.bool_val(false);
  for (const z3::expr& in : included) any = any || in;
  switch (agg.kind) {
    case ir::AggKind::kCount: {
      z3::expr n = ctx_.int_val(0);
      for (const z3::expr& in : included) n = n + as_int(in);
      out.v = n;
      return out;
    }
    case ir::AggKind::kCountDistinct: {
      z3::expr n = ctx_.int_val(0);
      for (size_t i = 0; i < included.size(); ++i) {
        z3::expr fresh = included[i];
        for (size_t j = 0; j < i; ++j) fresh = fresh && !(included[j] && args[j].v == args[i].v);
        n = n + as_int(fresh);
      }
      out.v = n;
      return out;
    }
    default: break;
  }
  // sum, min, max: at the aggregate's scale, of one currency (a mixed group is an error).
  z3::expr v = ctx_.int_val(0);
  z3::expr has = ctx_.bool_val(false);
  for (size_t i = 0; i < included.size(); ++i) {
    Term x = args[i];
    Term at = a.term;
    Align(&at, &x);
    if (x.money && args[0].money) constraints->push_back(z3::implies(included[i], x.cur == args[0].cur));
    if (agg.kind == ir::AggKind::kSum) {
      v = v + z3::ite(included[i], x.v, ctx_.int_val(0));
    } else {
      z3::expr better = agg.kind == ir::AggKind::kMin ? x.v < v : x.v > v;
      v = z3::ite(included[i] && (!has || better), x.v, v);
    }
    has = has || included[i];
  }
  out.v = v;
  out.null = !has;
  return out;
}

bool Encoder::GroupWitness(const z3::expr& query, const ir::Layout& layout, const std::vector<const ir::Rule*>& rules,
                           Witness* w) {
  for (const ir::Rule* r : rules) {
    bool screens = false;
    ir::ForEachExpr(*r, [&](const ir::Expr& e, const ir::Expr*) { screens = screens || e.op == Op::kScreen; });
    if (screens) return false;  // scores depend on lists bound at run time
  }
  std::vector<const AggVar*> used;
  for (const AggVar& a : agg_list_) {
    if (std::none_of(used.begin(), used.end(), [&](const AggVar* u) { return u->term.v.id() == a.term.v.id(); })) used.push_back(&a);
  }
  if (used.empty()) return false;
  RecordVars& r = Record(layout);
  // More records never make a query unsatisfiable (an extra one may lie outside the group), so
  // the sizes grow quickly; the first that works is shown.
  for (int extra : {0, 1, 2, 3, 5, 9, 17, 31}) {
    std::vector<std::unique_ptr<RecordVars>> owned;
    std::vector<RecordVars*> records{&r};
    z3::expr_vector constraints(ctx_);
    for (int k = 0; k < extra; ++k) {
      owned.push_back(MakeRecord(layout, fmt::format("{}g{}.", prefix_, k + 1)));
      records.push_back(owned.back().get());
      constraints.push_back(owned.back()->domain);
    }
    if (layout.id_field >= 0) {  // the records are distinct transactions
      for (size_t i = 0; i < records.size(); ++i) {
        for (size_t j = i + 1; j < records.size(); ++j) {
          constraints.push_back(records[i]->fields[static_cast<size_t>(layout.id_field)].v !=
                                records[j]->fields[static_cast<size_t>(layout.id_field)].v);
        }
      }
    }
    z3::expr_vector from(ctx_), to(ctx_);
    std::vector<std::pair<std::string, Term>> shown;  // the aggregates of the rules involved, exactly
    for (const AggVar* a : used) {
      Term exact = GroupAggregate(*a, records, &constraints);
      for (const AggVar& b : agg_list_) {
        bool involved = std::any_of(rules.begin(), rules.end(), [&](const ir::Rule* r) { return r->id == b.rule; });
        if (involved && b.term.v.id() == a->term.v.id()) shown.emplace_back(b.text, exact);
      }
      from.push_back(a->term.v);
      to.push_back(exact.v);
      if (a->term.null.is_const() && !a->term.null.is_true() && !a->term.null.is_false()) {
        from.push_back(a->term.null);
        to.push_back(exact.null);
      }
    }
    z3::expr exact_query = z3::expr(query).substitute(from, to);
    z3::solver s(ctx_);
    z3::params params(ctx_);
    params.set("timeout", 5000u);
    s.set(params);
    unsigned asserted = 0;
    CatchUp(s, &asserted);  // after GroupAggregate: its conversions and days are defined
    s.add(exact_query);
    s.add(constraints);
    if (s.check() != z3::sat) continue;
    z3::model m = NiceModel(s, layout, std::vector<RecordVars*>(records.begin() + 1, records.end()));
    Witness group = Extract(m, layout, rules);
    group.aggregates.clear();
    for (const auto& [text, term] : shown) {
      std::pair<std::string, std::string> value(text, ShowTerm(m, term));
      if (std::find(group.aggregates.begin(), group.aggregates.end(), value) == group.aggregates.end()) group.aggregates.push_back(value);
    }
    for (size_t i = 1; i < records.size(); ++i) {
      std::vector<ir::Value> rec;
      ExtractRecord(m, layout, *records[i], &group, &rec);
      group.group.push_back(std::move(rec));
    }
    // Replayable when nothing else stands in the way (a screening score, an inexact rate).
    if (group.not_replayable == "it reads aggregates over a group of records") {
      group.replayable = true;
      group.not_replayable.clear();
      Witness check;  // what Extract says of the record and rates, ignoring the aggregates
      check.replayable = true;
      std::vector<ir::Value> tmp;
      ExtractRecord(m, layout, r, &check, &tmp);
      for (size_t i = 1; i < records.size(); ++i) ExtractRecord(m, layout, *records[i], &check, &tmp);
      if (!check.replayable) {
        group.replayable = false;
        group.not_replayable = check.not_replayable;
      }
    }
    if (!group.replayable) return false;
    *w = std::move(group);
    return true;
  }
  return false;
}

}  // namespace decree::analysis
