// The checks: dead and shadowed rules, conflicts, redundancy, gaps, overlapping versions.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

#include <z3.h>

#include "analysis/analysis.h"
#include "analysis/cache.h"
#include "analysis/encoder.h"
#include "common/civil.h"
#include "ir/ir_codec.h"
#include "decree/sha256.h"

namespace decree::analysis {

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kConflict: return "conflict";
    case Kind::kDead: return "dead";
    case Kind::kRedundant: return "redundant";
    case Kind::kShadowed: return "shadowed";
    case Kind::kGap: return "gap";
    case Kind::kOverlap: return "overlap";
  }
  return "?";
}

const char* KindRuleId(Kind k) {
  switch (k) {
    case Kind::kConflict: return "D0401";
    case Kind::kDead: return "D0402";
    case Kind::kRedundant: return "D0403";
    case Kind::kShadowed: return "D0404";
    case Kind::kGap: return "D0405";
    case Kind::kOverlap: return "D0406";
  }
  return "D0400";
}

namespace {

using ir::Rule;

// The solver's answer to "is this satisfiable?", with a witness when it is.
struct Answer {
  enum Result : int { kSat = 0, kUnsat = 1, kUnknown = 2 };
  Result result = kUnknown;
  bool has_witness = false;
  Witness witness;
};

// The verdicts as a set: `then flag suspicious "…" and block` is `then block and flag
// suspicious "…"`.
bool SameVerdicts(const Rule& a, const Rule& b) {
  if (a.kind != b.kind) return false;
  auto key = [](const ir::Verdict& v) {
    return std::make_tuple(static_cast<int>(v.kind), v.name, v.value, v.within, v.business, v.calendar);
  };
  std::vector<decltype(key(a.verdicts[0]))> x, y;
  for (const ir::Verdict& v : a.verdicts) x.push_back(key(v));
  for (const ir::Verdict& v : b.verdicts) y.push_back(key(v));
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  x.erase(std::unique(x.begin(), x.end()), x.end());
  y.erase(std::unique(y.begin(), y.end()), y.end());
  return x == y;
}

// block against allow; two classifications of one attribute to different values.
bool Incompatible(const Rule& a, const Rule& b, std::string* why) {
  for (const ir::Verdict& x : a.verdicts) {
    for (const ir::Verdict& y : b.verdicts) {
      auto is = [](const ir::Verdict& v, ir::VerdictKind k) { return v.kind == k; };
      if ((is(x, ir::VerdictKind::kBlock) && is(y, ir::VerdictKind::kAllow)) ||
          (is(x, ir::VerdictKind::kAllow) && is(y, ir::VerdictKind::kBlock))) {
        *why = fmt::format("{} and {}", ir::VerdictKindName(x.kind), ir::VerdictKindName(y.kind));
        return true;
      }
      if (is(x, ir::VerdictKind::kClassify) && is(y, ir::VerdictKind::kClassify) && x.name == y.name && x.value != y.value) {
        *why = fmt::format("classify {} as {} and as {}", x.name, x.value, y.value);
        return true;
      }
    }
  }
  return false;
}

bool Settled(const Rule& a, const Rule& b) {
  auto over = [](const Rule& x, const Rule& y) {
    return std::find(x.overrides.begin(), x.overrides.end(), y.id) != x.overrides.end();
  };
  return over(a, b) || over(b, a);
}

// Values an enum or bool field can take for the rule to fire, from the top-level conjuncts of
// its `where`: a cheap test that two rules never meet the same record.
using Signature = std::map<int, std::set<int64_t>>;  // field -> allowed values

void Conjuncts(const ir::Expr& e, std::vector<const ir::Expr*>* out) {
  if (e.op == ir::Op::kAnd) {
    for (const ir::ExprPtr& k : e.kids) Conjuncts(*k, out);
  } else {
    out->push_back(&e);
  }
}

Signature SignatureOf(const Rule& r) {
  Signature sig;
  if (!r.where) return sig;
  std::vector<const ir::Expr*> cs;
  Conjuncts(*r.where, &cs);
  for (const ir::Expr* c : cs) {
    const ir::Expr* x = c;
    bool negated = false;
    if (x->op == ir::Op::kNot) {
      negated = true;
      x = x->kids[0].get();
    }
    if (x->op == ir::Op::kColumn && x->type.kind == ir::TypeKind::kBool) {
      sig[x->index].insert(negated ? 0 : 1);
      continue;
    }
    if (negated || x->kids.size() != 2 || x->kids[0]->op != ir::Op::kColumn) continue;
    const ir::Expr& col = *x->kids[0];
    const ir::Expr& val = *x->kids[1];
    if (col.type.kind != ir::TypeKind::kEnum || val.op != ir::Op::kConst) continue;
    std::set<int64_t> allowed;
    if (x->op == ir::Op::kEq && !val.value.null) {
      allowed.insert(val.value.i);
    } else if (x->op == ir::Op::kIn) {
      for (const ir::Value& v : val.value.elems) allowed.insert(v.i);
    } else {
      continue;
    }
    auto it = sig.find(col.index);
    if (it == sig.end()) {
      sig[col.index] = allowed;
    } else {
      std::set<int64_t> both;
      std::set_intersection(it->second.begin(), it->second.end(), allowed.begin(), allowed.end(), std::inserter(both, both.end()));
      it->second = both;
    }
  }
  return sig;
}

bool Disjoint(const Signature& a, const Signature& b) {
  for (const auto& [field, values] : a) {
    auto it = b.find(field);
    if (it == b.end()) continue;
    bool meet = std::any_of(values.begin(), values.end(), [&](int64_t v) { return it->second.count(v) > 0; });
    if (!meet) return true;
  }
  return false;
}

class Analyzer {
 public:
  Analyzer(const ir::Program& p, const Options& o) : p_(p), o_(o), enc_(ctx_, p), solver_(ctx_) {
    z3::params params(ctx_);
    params.set("timeout", static_cast<unsigned>(o_.timeout_ms));
    solver_.set(params);
  }

