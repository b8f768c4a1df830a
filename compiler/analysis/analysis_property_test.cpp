// Property test: on small generated rule sets over a layout with finitely many records, every
// analysis verdict agrees with brute force.
//
// The generator keeps each rule's guard as a formula it can evaluate itself, so the oracle is
// independent of both the Z3 encoding and the runtime: for every one of the layout's 24
// records it computes which rules match, are exempted, are overridden and fire, and from that
// the findings the analysis must report (dead, shadowed, conflict, redundant, gap) — no more, no
// fewer.  The runtime evaluates the same 24 records (RunRecords) and must fire the same rules on
// the same records, which checks the oracle's reading of the language as well.
#include <gtest/gtest.h>

#include <algorithm>
#include <bitset>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/analysis.h"
#include "common/codes.h"
#include "common/decimal.h"
#include "decree/run.h"
#include "testing/replay.h"
#include "driver/compilation.h"

namespace decree::analysis {
namespace {

// The layout: a ∈ {x, y, z}, b ∈ {p, q}, c and d booleans, and m, a positive amount in CNY
// (whole fen, as a reader accepts them).  Guards compare m with 1.00, 1.01 and 2.00 CNY only,
// so every amount behaves like one of kAmounts (each threshold, the fen above it, the fen
// below the lowest): 24 × 8 = 192 records stand for every input.
constexpr int kAmounts[] = {99, 100, 101, 102, 199, 200, 201, 1};  // in fen
constexpr int kThresholds[] = {100, 101, 200};
constexpr int kAmountCount = 8;
constexpr int kRecords = 3 * 2 * 2 * 2 * kAmountCount;
using Bits = std::bitset<kRecords>;
struct Rec {
  int a, b;
  bool c, d;
  int m;  // fen
};
Rec RecordAt(int i) {
  int j = i % 24;
  return Rec{j % 3, (j / 3) % 2, ((j / 6) % 2) != 0, ((j / 12) % 2) != 0, kAmounts[i / 24]};
}
Bits Bit(int i) {
  Bits b;
  b.set(static_cast<size_t>(i));
  return b;
}
std::string Cny(int fen) { return std::to_string(fen / 100) + "." + (fen % 100 < 10 ? "0" : "") + std::to_string(fen % 100) + " CNY"; }

// A guard: an atom or a combination, printable as Decree and evaluable on a record.
struct Formula {
  enum Kind { kAEq, kAIn, kANe, kBEq, kC, kD, kMLt, kMLe, kMGt, kMGe, kNot, kAnd, kOr } kind = kC;
  int value = 0;  // kAEq/kANe/kBEq: the code; kAIn: a bit set of codes; kM*: fen
  std::vector<std::unique_ptr<Formula>> kids;

