// What a run knows before it reads a row (internal to exec/run.cpp and its parts): each rule's
// plan (RuleInfo, Plan), the evaluation contexts over tables, rows and groups, finding
// construction, and the compiled per-rule state a worker holds (RuleExec, ExemptExec).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/civil.h"
#include "common/codes.h"
#include "common/timezone.h"
#include "decree/run.h"
#include "exec/explain.h"
#include "exec/expr.h"
#include "exec/findings.h"
#include "exec/group_table.h"
#include "exec/paths.h"
#include "exec/tables.h"
#include "io/source.h"

namespace decree::exec {

// ------------------------------------------------------------------------------------------
// What a run knows about each rule (shared, read-only).

struct RuleInfo {
  const ir::Rule* rule = nullptr;
  std::string ruleset_version;
  std::shared_ptr<const TimeZone> tz;
  std::vector<ir::Type> key_types;
  std::vector<AggSpec> aggs;
  std::vector<int> exempts;    // indices into Plan::exempts
  std::vector<int> overrides;  // indices into Plan::rules (row rules this one overrides)
  bool grouped = false;        // group, window, or require with keys
  bool path = false;           // a path rule: its hops are collected, then searched (exec/paths.h)
  int hops_of = -1;            // path rules: the rule (index into Plan::rules) whose hops it reads:
                               // itself, or the first path rule over the same flow
  // The effective period as instants: rows booked in [keep_from, keep_until) are inside it,
  // rows before drop_before or from drop_from on are outside, and only the rows between
  // (within a day of a bound, where an offset change could matter) need their local day.
  int64_t drop_before = INT64_MIN, keep_from = INT64_MIN, keep_until = INT64_MAX, drop_from = INT64_MAX;
};

struct Plan {
  const ir::Program* program = nullptr;
  const ir::Layout* layout = nullptr;
  int layout_index = -1;
  std::vector<RuleInfo> rules;    // evaluated rules
  std::vector<RuleInfo> exempts;  // exemptions
  const Tables* tables = nullptr;
  ExecEnv env;
  bool keep_findings = true;  // Finding objects in memory, or JSON lines (RunOptions::findings_path)
  BlockPool* pool = nullptr;  // bulk memory of this run, recycled between its phases
  // Path rules: a worker's hops of a flow past this many bytes are spilled, in time order, to
  // hop_spill (0: kept in memory; set with RunOptions::memory_budget).
  uint64_t hop_budget = 0;
  HopSpill* hop_spill = nullptr;
  int partition_bits = 4;     // grouped rules' records: 2^bits partitions by key hash
  uint32_t partitions = 16;
  // Timestamps whose local day is a date (0001-01-01 .. 9999-12-31) in every zone the rules
  // use lie in [min_instant, max_instant); rows with others are rejected.
  std::vector<int> time_fields;
  int64_t min_instant = INT64_MIN, max_instant = INT64_MAX;
};

// Rejects kept in RunResult when they are streamed to a file (the rest are in the file).
constexpr size_t kKeptRejects = 100;

// The plan of a run of `options`' rules (only_rules, skip_rules) over `layout`: *plan without
// its pool and partitions (set when workers start), *result's layout and rule lists.
// MissingInput when a table the rules need is not in `tables`.
Status MakeRunPlan(const ir::Program& program, const ir::Layout& layout, const Tables& tables, const RunOptions& options,
                   Plan* plan, RunResult* result);

inline bool NeedsEffective(const ir::Rule& r) { return r.effective_from != ir::kNoDate || r.effective_until != ir::kNoDate; }


// ------------------------------------------------------------------------------------------
// Scalar contexts for explanations.

// Table lookups and screening through the run's Tables; screening through `screener` (a
// worker's, which has scored the row's names already) when given.
class TablesContext : public ir::EvalContext {
 public:
  explicit TablesContext(const Tables* t, screen::RuleScreener* screener = nullptr) : t_(t), screener_(screener) {}
  bool Lookup(int table, const std::vector<ir::Value>& key, const std::string& col, ir::Value* out) const override {
    return t_ != nullptr && t_->Lookup(table, key, col, out);
  }
  bool Screen(const std::string& list, const std::string& name, ir::Value* score, std::string* error) const override {
    if (int slot = WorkerSlot(list); slot >= 0) {
      *score = ir::Value::Decimal(screener_->Best(slot, name).score, 4);
      return true;
    }
    return t_ != nullptr ? t_->Screen(list, name, score, error) : EvalContext::Screen(list, name, score, error);
  }
  std::string ScreenMatch(const std::string& list, const std::string& name) const override {
    if (int slot = WorkerSlot(list); slot >= 0) return t_->screening()->Describe(screener_->Best(slot, name), name);
    return t_ != nullptr ? t_->ScreenMatch(list, name) : std::string();
  }

 private:
  int WorkerSlot(const std::string& list) const {
    return screener_ != nullptr && t_ != nullptr && t_->screening() != nullptr ? t_->screening()->Slot(list) : -1;
  }

  const Tables* t_;
  screen::RuleScreener* screener_;
};

class RowContext : public TablesContext {
 public:
  RowContext(const ir::Layout& l, const Chunk& c, uint32_t r, const Tables* t, screen::RuleScreener* screener = nullptr)
      : TablesContext(t, screener), l_(l), c_(c), r_(r) {}
  ir::Value Column(int i) const override { return SlotValue(c_.columns[i], r_, l_.fields[i].type); }