  Status Run(Report* report) {
    auto started = std::chrono::steady_clock::now();
    if (!o_.cache_path.empty()) {
      Status st = cache_.Open(o_.cache_path);
      if (!st.ok()) return st;
    }
    std::vector<const Rule*> rules;
    for (const Rule& r : p_.rules) {
      if (r.kind != ir::RuleKind::kExempt && p_.FindLayout(r.layout) != nullptr) rules.push_back(&r);
    }
    report->stats.rules = rules.size();
    Overlaps(rules);
    // Dead and shadowed, rule by rule.
    std::set<const Rule*> never;  // dead or shadowed: not compared further
    for (const Rule* r : rules) {
      if (Single(*r)) never.insert(r);
    }
    // Pairs over one layout.
    std::map<std::string, std::vector<const Rule*>> by_layout;
    for (const Rule* r : rules) by_layout[r->layout].push_back(r);
    std::map<const Rule*, Signature> sigs;
    for (const Rule* r : rules) sigs[r] = SignatureOf(*r);
    for (auto& [layout, list] : by_layout) {
      for (size_t i = 0; i < list.size(); ++i) {
        for (size_t j = i + 1; j < list.size(); ++j) {
          const Rule& a = *list[i];
          const Rule& b = *list[j];
          if (a.id == b.id) continue;  // versions: Overlaps
          ++stats_.pairs;
          std::string why;
          bool conflict = Incompatible(a, b, &why) && !Settled(a, b);
          bool same = SameVerdicts(a, b) && a.decision.empty() && b.decision.empty();
          if (!conflict && !same) {
            ++stats_.pruned;
            continue;
          }
          bool dead_a = never.count(&a) > 0, dead_b = never.count(&b) > 0;
          if (o_.prune && Disjoint(sigs[&a], sigs[&b])) {
            // Never the same record: no conflict, and neither implies the other (both fire).
            ++stats_.pruned;
            continue;
          }
          if (conflict && !dead_a && !dead_b) Conflict(a, b, why);
          if (same) {
            bool a_in_b = !dead_a && Implies(a, b);
            bool b_in_a = !dead_b && Implies(b, a);
            if (a_in_b && b_in_a) {
              Add(Kind::kRedundant, b.id, a.id,
                  fmt::format("`{}` and `{}` fire on exactly the same inputs with the same verdicts: one is a duplicate", b.id, a.id));
            } else if (a_in_b) {
              Add(Kind::kRedundant, a.id, b.id, fmt::format("whenever `{}` fires, `{}` fires with the same verdicts", a.id, b.id));
            } else if (b_in_a) {
              Add(Kind::kRedundant, b.id, a.id, fmt::format("whenever `{}` fires, `{}` fires with the same verdicts", b.id, a.id));
            }
          }
        }
      }
    }
    Gaps();
    ApplySuppressions();
    std::sort(findings_.begin(), findings_.end(), [](const Finding& x, const Finding& y) {
      return std::tie(x.kind, x.rule, x.other) < std::tie(y.kind, y.rule, y.other);
    });
    stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    report->findings = std::move(findings_);
    report->stats = stats_;
    report->stats.rules = rules.size();
    return Status::Ok();
  }