  bool Eval(const Rec& r) const {
    switch (kind) {
      case kAEq: return r.a == value;
      case kAIn: return ((value >> r.a) & 1) != 0;
      case kANe: return r.a != value;
      case kBEq: return r.b == value;
      case kC: return r.c;
      case kD: return r.d;
      case kMLt: return r.m < value;
      case kMLe: return r.m <= value;
      case kMGt: return r.m > value;
      case kMGe: return r.m >= value;
      case kNot: return !kids[0]->Eval(r);
      case kAnd: return kids[0]->Eval(r) && kids[1]->Eval(r);
      case kOr: return kids[0]->Eval(r) || kids[1]->Eval(r);
    }
    return false;
  }
  std::string Print() const {
    static const char* kA[] = {"x", "y", "z"};
    static const char* kB[] = {"p", "q"};
    switch (kind) {
      case kAEq: return std::string("r.a = ") + kA[value];
      case kANe: return std::string("r.a != ") + kA[value];
      case kAIn: {
        std::string s = "r.a in {";
        bool first = true;
        for (int i = 0; i < 3; ++i) {
          if (((value >> i) & 1) == 0) continue;
          s += (first ? "" : ", ") + std::string(kA[i]);
          first = false;
        }
        return s + "}";
      }
      case kBEq: return std::string("r.b = ") + kB[value];
      case kC: return "r.c";
      case kD: return "r.d";
      case kMLt: return "r.m < " + Cny(value);
      case kMLe: return "r.m <= " + Cny(value);
      case kMGt: return "r.m > " + Cny(value);
      case kMGe: return "r.m >= " + Cny(value);
      case kNot: return "not (" + kids[0]->Print() + ")";
      case kAnd: return "(" + kids[0]->Print() + " and " + kids[1]->Print() + ")";
      case kOr: return "(" + kids[0]->Print() + " or " + kids[1]->Print() + ")";
    }
    return "";
  }
};

std::unique_ptr<Formula> RandomFormula(std::mt19937_64& rng, int depth) {
  auto f = std::make_unique<Formula>();
  int pick = static_cast<int>(rng() % (depth > 0 ? 10 : 7));
  if (pick == 6) {  // an amount against a threshold
    f->kind = static_cast<Formula::Kind>(Formula::kMLt + static_cast<int>(rng() % 4));
    f->value = kThresholds[rng() % 3];
    return f;
  }
  if (pick > 6) --pick;
  switch (pick) {
    case 0: f->kind = Formula::kAEq; f->value = static_cast<int>(rng() % 3); break;
    case 1: f->kind = Formula::kAIn; f->value = 1 + static_cast<int>(rng() % 6); break;  // a non-empty subset
    case 2: f->kind = Formula::kANe; f->value = static_cast<int>(rng() % 3); break;
    case 3: f->kind = Formula::kBEq; f->value = static_cast<int>(rng() % 2); break;
    case 4: f->kind = Formula::kC; break;
    case 5: f->kind = Formula::kD; break;
    case 6: f->kind = Formula::kNot; f->kids.push_back(RandomFormula(rng, depth - 1)); break;
    default:
      f->kind = pick == 7 ? Formula::kAnd : Formula::kOr;
      f->kids.push_back(RandomFormula(rng, depth - 1));
      f->kids.push_back(RandomFormula(rng, depth - 1));
      break;
  }
  return f;
}

// Verdicts: block and allow conflict, as do two classifications of `tier` to different values.
const char* kVerdicts[] = {"block", "allow", "flag review", "flag hold", "classify tier as hi", "classify tier as lo"};
bool Incompatible(int x, int y) {
  return (x == 0 && y == 1) || (x == 1 && y == 0) || (x == 4 && y == 5) || (x == 5 && y == 4);
}

struct GenRule {
  std::string name;
  std::unique_ptr<Formula> where, when;
  int verdict = 0;
  std::vector<int> overrides;  // indices of earlier rules
};
struct GenExempt {
  std::string name;
  std::unique_ptr<Formula> when;
  std::vector<int> applies_to;  // empty: every rule
};
struct GenCase {
  std::string name;
  std::unique_ptr<Formula> when;  // null: always
  int verdict = 4;
};
struct GenProgram {
  std::vector<GenRule> rules;
  std::vector<GenExempt> exempts;
  std::vector<GenCase> cases;  // one decision, `exhaustive`, when non-empty
  std::unique_ptr<Formula> scope;  // the decision's `where`, or null
  Bits scope_bits;                 // the records it admits
  std::string text;
};

GenProgram Generate(uint64_t seed) {
  std::mt19937_64 rng(seed);
  GenProgram g;
  int n = 2 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n; ++i) {
    GenRule r;
    r.name = "r" + std::to_string(i);
    // Often a copy of an earlier rule's guard or verdict: duplicates and conflicts are the point.
    if (i > 0 && rng() % 4 == 0) {
      const GenRule& e = g.rules[rng() % static_cast<uint64_t>(i)];
      // The same guard as `e`, or `e`'s guard narrowed by one atom.
      auto copy = [](auto& self, const Formula& f) -> std::unique_ptr<Formula> {
        auto c = std::make_unique<Formula>();
        c->kind = f.kind;
        c->value = f.value;
        for (const auto& k : f.kids) c->kids.push_back(self(self, *k));
        return c;
      };
      if (rng() % 2 == 0) {
        r.where = copy(copy, *e.where);
        // Written in another order: `a and b` as `b and a` (the same filter).
        if (r.where->kind == Formula::kAnd || r.where->kind == Formula::kOr) std::swap(r.where->kids[0], r.where->kids[1]);
      } else {
        auto both = std::make_unique<Formula>();
        both->kind = Formula::kAnd;
        both->kids.push_back(copy(copy, *e.where));
        both->kids.push_back(RandomFormula(rng, 0));
        r.where = std::move(both);
      }
      r.verdict = rng() % 2 == 0 ? e.verdict : static_cast<int>(rng() % 6);
    } else {
      r.where = RandomFormula(rng, 2);
      r.verdict = static_cast<int>(rng() % 6);
    }
    if (rng() % 4 == 0) r.when = RandomFormula(rng, 1);
    if (i > 0 && rng() % 5 == 0) r.overrides.push_back(static_cast<int>(rng() % static_cast<uint64_t>(i)));
    g.rules.push_back(std::move(r));
  }
  int e = static_cast<int>(rng() % 3);
  for (int i = 0; i < e; ++i) {
    GenExempt x;
    x.name = "e" + std::to_string(i);
    x.when = RandomFormula(rng, 1);
    if (rng() % 2 == 0) x.applies_to.push_back(static_cast<int>(rng() % static_cast<uint64_t>(n)));
    g.exempts.push_back(std::move(x));
  }
  if (rng() % 3 == 0) {
    int k = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < k; ++i) {
      GenCase c;
      c.name = "k" + std::to_string(i);
      if (i + 1 < k || rng() % 2 == 0) c.when = RandomFormula(rng, 1);
      c.verdict = 4 + static_cast<int>(rng() % 2);
      g.cases.push_back(std::move(c));
    }
    if (rng() % 2 == 0) g.scope = RandomFormula(rng, 1);  // a scoped decision
  }
  for (int i = 0; i < kRecords; ++i) {
    if (!g.scope || g.scope->Eval(RecordAt(i))) g.scope_bits.set(static_cast<size_t>(i));
  }

