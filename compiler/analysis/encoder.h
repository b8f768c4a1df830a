// Rules as Z3 formulas over one record of their layout.
//
// Every value is an integer term: decimals, money and rates at their scale (exactly as the
// runtime holds them), dates in days, timestamps and durations in microseconds, enums by
// code, currencies by their ISO 4217 index, texts by an id shared by equal string literals.
// SQL's three-valued logic is kept: each term has a `null` condition, and a guard holds when
// its term is true and not null.  What the solver cannot see — table lookups, screening scores,
// regular expressions, lengths — is uninterpreted: consistent for equal arguments, otherwise
// free, so the encoding admits every input the runtime could meet (and possibly more).
#pragma once

#include <z3++.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "ir/ir.h"
#include "common/timezone.h"

namespace decree::analysis {

struct Term {
  z3::expr v;     // Bool for booleans, Int for everything else
  z3::expr null;  // Bool
  int scale = 0;  // decimal, money, rate: v is the value times 10^scale
  bool money = false;
  z3::expr cur;   // money: the currency index
  bool ratio = false;
  z3::expr den;   // ratio: v / den, both at `scale`
  int den_scale = 0;
  Term(z3::context& c) : v(c), null(c), cur(c), den(c) {}
};

// The variables of one record of a layout.
struct RecordVars {
  const ir::Layout* layout = nullptr;
  std::vector<Term> fields;
  z3::expr domain;  // what every field's type admits (enum ranges, positive amounts, …)
  explicit RecordVars(z3::context& c) : domain(c) {}
};

class Encoder {
 public:
  // `prefix` names the encoder's fresh variables.  With `share_with`, the two encoders (two
  // versions of a library) read the same record and the same data: text ids, local days,
  // conversions, table lookups, and aggregates whose population and definition are the same.
  Encoder(z3::context& ctx, const ir::Program& program, std::string prefix = "", Encoder* share_with = nullptr);

  // The record `r` of a layout (one per layout: every rule over it reads the same record, so
  // two rules firing "on one input" is the conjunction of their formulas).
  RecordVars& Record(const ir::Layout& layout);

  // Rule formulas over the layout's record.  `raw`: the rule's own guard (effective period,
  // where, unless, when — or for `require`, the condition failing); `exempted`: an exemption
  // rule matches the record; `matches`: raw and not exempted; `fires`: matches and no rule
  // that overrides it matches (docs/language.md, "Exemptions and precedence").  Aggregate
  // rules include their aggregates' constraints.
  z3::expr Raw(const ir::Rule& rule);
  z3::expr Exempted(const ir::Rule& exemption);
  z3::expr Matches(const ir::Rule& rule);
  z3::expr Fires(const ir::Rule& rule);
  // The rule's records in its effective period and not exempted (a decision's domain).
  z3::expr InScope(const ir::Rule& rule);

  // Asserts into `s` what the formulas assume about inputs (field domains, aggregate bounds,
  // offsets) that it does not hold yet; `*asserted` counts the constraints it holds.  The background only grows (definitions of fresh variables, field domains), so
  // one solver serves a whole run, each query inside a push/pop.
  void CatchUp(z3::solver& s, unsigned* asserted) const;

  // Reads a record (and the aggregates and table rows that go with it) out of a model.
  Witness Extract(const z3::model& m, const ir::Layout& layout, const std::vector<const ir::Rule*>& rules);

  // Constraints that make a witness easy to read and replay when they can hold: amounts in
  // cents (levels 0 and 1) or whole units (level 2), timestamps in 2026, conversion rates of 1
  // (levels 1 and 2) or at least exact at the rates table's scale (level 0).  Tried after a
  // satisfiable query, level 2 first; dropped if they make it unsatisfiable.
  z3::expr Niceness(const ir::Layout& layout, int level, const std::vector<RecordVars*>& more = {});
  // The model of `s`, whose last check was sat, as readable as Niceness can make it.
  z3::model NiceModel(z3::solver& s, const ir::Layout& layout, const std::vector<RecordVars*>& more = {});

  // A witness for `query` (satisfiable) whose aggregates are those of an actual group: r and
  // up to 31 more records of its group, found by a solver of its own.  False when none is
  // found (the finding then keeps its single-record witness, not replayed).
  bool GroupWitness(const z3::expr& query, const ir::Layout& layout, const std::vector<const ir::Rule*>& rules, Witness* w);

  // Whether the rule's formula reads aggregates (then a witness cannot be replayed).
  bool UsesAggregates(const ir::Rule& rule) const { return rule.is_aggregate() || rule.kind == ir::RuleKind::kPath; }