 private:
  // Dead or shadowed; true when the rule never fires.
  bool Single(const Rule& r) {
    Answer raw = Check(enc_.Raw(r), {&r}, "raw:" + Key(r), false);
    if (raw.result == Answer::kUnsat) {
      Add(Kind::kDead, r.id, "", "no input satisfies this rule's period, filter and guard: it can never fire");
      return true;
    }
    if (raw.result == Answer::kUnknown) {
      AddUnknown(Kind::kDead, r.id, "", "could not decide whether this rule can fire");
      return false;
    }
    Answer fires = Check(enc_.Fires(r), {&r}, "fires:" + Context(r), false);
    if (fires.result != Answer::kUnsat) return false;
    // It can match, but never survives its exemptions and overrides: by which?
    std::vector<std::string> by;
    for (const std::string& e : r.exempted_by) {
      const Rule* ex = p_.FindRule(e);
      if (ex != nullptr && Check(enc_.Raw(r) && !enc_.Exempted(*ex), {&r}, "shadow:" + Key(r) + Key(*ex), false).result ==
                               Answer::kUnsat) {
        by.push_back(e);
      }
    }
    for (const Rule& o : p_.rules) {
      if (std::find(o.overrides.begin(), o.overrides.end(), r.id) == o.overrides.end()) continue;
      if (Check(enc_.Raw(r) && !enc_.Matches(o), {&r}, "shadow:" + Key(r) + Context(o), false).result == Answer::kUnsat) {
        by.push_back(o.id);
      }
    }
    std::string other = by.size() == 1 ? by[0] : "";
    raw = Check(enc_.Raw(r), {&r}, "raw:" + Key(r), true);  // an input it matches, for the witness
    Add(Kind::kShadowed, r.id, other,
        by.empty() ? "every input it matches is exempted or overridden (by several exceptions together)"
                   : fmt::format("every input it matches is {} by `{}`", p_.FindRule(by[0]) != nullptr &&
                                                                            p_.FindRule(by[0])->kind == ir::RuleKind::kExempt
                                                                        ? "exempted"
                                                                        : "overridden",
                                 fmt::join(by, "`, `")),
        raw);
    return true;
  }

  void Conflict(const Rule& a, const Rule& b, const std::string& why) {
    Answer both = Check(enc_.Fires(a) && enc_.Fires(b), {&a, &b}, "conflict:" + Context(a) + Context(b), true);
    if (both.result == Answer::kSat) {
      Add(Kind::kConflict, a.id, b.id,
          fmt::format("both fire on one input with incompatible verdicts ({}) and no precedence is declared", why), both);
    } else if (both.result == Answer::kUnknown) {
      AddUnknown(Kind::kConflict, a.id, b.id, "could not decide whether these rules conflict");
    }
  }