  std::string& t = g.text;
  t = "ruleset gen.p\n  timezone \"UTC\"\n\n";
  t += "layout R from csv key id time at {\n  id: id\n  at: timestamp\n  a: enum { x, y, z }\n"
       "  b: enum { p, q }\n  c: bool\n  d: bool\n  m: money(CNY) positive\n}\n\n";
  for (const GenExempt& x : g.exempts) {
    t += "exempt " + x.name + " \"" + x.name + "\" for R r";
    if (!x.applies_to.empty()) t += " applies to " + g.rules[static_cast<size_t>(x.applies_to[0])].name;
    t += " when " + x.when->Print() + "\n";
  }
  for (const GenRule& r : g.rules) {
    t += "rule " + r.name + " \"" + r.name + "\" for R r where " + r.where->Print();
    if (r.when) t += " when " + r.when->Print();
    t += std::string(" then ") + kVerdicts[r.verdict];
    for (int o : r.overrides) t += " overrides " + g.rules[static_cast<size_t>(o)].name;
    t += "\n";
  }
  if (!g.cases.empty()) {
    t += "decide tiers \"tiers\" for R r" + (g.scope ? " where " + g.scope->Print() : "") + " exhaustive {\n";
    for (const GenCase& c : g.cases) {
      t += "  case " + c.name + ":";
      if (c.when) t += " when " + c.when->Print();
      t += std::string(" then ") + kVerdicts[c.verdict] + "\n";
    }
    t += "}\n";
  }
  return g;
}

using Key = std::tuple<std::string, std::string, std::string>;  // kind, rule, other

// What the analysis must report, by enumerating every record.
struct Oracle {
  // Per rule (top-level rules, then decision cases): matched and fired record sets as bits.
  std::vector<std::string> ids;
  std::vector<Bits> raw, fires;
  std::set<Key> expected;
};

