// Encoder: witnesses — readable models (Niceness), records and groups extracted from them.
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
    if (r->kind == ir::RuleKind::kPath) not_replayable("it reads a path of transfers across accounts");
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