  // Whether `a` firing implies `b` firing (a is then redundant).
  bool Implies(const Rule& a, const Rule& b) {
    // A path rule's formula over-approximates where it fires (encoder.cpp, AddPathAttributes):
    // it may show `a` as redundant, never prove `b` covers another rule.
    if (b.kind == ir::RuleKind::kPath) return false;
    Answer ans = Check(enc_.Fires(a) && !enc_.Fires(b), {&a, &b}, "implies:" + Context(a) + Context(b), false);
    if (ans.result == Answer::kUnknown) AddUnknown(Kind::kRedundant, a.id, b.id, "could not decide whether this rule is redundant");
    return ans.result == Answer::kUnsat;
  }

  void Gaps() {
    for (const ir::Decision& d : p_.decisions) {
      if (!d.exhaustive || d.branches.empty()) continue;
      std::vector<const Rule*> cases;
      for (const std::string& id : d.branches) {
        if (const Rule* r = p_.FindRule(id)) cases.push_back(r);
      }
      if (cases.empty()) continue;
      z3::expr none = enc_.InScope(*cases[0]);
      std::string key = "gap:";
      for (const Rule* c : cases) {
        none = none && !enc_.Fires(*c);
        key += Context(*c);
      }
      Answer ans = Check(none, cases, key, true);
      if (ans.result == Answer::kSat) {
        Add(Kind::kGap, d.id, "", "an input in the decision's scope matches none of its cases", ans);
      } else if (ans.result == Answer::kUnknown) {
        AddUnknown(Kind::kGap, d.id, "", "could not decide whether the decision is exhaustive");
      }
    }
  }

  // Versions of one rule id whose effective periods intersect.
  void Overlaps(const std::vector<const Rule*>& rules) {
    std::map<std::string, std::vector<const Rule*>> versions;
    for (const Rule* r : rules) versions[r->id].push_back(r);
    for (auto& [id, vs] : versions) {
      for (size_t i = 0; i < vs.size(); ++i) {
        for (size_t j = i + 1; j < vs.size(); ++j) {
          auto lo = [](const Rule* r) { return r->effective_from == ir::kNoDate ? INT32_MIN + 1 : r->effective_from; };
          auto hi = [](const Rule* r) { return r->effective_until == ir::kNoDate ? INT32_MAX : r->effective_until; };
          int32_t from = std::max(lo(vs[i]), lo(vs[j])), until = std::min(hi(vs[i]), hi(vs[j]));
          if (from > until) continue;
          Finding f;
          f.kind = Kind::kOverlap;
          f.rule = id;
          f.other = id;
          f.message = fmt::format("versions {} and {} are both in effect from {}{}", vs[i]->version, vs[j]->version,
                                  from == INT32_MIN + 1 ? "the beginning" : FormatDate(from),
                                  until == INT32_MAX ? " on" : " until " + FormatDate(until));
          findings_.push_back(f);
        }
      }
    }
  }

  void ApplySuppressions() {
    for (Finding& f : findings_) {
      for (const std::string& id : {f.rule, f.other}) {
        const Rule* r = p_.FindRule(id);
        if (r == nullptr || f.suppressed) continue;
        for (const ir::Suppression& s : r->suppressions) {
          if (s.kind != KindName(f.kind)) continue;
          std::string other = id == f.rule ? f.other : f.rule;
          if (!s.other.empty() && s.other != other && p_.FindRule(s.other) != nullptr && p_.FindRule(s.other)->id != other) continue;
          f.suppressed = true;
          f.suppression_reason = s.reason;
        }
      }
    }
  }

  // A rule's identity for the cache: its meaning's hash (over its body, period, layout and time
  // zone; computed here when the program was compiled from source rather than loaded).
  std::string Key(const Rule& r) {
    auto it = keys_.find(&r);
    if (it == keys_.end()) {
      it = keys_.emplace(&r, (r.hash.empty() ? ir::ComputeRuleHash(p_, r) : r.hash) + "@" + std::to_string(r.version) + ";").first;
    }
    return it->second;
  }
  // The rule and everything its `fires` formula reads: exemptions and overriding rules.
  std::string Context(const Rule& r) {
    std::string k = Key(r);
    for (const std::string& e : r.exempted_by) {
      if (const Rule* ex = p_.FindRule(e)) k += "x" + Key(*ex);
    }
    for (const Rule& o : p_.rules) {
      if (std::find(o.overrides.begin(), o.overrides.end(), r.id) != o.overrides.end()) k += "o" + Key(o);
    }
    return k;
  }