  z3::context& ctx() { return ctx_; }

 private:
  struct Scope;
  Term Encode(const ir::Expr& e, Scope& scope);
  // Encode() by operator family (encoder_expr.cpp).
  Term EncodeLogic(const ir::Expr& e, Scope& scope);
  Term EncodeCompare(const ir::Expr& e, Scope& scope);
  Term EncodeArith(const ir::Expr& e, Scope& scope);
  Term EncodeMoney(const ir::Expr& e, Scope& scope);
  Term EncodeTable(const ir::Expr& e, Scope& scope);
  Term EncodeTimeText(const ir::Expr& e, Scope& scope);
  Term Const(const ir::Value& v, const ir::Type& t);
  Term Field(const ir::Field& f, const std::string& name);
  z3::expr Truth(const Term& t);  // true and not null
  z3::expr Fresh(const char* what, bool boolean = false);
  z3::expr Effective(const ir::Rule& rule);
  z3::expr EffectiveOn(const ir::Rule& rule, RecordVars& rec);
  z3::expr Member(const ir::Rule& rule);       // period, where, unless
  z3::expr MemberOn(const ir::Rule& rule, RecordVars& rec);
  z3::expr NotExemptedOn(const ir::Rule& rule, RecordVars& rec);
  std::unique_ptr<RecordVars> MakeRecord(const ir::Layout& layout, const std::string& prefix);
  void ExtractRecord(const z3::model& m, const ir::Layout& layout, RecordVars& rec, Witness* w, std::vector<ir::Value>* out);
  z3::expr NotExempted(const ir::Rule& rule);
  z3::expr LocalDay(const z3::expr& micros, const std::string& tz);
  void Align(Term* a, Term* b);
  z3::expr Scaled(const z3::expr& v, int by);
  z3::expr TextId(const std::string& s);
  std::string TextOf(int64_t id) const;
  std::string PopulationKey(const ir::Rule& rule) const;
  std::string Fingerprint(const ir::Rule& rule) const;
  // Whether `differ` is unsatisfiable under the shared background (2 s; unknown: no).
  bool Equivalent(const z3::expr& differ);
  void AddAggregates(const ir::Rule& rule, Scope& scope);
  void AddPathAttributes(const ir::Rule& rule, Scope& scope);
  bool NonNegative(const ir::Expr& e, const ir::Layout& layout) const;
  // Money read from data: a whole number of its currency's minor units (0.01 CNY, 1 JPY).
  z3::expr MinorUnits(const Term& t);

  z3::context& ctx_;
  const ir::Program& p_;
  struct Conversion {
    std::string table;
    z3::expr amount, currency, date, result;
    int amount_scale, result_scale, target;
  };
  struct AggVar {
    std::string rule, text;
    Term term;
    const ir::Rule* def_rule;  // what the variable stands for: this aggregate of this rule's groups
    const ir::Agg* def_agg;
  };
  // An aggregate variable's population and definition, to recognise the same aggregate of an
  // equivalent population written differently.
  struct SharedPopulation {
    std::string key;          // into Shared::aggregates
    std::string fingerprint;  // columns and constants read (see Fingerprint)
    ir::AggKind agg_kind;
    bool has_arg;
    z3::expr member, filter_ok;
    Term arg;
    std::vector<Term> keys;
  };
  // What is a function of the input data, whichever program reads it.
  struct Shared {
    std::map<std::string, std::unique_ptr<RecordVars>> records;
    std::map<std::string, int64_t> text_ids;
    std::map<int64_t, std::string> text_of;
    std::map<std::string, std::shared_ptr<const TimeZone>> zones;
    std::map<std::string, z3::expr> days;         // (micros term, zone) -> local day variable
    std::map<std::string, z3::expr> conversions;  // (amount, date, table, currency) -> converted amount
    std::vector<Conversion> conversion_list;
    std::map<std::string, Term> aggregates;       // population + aggregate -> variable
    std::vector<SharedPopulation> populations;    // each aggregate variable's definition
    std::unique_ptr<z3::solver> eq_solver;        // for Equivalent
    std::map<const Encoder*, unsigned> eq_asserted;
  };
  // The exact value of aggregate `a` over the group of r (records[0]) among `records`.
  Term GroupAggregate(const AggVar& a, std::vector<RecordVars*>& records, z3::expr_vector* constraints);

  std::shared_ptr<Shared> s_;
  std::vector<AggVar> agg_list_;  // this program's rules' aggregates
  std::map<std::string, z3::expr> raw_, fires_, exempted_;
  z3::expr_vector background_;
  std::string prefix_;
  int fresh_ = 0;
};

}  // namespace decree::analysis