 private:
  const ir::Layout& l_;
  const Chunk& c_;
  uint32_t r_;
};

// Keys and aggregates of one row of a group chunk.
class GroupRowContext : public TablesContext {
 public:
  GroupRowContext(const RuleInfo& info, const Chunk& g, uint32_t r, const Tables* t)
      : TablesContext(t), info_(info), g_(g), r_(r) {}
  ir::Value Key(int i) const override { return SlotValue(g_.columns[i], r_, info_.key_types[i]); }
  ir::Value Agg(int i, std::string* error) const override {
    const Vec& v = g_.columns[info_.key_types.size() + i];
    if (v.err != nullptr && v.err[v.at(r_)] != 0) {
      *error = "the amounts are in more than one currency";
      return ir::Value::Null();
    }
    return SlotValue(v, r_, info_.aggs[i].type);
  }

 private:
  const RuleInfo& info_;
  const Chunk& g_;
  uint32_t r_;
};

inline std::string TotalAmount(const ir::Value& v) {
  int minor = CurrencyMinorUnits(static_cast<CurrencyId>(v.currency));
  return FormatDecimalTrimmed(v.m, v.scale, std::min(minor, v.scale));
}

inline Finding NewFinding(const Plan& plan, const RuleInfo& info) {
  Finding f;
  f.rule = info.rule->id;
  f.rule_version = info.rule->version;
  f.citation = info.rule->citation;
  f.ruleset_version = info.ruleset_version;
  return f;
}

inline void SetExplanation(const Explanation& x, const std::string& suffix, Finding* f) {
  f->explain = x.text + suffix;
  if (x.has_total && !x.total.null) {
    f->has_total = true;
    f->total_amount = TotalAmount(x.total);
    f->total_currency = std::string(CurrencyCode(static_cast<CurrencyId>(x.total.currency)));
  }
}

// A key value as findings show it, without a Value round trip for the common kinds.
inline void KeyTextInto(const ir::Program& p, const Vec& v, uint32_t r, const ir::Type& t, std::string* out) {
  size_t s = v.at(r);
  if (v.valid != nullptr && !v.valid[s]) {
    out->clear();
    return;
  }
  switch (t.kind) {
    case ir::TypeKind::kText:
    case ir::TypeKind::kId:
    case ir::TypeKind::kCountry: out->assign(v.s[s].data, v.s[s].size); return;
    case ir::TypeKind::kDate: *out = FormatDate(static_cast<int32_t>(v.i[s])); return;
    default: *out = KeyText(SlotValue(v, r, t), p); return;
  }
}

// Verdict fields of a rule's findings, with due dates computed once per date.
class VerdictFiller {
 public:
  VerdictFiller(const Plan& plan, const RuleInfo& info) : plan_(plan), info_(info) {}
  void Fill(int32_t date, Finding* f) {
    auto it = cache_.find(date);
    if (it == cache_.end()) {
      Finding proto;
      FillVerdicts(*plan_.program, *info_.rule, date, plan_.tables, &proto);
      it = cache_.emplace(date, std::move(proto)).first;
    }
    const Finding& p = it->second;
    f->actions = p.actions;
    f->report = p.report;
    f->due = p.due;
    f->due_note = p.due_note;
    f->flag = p.flag;
    f->message = p.message;
    f->classification = p.classification;
  }

 private:
  const Plan& plan_;
  const RuleInfo& info_;
  std::unordered_map<int32_t, Finding> cache_;
};

// A group chunk: columns for a rule's keys then its aggregates, kChunkSize rows.
struct GroupChunk {
  std::vector<VecBuffer> buffers;
  Chunk chunk;
  Arena arena;

  explicit GroupChunk(const RuleInfo& info) {
    buffers.resize(info.key_types.size() + info.aggs.size());
    for (size_t k = 0; k < info.key_types.size(); ++k) {
      const ir::Type& t = info.key_types[k];
      buffers[k].Init(PhysicalType(t.kind), t.scale, t.kind == ir::TypeKind::kMoney, true);
    }
    for (size_t a = 0; a < info.aggs.size(); ++a) {
      const ir::Type& t = info.aggs[a].type;
      VecBuffer& b = buffers[info.key_types.size() + a];
      b.Init(PhysicalType(t.kind), info.aggs[a].arg_scale, t.kind == ir::TypeKind::kMoney, true);
      b.EnsureErr();
    }
    for (VecBuffer& b : buffers) chunk.columns.push_back(b.vec());
  }
};

// ------------------------------------------------------------------------------------------
// Per-worker execution of one rule.

struct RuleExec {
  const RuleInfo* info = nullptr;
  std::unique_ptr<CompiledExpr> where, when, anchor;
  std::vector<std::unique_ptr<CompiledExpr>> unless, keys, agg_arg, agg_filter;
  SelBuffer sel, tmp;
  std::vector<SelBuffer> agg_sel;
  std::vector<std::vector<uint8_t>> agg_mask;
  std::vector<Vec> key_vals, arg_vals;
  Vec anchor_vals;
  std::vector<uint8_t> match;  // row rules: matched rows of the chunk
  std::vector<uint8_t> overridden;  // row rules that are overridden: rows an overriding rule matched
  bool override_pending = false;
  std::vector<uint8_t> present;                       // per aggregate, for the row being appended
  std::unique_ptr<RecordCodec> codec;
  std::vector<RecordBuffer> partitions;               // grouped rules: records by key partition
  std::unique_ptr<HopBuffer> hops;                    // path rules
  std::unique_ptr<ExplainPlan> explain;               // row rules with a `when`
  Explanation why;                                    // scratch
};

struct ExemptExec {
  const RuleInfo* info = nullptr;
  std::unique_ptr<CompiledExpr> where, when;
  SelBuffer sel, tmp;
  std::vector<uint8_t> mask;
};

inline Status CompileRow(const ir::ExprPtr& e, const ExecEnv& env, std::unique_ptr<CompiledExpr>* out) {
  if (!e) return Status::Ok();
  return CompiledExpr::Compile(*e, env, -1, out);
}

}  // namespace decree::exec