  Answer Check(const z3::expr& query, const std::vector<const Rule*>& rules, const std::string& key, bool want_witness) {
    std::string cache_key;
    if (cache_.open()) {
      Sha256 h;
      h.Update(std::string("decree-analysis-v3|") + key + (want_witness ? "|w" : ""));
      cache_key = h.FinishHex();
      Answer cached;
      int result = 0;
      if (cache_.Get(cache_key, &result, &cached.has_witness, &cached.witness)) {
        cached.result = static_cast<Answer::Result>(result);
        ++stats_.cached;
        Tick();
        return cached;
      }
    }
    ++stats_.queries;
    z3::solver& s = solver_;
    enc_.CatchUp(s, &asserted_);
    s.push();
    s.add(query);
    Answer a;
    switch (s.check()) {
      case z3::unsat: a.result = Answer::kUnsat; break;
      case z3::sat: a.result = Answer::kSat; break;
      default:
        a.result = Answer::kUnknown;
        ++stats_.unknown;
        break;
    }
    if (a.result == Answer::kSat && want_witness && !rules.empty()) {
      const ir::Layout* layout = p_.FindLayout(rules[0]->layout);
      a.has_witness = true;
      a.witness = enc_.Extract(enc_.NiceModel(s, *layout), *layout, rules);
      // Aggregates shown for one record are not a batch's: find a group they are the totals of.
      if (!a.witness.replayable && std::any_of(rules.begin(), rules.end(), [](const Rule* r) { return r->is_aggregate(); })) {
        analysis::Witness group;
        if (enc_.GroupWitness(query, *layout, rules, &group)) a.witness = std::move(group);
      }
    }
    s.pop();
    if (cache_.open() && a.result != Answer::kUnknown) cache_.Put(cache_key, a.result, a.has_witness, a.witness);
    Tick();
    return a;
  }

  void Tick() {
    if (o_.progress) o_.progress(stats_.queries, stats_.cached);
  }

  void Add(Kind k, const std::string& rule, const std::string& other, const std::string& message, const Answer& a = Answer()) {
    Finding f;
    f.kind = k;
    f.rule = rule;
    f.other = other;
    f.message = message;
    f.has_witness = a.has_witness;
    f.witness = a.witness;
    findings_.push_back(std::move(f));
  }
  void AddUnknown(Kind k, const std::string& rule, const std::string& other, const std::string& message) {
    Finding f;
    f.kind = k;
    f.rule = rule;
    f.other = other;
    f.unknown = true;
    f.message = message + fmt::format(" (the solver gave up after {} ms: --solver-timeout)", o_.timeout_ms);
    findings_.push_back(std::move(f));
  }

  const ir::Program& p_;
  const Options& o_;
  z3::context ctx_;
  Encoder enc_;
  z3::solver solver_;
  unsigned asserted_ = 0;  // background constraints solver_ holds
  Cache cache_;
  std::map<const Rule*, std::string> keys_;
  std::vector<Finding> findings_;
  Stats stats_;
};

}  // namespace

Status Analyze(const ir::Program& program, const Options& options, Report* report) {
  *report = Report();
  try {
    Analyzer a(program, options);
    return a.Run(report);
  } catch (const z3::exception& e) {
    return Status::Internal(fmt::format("the analysis failed: Z3: {}", e.msg()));
  }
}

}  // namespace decree::analysis

namespace decree::analysis {

std::string SolverVersion() {
  unsigned major = 0, minor = 0, build = 0, revision = 0;
  Z3_get_version(&major, &minor, &build, &revision);
  return fmt::format("Z3 {}.{}.{}", major, minor, build);
}

}  // namespace decree::analysis