Oracle Expect(const GenProgram& g) {
  Oracle o;
  const std::string p = "gen.p.";
  size_t n = g.rules.size(), k = g.cases.size();
  std::vector<int> verdict;
  std::vector<bool> in_decision;
  for (const GenRule& r : g.rules) {
    o.ids.push_back(p + r.name);
    verdict.push_back(r.verdict);
    in_decision.push_back(false);
  }
  for (const GenCase& c : g.cases) {
    o.ids.push_back(p + "tiers." + c.name);
    verdict.push_back(c.verdict);
    in_decision.push_back(true);
  }
  size_t total = n + k;
  o.raw.assign(total, Bits());
  o.fires.assign(total, Bits());
  std::vector<Bits> exempt_sets(g.exempts.size());
  // exempted[r]: the exemptions that apply to rule r (every rule of the layout, or those named).
  std::vector<std::vector<size_t>> exempted(total);
  for (size_t e = 0; e < g.exempts.size(); ++e) {
    for (size_t r = 0; r < total; ++r) {
      if (g.exempts[e].applies_to.empty() || (r < n && static_cast<int>(r) == g.exempts[e].applies_to[0])) exempted[r].push_back(e);
    }
  }
  for (int i = 0; i < kRecords; ++i) {
    Rec rec = RecordAt(i);
    Bits bit = Bit(i);
    for (size_t e = 0; e < g.exempts.size(); ++e) {
      if (g.exempts[e].when->Eval(rec)) exempt_sets[e] |= bit;
    }
    for (size_t r = 0; r < n; ++r) {
      if (g.rules[r].where->Eval(rec) && (!g.rules[r].when || g.rules[r].when->Eval(rec))) o.raw[r] |= bit;
    }
    bool earlier = false;  // a case matches first
    bool in_scope = !g.scope || g.scope->Eval(rec);
    for (size_t c = 0; c < k; ++c) {
      bool m = in_scope && (!g.cases[c].when || g.cases[c].when->Eval(rec));
      if (m && !earlier) o.raw[n + c] |= bit;
      earlier = earlier || m;
    }
  }
  auto exempt_of = [&](size_t r) {
    Bits s;
    for (size_t e : exempted[r]) s |= exempt_sets[e];
    return s;
  };
  // A rule is dropped on a record where a rule overriding it matches (raw, not exempted).
  std::vector<std::vector<size_t>> overridden_by(total);
  for (size_t r = 0; r < n; ++r) {
    for (int x : g.rules[r].overrides) overridden_by[static_cast<size_t>(x)].push_back(r);
  }
  std::vector<Bits> matches(total);
  for (size_t r = 0; r < total; ++r) matches[r] = o.raw[r] & ~exempt_of(r);
  for (size_t r = 0; r < total; ++r) {
    Bits f = matches[r];
    for (size_t w : overridden_by[r]) f &= ~matches[w];
    o.fires[r] = f;
  }
  std::vector<bool> never(total, false);
  for (size_t r = 0; r < total; ++r) {
    if (o.raw[r].none()) {
      o.expected.emplace("dead", o.ids[r], "");
      never[r] = true;
    } else if (o.fires[r].none()) {
      std::vector<std::string> by;
      for (size_t e : exempted[r]) {
        if ((o.raw[r] & ~exempt_sets[e]).none()) by.push_back(p + g.exempts[e].name);
      }
      for (size_t w : overridden_by[r]) {
        if ((o.raw[r] & ~matches[w]).none()) by.push_back(o.ids[w]);
      }
      o.expected.emplace("shadowed", o.ids[r], by.size() == 1 ? by[0] : "");
      never[r] = true;
    }
  }
  for (size_t a = 0; a < total; ++a) {
    for (size_t b = a + 1; b < total; ++b) {
      bool settled = false;
      if (a < n && b < n) {
        auto over = [&](size_t x, size_t y) {
          return std::find(g.rules[x].overrides.begin(), g.rules[x].overrides.end(), static_cast<int>(y)) != g.rules[x].overrides.end();
        };
        settled = over(a, b) || over(b, a);
      }
      bool conflict = Incompatible(verdict[a], verdict[b]) && !settled;
      bool same = verdict[a] == verdict[b] && !in_decision[a] && !in_decision[b];
      if (conflict && !never[a] && !never[b] && (o.fires[a] & o.fires[b]).any()) o.expected.emplace("conflict", o.ids[a], o.ids[b]);
      if (same) {
        bool a_in_b = !never[a] && (o.fires[a] & ~o.fires[b]).none();
        bool b_in_a = !never[b] && (o.fires[b] & ~o.fires[a]).none();
        if (a_in_b && b_in_a) {
          o.expected.emplace("redundant", o.ids[b], o.ids[a]);
        } else if (a_in_b) {
          o.expected.emplace("redundant", o.ids[a], o.ids[b]);
        } else if (b_in_a) {
          o.expected.emplace("redundant", o.ids[b], o.ids[a]);
        }
      }
    }
  }
  if (k > 0) {
    Bits any;
    for (size_t c = 0; c < k; ++c) any |= o.fires[n + c];
    Bits scope = g.scope_bits & ~exempt_of(n);
    if ((scope & ~any).any()) o.expected.emplace("gap", p + "tiers", "");
  }
  return o;
}

