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
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "analysis/analysis.h"
#include "decree/run.h"
#include "decree/testing.h"
#include "driver/compilation.h"

namespace decree::analysis {
namespace {

// The layout: a ∈ {x, y, z}, b ∈ {p, q}, c and d booleans: 24 records.
constexpr int kRecords = 3 * 2 * 2 * 2;
struct Rec {
  int a, b;
  bool c, d;
};
Rec RecordAt(int i) { return Rec{i % 3, (i / 3) % 2, ((i / 6) % 2) != 0, ((i / 12) % 2) != 0}; }

// A guard: an atom or a combination, printable as Decree and evaluable on a record.
struct Formula {
  enum Kind { kAEq, kAIn, kANe, kBEq, kC, kD, kNot, kAnd, kOr } kind = kC;
  int value = 0;  // kAEq/kANe/kBEq: the code; kAIn: a bit set of codes
  std::vector<std::unique_ptr<Formula>> kids;

  bool Eval(const Rec& r) const {
    switch (kind) {
      case kAEq: return r.a == value;
      case kAIn: return ((value >> r.a) & 1) != 0;
      case kANe: return r.a != value;
      case kBEq: return r.b == value;
      case kC: return r.c;
      case kD: return r.d;
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
      case kNot: return "not (" + kids[0]->Print() + ")";
      case kAnd: return "(" + kids[0]->Print() + " and " + kids[1]->Print() + ")";
      case kOr: return "(" + kids[0]->Print() + " or " + kids[1]->Print() + ")";
    }
    return "";
  }
};

std::unique_ptr<Formula> RandomFormula(std::mt19937_64& rng, int depth) {
  auto f = std::make_unique<Formula>();
  int pick = static_cast<int>(rng() % (depth > 0 ? 9 : 6));
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
  }

  std::string& t = g.text;
  t = "ruleset gen.p\n  timezone \"UTC\"\n\n";
  t += "layout R from csv key id time at {\n  id: id\n  at: timestamp\n  a: enum { x, y, z }\n"
       "  b: enum { p, q }\n  c: bool\n  d: bool\n}\n\n";
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
    t += "decide tiers \"tiers\" for R r exhaustive {\n";
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
  std::vector<uint32_t> raw, fires;
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
  o.raw.assign(total, 0);
  o.fires.assign(total, 0);
  std::vector<uint32_t> exempt_sets(g.exempts.size(), 0);
  // exempted[r]: the exemptions that apply to rule r (every rule of the layout, or those named).
  std::vector<std::vector<size_t>> exempted(total);
  for (size_t e = 0; e < g.exempts.size(); ++e) {
    for (size_t r = 0; r < total; ++r) {
      if (g.exempts[e].applies_to.empty() || (r < n && static_cast<int>(r) == g.exempts[e].applies_to[0])) exempted[r].push_back(e);
    }
  }
  for (int i = 0; i < kRecords; ++i) {
    Rec rec = RecordAt(i);
    uint32_t bit = 1u << i;
    for (size_t e = 0; e < g.exempts.size(); ++e) {
      if (g.exempts[e].when->Eval(rec)) exempt_sets[e] |= bit;
    }
    for (size_t r = 0; r < n; ++r) {
      if (g.rules[r].where->Eval(rec) && (!g.rules[r].when || g.rules[r].when->Eval(rec))) o.raw[r] |= bit;
    }
    bool earlier = false;  // a case matches first
    for (size_t c = 0; c < k; ++c) {
      bool m = !g.cases[c].when || g.cases[c].when->Eval(rec);
      if (m && !earlier) o.raw[n + c] |= bit;
      earlier = earlier || m;
    }
  }
  auto exempt_of = [&](size_t r) {
    uint32_t s = 0;
    for (size_t e : exempted[r]) s |= exempt_sets[e];
    return s;
  };
  // A rule is dropped on a record where a rule overriding it matches (raw, not exempted).
  std::vector<std::vector<size_t>> overridden_by(total);
  for (size_t r = 0; r < n; ++r) {
    for (int x : g.rules[r].overrides) overridden_by[static_cast<size_t>(x)].push_back(r);
  }
  std::vector<uint32_t> matches(total);
  for (size_t r = 0; r < total; ++r) matches[r] = o.raw[r] & ~exempt_of(r);
  for (size_t r = 0; r < total; ++r) {
    uint32_t f = matches[r];
    for (size_t w : overridden_by[r]) f &= ~matches[w];
    o.fires[r] = f;
  }
  std::vector<bool> never(total, false);
  for (size_t r = 0; r < total; ++r) {
    if (o.raw[r] == 0) {
      o.expected.emplace("dead", o.ids[r], "");
      never[r] = true;
    } else if (o.fires[r] == 0) {
      std::vector<std::string> by;
      for (size_t e : exempted[r]) {
        if ((o.raw[r] & ~exempt_sets[e]) == 0) by.push_back(p + g.exempts[e].name);
      }
      for (size_t w : overridden_by[r]) {
        if ((o.raw[r] & ~matches[w]) == 0) by.push_back(o.ids[w]);
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
      if (conflict && !never[a] && !never[b] && (o.fires[a] & o.fires[b]) != 0) o.expected.emplace("conflict", o.ids[a], o.ids[b]);
      if (same) {
        bool a_in_b = !never[a] && (o.fires[a] & ~o.fires[b]) == 0;
        bool b_in_a = !never[b] && (o.fires[b] & ~o.fires[a]) == 0;
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
    uint32_t any = 0;
    for (size_t c = 0; c < k; ++c) any |= o.fires[n + c];
    uint32_t scope = ((1u << kRecords) - 1) & ~exempt_of(n);
    if ((scope & ~any) != 0) o.expected.emplace("gap", p + "tiers", "");
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
                         ir::Value::Bool(r.c), ir::Value::Bool(r.d)});
    }
    RunResult run;
    ASSERT_TRUE(RunRecords(program, "gen.p.R", records, {}, &run).ok());
    std::map<std::string, uint32_t> fired;
    for (const decree::Finding& f : run.findings) {
      for (const std::string& id : f.txn_ids) fired[f.rule] |= 1u << std::stoi(id.substr(1));
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
        int i = static_cast<int>(w[2].i) + 3 * static_cast<int>(w[3].i) + 6 * static_cast<int>(w[4].i) + 12 * static_cast<int>(w[5].i);
        for (const std::string& id : {f.rule, f.other}) {
          auto it = std::find(o.ids.begin(), o.ids.end(), id);
          ASSERT_NE(it, o.ids.end());
          EXPECT_TRUE((o.fires[static_cast<size_t>(it - o.ids.begin())] >> i) & 1) << id << " does not fire on the witness";
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