class AnalysisPropertyTest : public testing::TestWithParam<uint64_t> {};

TEST_P(AnalysisPropertyTest, AgreesWithBruteForce) {
  int checked = 0, with_findings = 0;
  std::map<std::string, int> kinds;
  for (uint64_t seed = GetParam() * 1000; seed < GetParam() * 1000 + 40; ++seed) {
    GenProgram g = Generate(seed);
    SCOPED_TRACE("seed " + std::to_string(seed) + ":\n" + g.text);
    CompileOptions co;
    co.inline_sources = {{"gen.decree", g.text}};
    Compilation c(co);
    ASSERT_TRUE(c.Run()) << "the generated program does not compile";
    const ir::Program& program = c.program();
    Oracle o = Expect(g);

    // The runtime fires the same rules on the same records as the oracle.
    const ir::Layout* layout = program.FindLayout("gen.p.R");
    ASSERT_NE(layout, nullptr);
    std::vector<std::vector<ir::Value>> records;
    for (int i = 0; i < kRecords; ++i) {
      Rec r = RecordAt(i);
      records.push_back({ir::Value::Text("T" + std::to_string(i), ir::TypeKind::kId), ir::Value::Timestamp(1772323200000000),
                         ir::Value::Enum(layout->fields[2].type.ref, r.a), ir::Value::Enum(layout->fields[3].type.ref, r.b),
                         ir::Value::Bool(r.c), ir::Value::Bool(r.d),
                         ir::Value::Money(static_cast<i128>(r.m) * Pow10(layout->fields[6].type.scale - 2), layout->fields[6].type.scale,
                                          LookupCurrency("CNY"))});
    }
    RunResult run;
    ASSERT_TRUE(RunRecords(program, "gen.p.R", records, {}, &run).ok());
    std::map<std::string, Bits> fired;
    for (const decree::Finding& f : run.findings) {
      for (const std::string& id : f.txn_ids) fired[f.rule] |= Bit(std::stoi(id.substr(1)));
    }
    for (size_t r = 0; r < o.ids.size(); ++r) {
      EXPECT_EQ(fired[o.ids[r]], o.fires[r]) << o.ids[r] << ": the runtime and the oracle disagree on where it fires";
    }

    Options opt;
    opt.timeout_ms = 60000;
    Report report;
    ASSERT_TRUE(Analyze(program, opt, &report).ok());
    std::set<Key> got;
    for (const analysis::Finding& f : report.findings) {
      EXPECT_FALSE(f.unknown) << f.rule << ": " << f.message;
      got.emplace(KindName(f.kind), f.rule, f.other);
      ++kinds[KindName(f.kind)];
      // A replayable witness agrees with where the oracle says the rules fire.
      if (f.has_witness && f.witness.replayable && f.kind == Kind::kConflict) {
        const std::vector<ir::Value>& w = f.witness.record;
        int fen = static_cast<int>(w[6].m / Pow10(w[6].scale - 2));
        // The class of the witness's amount: the one of kAmounts on the same side of every
        // threshold.
        int mi = 0;
        for (int k = kAmountCount - 1; k >= 0; --k) {
          bool same = true;
          for (int t : kThresholds) same = same && (fen < t) == (kAmounts[k] < t) && (fen == t) == (kAmounts[k] == t);
          if (same) mi = k;
        }
        int i = static_cast<int>(w[2].i) + 3 * static_cast<int>(w[3].i) + 6 * static_cast<int>(w[4].i) + 12 * static_cast<int>(w[5].i) + 24 * mi;
        for (const std::string& id : {f.rule, f.other}) {
          auto it = std::find(o.ids.begin(), o.ids.end(), id);
          ASSERT_NE(it, o.ids.end());
          EXPECT_TRUE(o.fires[static_cast<size_t>(it - o.ids.begin())].test(static_cast<size_t>(i))) << id << " does not fire on the witness";
        }
      }
    }
    EXPECT_EQ(got, o.expected);
    ++checked;
    with_findings += o.expected.empty() ? 0 : 1;
  }
  // Not vacuous: most programs have findings, and of several kinds.
  EXPECT_EQ(checked, 40);
  EXPECT_GE(with_findings, 20);
  EXPECT_GE(kinds.size(), 4u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, AnalysisPropertyTest, testing::Values(1, 2, 3, 4, 5));
// Aggregates over a positive amount: the filter's bounds and positivity decide whether a group
// can meet the guard.  Groups are multisets of records of one `a` that pass the filter (any
// number of each), so over the amount classes above: a sum reaches any size (`sum >= C` can
// hold as soon as one record passes) but is at least its smallest member (`sum < C` needs a
// member below C); min and max are a member's value (`min < C` needs a member below C, `min >=
// C` one at or above it); a count is at least 1.  The filter is an enum/bool formula and bounds
// on the amount as conjuncts: what the analysis reads bounds from.  Each rule flags its own
// kind, so the only findings are dead rules, which brute force decides exactly.
struct AggRule {
  std::unique_ptr<Formula> filter;
  std::vector<std::unique_ptr<Formula>> bounds;  // amount comparisons, as conjuncts
  int agg = 0;                                   // sum, min, max, count
  int op = 0;                                    // <, <=, >, >=
  int threshold = 0;                             // fen (sum, min, max) or a count
};

bool Compare(int op, int x, int y) { return op == 0 ? x < y : op == 1 ? x <= y : op == 2 ? x > y : x >= y; }

TEST(AnalysisPropertyTest, AggregatesOverPositiveAmountsAgreeWithBruteForce) {
  static const char* kOps[] = {"<", "<=", ">", ">="};
  static const char* kAggs[] = {"sum(r.m)", "min(r.m)", "max(r.m)", "count(r)"};
  int dead = 0, alive = 0;
  for (uint64_t seed = 9000; seed < 9060; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<AggRule> rules(1 + rng() % 3);
    std::string t = "ruleset gen.g\n  timezone \"UTC\"\n\n";
    t += "layout R from csv key id time at {\n  id: id\n  at: timestamp\n  a: enum { x, y, z }\n"
         "  b: enum { p, q }\n  c: bool\n  d: bool\n  m: money(CNY) positive\n}\n\n";
    std::set<std::string> expected;
    for (size_t i = 0; i < rules.size(); ++i) {
      AggRule& r = rules[i];
      r.filter = RandomFormula(rng, 1);
      while (r.filter->kind >= Formula::kMLt && r.filter->kind <= Formula::kMGe) r.filter = RandomFormula(rng, 1);
      int nb = static_cast<int>(rng() % 3);
      for (int b = 0; b < nb; ++b) {
        auto f = std::make_unique<Formula>();
        f->kind = static_cast<Formula::Kind>(Formula::kMLt + static_cast<int>(rng() % 4));
        f->value = kThresholds[rng() % 3];
        r.bounds.push_back(std::move(f));
      }
      r.agg = static_cast<int>(rng() % 4);
      r.op = static_cast<int>(rng() % 4);
      r.threshold = r.agg == 3 ? 1 + static_cast<int>(rng() % 2) : kThresholds[rng() % 3];
      std::string where = r.filter->Print();
      for (const auto& b : r.bounds) where += " and " + b->Print();
      std::string name = "g" + std::to_string(i);
      t += "rule " + name + " \"" + name + "\" for R r where " + where + " per r.a when " + kAggs[r.agg] + " " + kOps[r.op] + " " +
           (r.agg == 3 ? std::to_string(r.threshold) : Cny(r.threshold)) + " then flag " + name + "\n";
      // Brute force: the records that pass the filter, and whether a group of them meets the guard.
      bool any = false, member_ok = false;
      for (int k = 0; k < kRecords; ++k) {
        Rec rec = RecordAt(k);
        bool pass = r.filter->Eval(rec);
        for (const auto& b : r.bounds) pass = pass && b->Eval(rec);
        if (!pass) continue;
        any = true;
        member_ok = member_ok || Compare(r.op, rec.m, r.threshold);
      }
      bool can = false;
      if (r.agg == 3) {
        can = any && (r.op >= 2 || (r.op == 1 ? r.threshold >= 1 : r.threshold > 1));  // some count n >= 1 meets it
      } else if (r.agg == 0 && r.op >= 2) {
        can = any;  // enough members make any sum
      } else {
        can = member_ok;
      }
      if (!can) expected.insert("gen.g." + name);
      (can ? alive : dead) += 1;
    }
    SCOPED_TRACE("seed " + std::to_string(seed) + ":\n" + t);
    CompileOptions co;
    co.inline_sources = {{"gen.decree", t}};
    Compilation c(co);
    ASSERT_TRUE(c.Run()) << "the generated program does not compile";
    Options opt;
    opt.timeout_ms = 60000;
    Report report;
    ASSERT_TRUE(Analyze(c.program(), opt, &report).ok());
    std::set<std::string> got;
    for (const analysis::Finding& f : report.findings) {
      EXPECT_EQ(f.kind, Kind::kDead) << f.rule << ": " << f.message;
      EXPECT_FALSE(f.unknown) << f.rule;
      got.insert(f.rule);
    }
    EXPECT_EQ(got, expected);
  }
  // Not vacuous: both answers occur often.
  EXPECT_GE(dead, 15);
  EXPECT_GE(alive, 15);
}


}  // namespace
}  // namespace decree::analysis

namespace decree::analysis {
namespace {

// The cache answers only what it was asked: programs compiled from source (whose rules carry
// no stored hash) share one cache file without reading each other's answers, and an edited
// rule's queries run again while the rest come from the cache.
TEST(AnalysisCacheTest, KeysFollowMeaning) {
  std::string cache = testing::TempDir() + "/decree-analysis-cache-test.db";
  std::remove(cache.c_str());
  auto analyze = [&](uint64_t seed, const std::string& path, Report* report) {
    CompileOptions co;
    co.inline_sources = {{"gen.decree", Generate(seed).text}};
    Compilation c(co);
    ASSERT_TRUE(c.Run());
    Options o;
    o.cache_path = path;
    ASSERT_TRUE(Analyze(c.program(), o, report).ok());
  };
  auto keys = [](const Report& r) {
    std::set<Key> out;
    for (const analysis::Finding& f : r.findings) out.emplace(KindName(f.kind), f.rule, f.other);
    return out;
  };
  for (uint64_t seed = 7000; seed < 7020; ++seed) {
    Report uncached, cached, again;
    analyze(seed, "", &uncached);
    analyze(seed, cache, &cached);
    EXPECT_EQ(keys(cached), keys(uncached)) << "seed " << seed;
    analyze(seed, cache, &again);
    EXPECT_EQ(keys(again), keys(uncached)) << "seed " << seed;
    EXPECT_EQ(again.stats.queries, 0u) << "seed " << seed << ": a second run of the same program asks the solver";
  }
  std::remove(cache.c_str());
}

}  // namespace
}  // namespace decree::analysis
