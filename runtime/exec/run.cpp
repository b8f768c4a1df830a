// decree::Run: a rule library over a batch.
//
// Phase 1 (parallel over input segments): each worker reads segments into chunks and, per
// chunk, evaluates every rule's row-level expressions on selection vectors.  A row that fails
// anywhere (a missing rate, an overflow) is rejected from every rule of the chunk.  Row rules
// produce findings directly; group and window rules feed thread-local state partitioned by the
// hash of their key.
// Phase 2 (parallel over partitions): each partition's state is merged across workers and
// finalized: group guards are evaluated on "group chunks" with the same columnar executor;
// sliding windows are swept over each group's rows in event-time order.
// Phase 3: findings are sorted (rule, key, first txn_id) and rejects put in input order, so the
// output does not depend on the number of threads.
#include "decree/run.h"
#include "exec/table_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <cstdlib>

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "exec/explain.h"
#include "exec/findings.h"
#include "exec/expr.h"
#include "exec/group_table.h"
#include "common/parallel.h"
#include "exec/rejects.h"
#include "exec/run_source.h"
#include "exec/tables.h"
#include "io/source.h"
#include "decree/atomic_file.h"
#include "common/civil.h"
#include "common/codes.h"
#include "common/timezone.h"

namespace decree {

namespace exec {

namespace {

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
  int partition_bits = 4;     // grouped rules' records: 2^bits partitions by key hash
  uint32_t partitions = 16;
  // Timestamps whose local day is a date (0001-01-01 .. 9999-12-31) in every zone the rules
  // use lie in [min_instant, max_instant); rows with others are rejected.
  std::vector<int> time_fields;
  int64_t min_instant = INT64_MIN, max_instant = INT64_MAX;
};

// Rejects kept in RunResult when they are streamed to a file (the rest are in the file).
constexpr size_t kKeptRejects = 100;

bool NeedsEffective(const ir::Rule& r) { return r.effective_from != ir::kNoDate || r.effective_until != ir::kNoDate; }


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
    if (int slot = WorkerSlot(list); slot >= 0) return t_->screening()->Describe(screener_->Best(slot, name));
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

std::string TotalAmount(const ir::Value& v) {
  int minor = CurrencyMinorUnits(static_cast<CurrencyId>(v.currency));
  return FormatDecimalTrimmed(v.m, v.scale, std::min(minor, v.scale));
}

Finding NewFinding(const Plan& plan, const RuleInfo& info) {
  Finding f;
  f.rule = info.rule->id;
  f.rule_version = info.rule->version;
  f.citation = info.rule->citation;
  f.ruleset_version = info.ruleset_version;
  return f;
}

void SetExplanation(const Explanation& x, const std::string& suffix, Finding* f) {
  f->explain = x.text + suffix;
  if (x.has_total && !x.total.null) {
    f->has_total = true;
    f->total_amount = TotalAmount(x.total);
    f->total_currency = std::string(CurrencyCode(static_cast<CurrencyId>(x.total.currency)));
  }
}

// A key value as findings show it, without a Value round trip for the common kinds.
void KeyTextInto(const ir::Program& p, const Vec& v, uint32_t r, const ir::Type& t, std::string* out) {
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
  std::unique_ptr<ExplainPlan> explain;               // row rules with a `when`
  Explanation why;                                    // scratch
};

struct ExemptExec {
  const RuleInfo* info = nullptr;
  std::unique_ptr<CompiledExpr> where, when;
  SelBuffer sel, tmp;
  std::vector<uint8_t> mask;
};

Status CompileRow(const ir::ExprPtr& e, const ExecEnv& env, std::unique_ptr<CompiledExpr>* out) {
  if (!e) return Status::Ok();
  return CompiledExpr::Compile(*e, env, -1, out);
}

class Worker {
 public:
  explicit Worker(const Plan& plan) : plan_(plan), findings_(plan.keep_findings, plan.pool) {}

  Status Init() {
    env_ = plan_.env;
    if (plan_.tables->screening() != nullptr) {
      screener_ = std::make_unique<screen::RuleScreener>(*plan_.tables->screening());
      if (!screener_->status().ok()) return screener_->status();
      env_.screener = screener_.get();
    }
    for (const RuleInfo& info : plan_.exempts) {
      ExemptExec x;
      x.info = &info;
      Status st = CompileRow(info.rule->where, env_, &x.where);
      if (st.ok()) st = CompileRow(info.rule->when, env_, &x.when);
      if (!st.ok()) return Status(st);
      x.mask.assign(kChunkSize, 0);
      exempts_.push_back(std::move(x));
    }
    for (const RuleInfo& info : plan_.rules) {
      auto x = std::make_unique<RuleExec>();
      x->info = &info;
      const ir::Rule& r = *info.rule;
      Status st = CompileRow(r.where, env_, &x->where);
      if (st.ok() && !info.grouped) st = CompileRow(r.when, env_, &x->when);
      if (st.ok() && r.has_window) st = CompileRow(r.window.anchor, env_, &x->anchor);
      for (const ir::ExprPtr& u : r.unless) {
        std::unique_ptr<CompiledExpr> c;
        if (st.ok()) st = CompileRow(u, env_, &c);
        x->unless.push_back(std::move(c));
      }
      for (const ir::Key& k : r.keys) {
        std::unique_ptr<CompiledExpr> c;
        if (st.ok()) st = CompileRow(k.expr, env_, &c);
        x->keys.push_back(std::move(c));
      }
      for (const ir::Agg& a : r.aggs) {
        std::unique_ptr<CompiledExpr> arg, filter;
        if (st.ok()) st = CompileRow(a.arg, env_, &arg);
        if (st.ok()) st = CompileRow(a.filter, env_, &filter);
        x->agg_arg.push_back(std::move(arg));
        x->agg_filter.push_back(std::move(filter));
      }
      if (!st.ok()) return Status::Corruption(fmt::format("rule {}: {}", r.id, st.message()));
      x->agg_sel.resize(r.aggs.size());
      x->agg_mask.assign(r.aggs.size(), std::vector<uint8_t>(kChunkSize, 0));
      x->key_vals.resize(r.keys.size());
      x->arg_vals.resize(r.aggs.size());
      x->match.assign(kChunkSize, 0);
      x->overridden.assign(kChunkSize, 0);
      if (info.grouped) {
        if (r.aggs.size() > 16) return Status::NotSupported(fmt::format("rule {}: more than 16 aggregates", r.id));
        x->present.assign(r.aggs.size(), 0);
        x->codec = std::make_unique<RecordCodec>(info.aggs, r.kind == ir::RuleKind::kWindow);
        x->partitions.reserve(plan_.partitions);
        for (uint32_t p = 0; p < plan_.partitions; ++p) x->partitions.emplace_back(plan_.pool);
      }
      rules_.push_back(std::move(x));
    }
    rejected_.assign(kChunkSize, 0);
    return Status::Ok();
  }

  // Evaluates one chunk.  Thread-confined.
  void Process(const Chunk& c) {
    const uint32_t n = c.size;
    errors_.Clear();
    const ir::Layout& layout = *plan_.layout;
    CheckInstants(c);
    // Exemptions.
    for (ExemptExec& x : exempts_) {
      Select(*x.info, x.where.get(), c, &x.sel, &x.tmp);
      if (x.when) {
        x.when->Filter(c, x.sel.sel(), &x.tmp.sel(), &errors_);
        x.sel.CopyFrom(x.tmp.sel());
      }
      std::fill(x.mask.begin(), x.mask.begin() + n, 0);
      const Sel& s = x.sel.sel();
      for (uint32_t k = 0; k < s.n; ++k) x.mask[s.idx[k]] = 1;
    }
    // Every rule's row-level expressions.
    for (auto& xp : rules_) {
      RuleExec& x = *xp;
      const ir::Rule& r = *x.info->rule;
      Select(*x.info, x.where.get(), c, &x.sel, &x.tmp);
      if (!x.info->exempts.empty() || !x.unless.empty()) {
        Sel& s = x.sel.sel();
        for (const std::unique_ptr<CompiledExpr>& u : x.unless) {
          Vec v = u->Eval(c, s, &errors_);
          uint32_t m = 0;
          for (uint32_t k = 0; k < s.n; ++k) {
            uint32_t row = s.idx[k];
            size_t slot = v.at(row);
            bool excluded = (v.valid == nullptr || v.valid[slot]) && v.b[slot];
            if (!excluded) s.idx[m++] = static_cast<uint16_t>(row);
          }
          s.n = m;
        }
        uint32_t m = 0;
        for (uint32_t k = 0; k < s.n; ++k) {
          uint32_t row = s.idx[k];
          bool exempt = false;
          for (int e : x.info->exempts) exempt |= exempts_[e].mask[row] != 0;
          if (!exempt) s.idx[m++] = static_cast<uint16_t>(row);
        }
        s.n = m;
      }
      const Sel& s = x.sel.sel();
      if (!x.info->grouped) {
        std::fill(x.match.begin(), x.match.begin() + n, 0);
        if (r.kind == ir::RuleKind::kRequire) {
          Vec v = x.when->Eval(c, s, &errors_);
          for (uint32_t k = 0; k < s.n; ++k) {
            uint32_t row = s.idx[k];
            size_t slot = v.at(row);
            x.match[row] = !((v.valid == nullptr || v.valid[slot]) && v.b[slot]);  // violated
          }
        } else if (x.when) {
          x.when->Filter(c, s, &x.tmp.sel(), &errors_);
          const Sel& t = x.tmp.sel();
          for (uint32_t k = 0; k < t.n; ++k) x.match[t.idx[k]] = 1;
        } else {
          for (uint32_t k = 0; k < s.n; ++k) x.match[s.idx[k]] = 1;
        }
        continue;
      }
      for (size_t i = 0; i < x.keys.size(); ++i) x.key_vals[i] = x.keys[i]->Eval(c, s, &errors_);
      for (size_t a = 0; a < r.aggs.size(); ++a) {
        Sel* as = &x.agg_sel[a].sel();
        if (x.agg_filter[a]) {
          x.agg_filter[a]->Filter(c, s, as, &errors_);
        } else {
          x.agg_sel[a].CopyFrom(s);
        }
        if (x.agg_arg[a]) x.arg_vals[a] = x.agg_arg[a]->Eval(c, *as, &errors_);
        std::vector<uint8_t>& mask = x.agg_mask[a];
        std::fill(mask.begin(), mask.begin() + n, 0);
        const Vec& v = x.arg_vals[a];
        for (uint32_t k = 0; k < as->n; ++k) {
          uint32_t row = as->idx[k];
          mask[row] = !x.agg_arg[a] || v.valid == nullptr || v.valid[v.at(row)];
        }
      }
      if (x.anchor) x.anchor_vals = x.anchor->Eval(c, s, &errors_);
    }
    // Rows that failed anywhere are rejected everywhere.
    bool any_rejected = !errors_.rows.empty();
    if (any_rejected) {
      std::fill(rejected_.begin(), rejected_.begin() + n, 0);
      for (const auto& [row, reason] : errors_.rows) {
        if (rejected_[row]) continue;
        rejected_[row] = 1;
        std::string id = layout.id_field >= 0 ? std::string(c.columns[layout.id_field].s[row].view()) : std::string();
        rejects_.push_back(io::Reject{c.pos[row], 0, id, reason});
      }
    }
    rows_evaluated_ += n - (any_rejected ? static_cast<uint64_t>(std::count(rejected_.begin(), rejected_.begin() + n, 1)) : 0);
    // Precedence between row rules: a rule's finding on a record is dropped when a rule that
    // overrides it matches the record, whether or not that rule is overridden in turn (so the
    // outcome does not depend on the order rules are listed in).
    for (auto& xp : rules_) {
      RuleExec& winner = *xp;
      for (int loser : winner.info->overrides) {
        RuleExec& l = *rules_[loser];
        if (!l.override_pending) {
          std::fill(l.overridden.begin(), l.overridden.begin() + n, 0);
          l.override_pending = true;
        }
        for (uint32_t row = 0; row < n; ++row) l.overridden[row] |= winner.match[row];
      }
    }
    for (auto& xp : rules_) {
      RuleExec& l = *xp;
      if (!l.override_pending) continue;
      for (uint32_t row = 0; row < n; ++row) l.match[row] &= static_cast<uint8_t>(!l.overridden[row]);
      l.override_pending = false;
    }
    // Contributions.
    for (auto& xp : rules_) {
      RuleExec& x = *xp;
      if (!x.info->grouped) {
        EmitRowFindings(x, c, any_rejected);
      } else {
        Collect(x, c, any_rejected);
      }
    }
  }

  FindingList& findings() { return findings_; }
  std::vector<io::Reject>& rejects() { return rejects_; }
  uint64_t rows_evaluated() const { return rows_evaluated_; }
  RuleExec& rule(size_t i) { return *rules_[i]; }

 private:
  // Rejects rows with a timestamp whose local day is no date (see Plan::time_fields).
  void CheckInstants(const Chunk& c) {
    for (int f : plan_.time_fields) {
      const Vec& v = c.columns[f];
      for (uint32_t row = 0; row < c.size; ++row) {
        if (!v.IsValid(row)) continue;
        int64_t t = v.i[v.at(row)];
        if (t >= plan_.min_instant && t < plan_.max_instant) continue;
        errors_.Add(row, fmt::format("{}: {} falls on a local day outside 0001-01-01 .. 9999-12-31 in the rules' time zone",
                                     plan_.layout->fields[f].column, FormatTimestamp(t, 0)));
      }
    }
  }

  // Rows inside the rule's effective period that satisfy `where`.
  void Select(const RuleInfo& info, CompiledExpr* where, const Chunk& c, SelBuffer* sel, SelBuffer* tmp) {
    sel->All(c.size);
    const ir::Rule& r = *info.rule;
    if (NeedsEffective(r)) {
      const int64_t* t = c.columns[plan_.layout->time_field].i;
      Sel& s = sel->sel();
      uint32_t m = 0;
      for (uint32_t k = 0; k < s.n; ++k) {
        uint32_t row = s.idx[k];
        int64_t at = t[row];
        bool inside;
        if (at >= info.keep_from && at < info.keep_until) {
          inside = true;
        } else if (at < info.drop_before || at >= info.drop_from) {
          inside = false;
        } else {
          int32_t d = info.tz->LocalDay(at);
          inside = (r.effective_from == ir::kNoDate || d >= r.effective_from) &&
                   (r.effective_until == ir::kNoDate || d <= r.effective_until);
        }
        if (inside) s.idx[m++] = static_cast<uint16_t>(row);
      }
      s.n = m;
    }
    if (where != nullptr) {
      where->Filter(c, sel->sel(), &tmp->sel(), &errors_);
      sel->CopyFrom(tmp->sel());
    }
  }

  void EmitRowFindings(RuleExec& x, const Chunk& c, bool any_rejected) {
    const ir::Layout& layout = *plan_.layout;
    const ir::Rule& r = *x.info->rule;
    for (uint32_t row = 0; row < c.size; ++row) {
      if (!x.match[row] || (any_rejected && rejected_[row])) continue;
      Finding f = NewFinding(plan_, *x.info);
      f.txn_ids.push_back(layout.id_field >= 0 ? std::string(c.columns[layout.id_field].s[row].view()) : "");
      int32_t date = ir::kNoDate;
      if (layout.time_field >= 0) date = x.info->tz->LocalDay(c.columns[layout.time_field].i[row]);
      if (date != ir::kNoDate) f.date = FormatDate(date);
      if (r.kind == ir::RuleKind::kRequire) {
        f.explain = "not true: " + (r.verdicts.empty() ? std::string() : r.verdicts[0].value);
      } else if (r.when) {
        RowContext ctx(layout, c, row, plan_.tables, screener_.get());
        if (!x.explain) x.explain = std::make_unique<ExplainPlan>(*plan_.program, r, *r.when);
        x.explain->Explain(ctx, &x.why);
        SetExplanation(x.why, "", &f);
      }
      FillVerdicts(*plan_.program, r, date, plan_.tables, &f);
      findings_.Add(std::move(f));
    }
  }

  // Appends a contribution record for every kept row of a grouped rule.
  void Collect(RuleExec& x, const Chunk& c, bool any_rejected) {
    const ir::Layout& layout = *plan_.layout;
    const Sel& s = x.sel.sel();
    const StrRef* ids = layout.id_field >= 0 ? c.columns[layout.id_field].s : nullptr;
    const int64_t* times = layout.time_field >= 0 ? c.columns[layout.time_field].i : nullptr;
    const Vec* anchor = x.anchor ? &x.anchor_vals : nullptr;
    for (uint32_t k = 0; k < s.n; ++k) {
      uint32_t row = s.idx[k];
      if (any_rejected && rejected_[row]) continue;
      key_.clear();
      EncodeKey(x.key_vals, x.info->key_types, row, &key_);
      uint64_t h = HashBytes(key_);  // picks the partition; recomputed from the key when finalizing
      for (size_t a = 0; a < x.present.size(); ++a) x.present[a] = x.agg_mask[a][row];
      bool is_anchor = true;
      if (anchor != nullptr) {
        size_t slot = anchor->at(row);
        is_anchor = (anchor->valid == nullptr || anchor->valid[slot]) && anchor->b[slot];
      }
      x.codec->Append(&x.partitions[PartitionOf(h, plan_.partition_bits)], times != nullptr ? times[row] : 0, key_, is_anchor, x.present,
                      x.arg_vals, row, ids != nullptr ? ids[row].view() : std::string_view());
    }
  }

  const Plan& plan_;
  ExecEnv env_;  // plan_.env with this worker's screener
  std::unique_ptr<screen::RuleScreener> screener_;
  std::vector<ExemptExec> exempts_;
  std::vector<std::unique_ptr<RuleExec>> rules_;
  RowErrors errors_;
  std::vector<uint8_t> rejected_;
  FindingList findings_;
  std::vector<io::Reject> rejects_;
  uint64_t rows_evaluated_ = 0;
  std::string key_;
};

// ------------------------------------------------------------------------------------------
// Finalizing grouped rules, one partition at a time.

// Every record of partition `p` of rule `rule_index`, from every worker, in worker order.
template <typename F>
size_t ForEachRecord(std::vector<Worker*>& workers, size_t rule_index, uint32_t p, F&& f) {
  size_t n = 0;
  for (Worker* w : workers) {
    const RecordBuffer& buf = w->rule(rule_index).partitions[p];
    n += buf.records();
    buf.ForEach(f);
  }
  return n;
}

size_t CountRecords(std::vector<Worker*>& workers, size_t rule_index, uint32_t p) {
  size_t n = 0;
  for (Worker* w : workers) n += w->rule(rule_index).partitions[p].records();
  return n;
}

class GroupFinalizer {
 public:
  GroupFinalizer(const Plan& plan, const RuleInfo& info)
      : plan_(plan), info_(info), chunk_(info), codec_(info.aggs, false), verdicts_(plan, info) {}

  Status Init() {
    if (!info_.rule->when) return Status::Ok();
    explain_ = std::make_unique<ExplainPlan>(*plan_.program, *info_.rule, *info_.rule->when);
    // Which operand of a top-level `or` held, found columnar for the explanation.
    for (const ir::Expr* b : explain_->branches().size() <= 127 ? explain_->branches() : std::vector<const ir::Expr*>{}) {
      branch_exprs_.emplace_back();
      Status st = CompiledExpr::Compile(*b, plan_.env, static_cast<int>(info_.key_types.size()), &branch_exprs_.back());
      if (!st.ok()) return st;
    }
    return CompiledExpr::Compile(*info_.rule->when, plan_.env, static_cast<int>(info_.key_types.size()), &when_);
  }

  Status Run(std::vector<Worker*>& workers, size_t rule_index, uint32_t p, FindingList* list) {
    size_t total = CountRecords(workers, rule_index, p);
    if (total == 0) return Status::Ok();
    // 1. Aggregate the partition.
    GroupTable table(info_.aggs, total / 2 + 16);
    std::vector<uint32_t> group_of;
    group_of.reserve(total);
    RecordView rv;
    ForEachRecord(workers, rule_index, p, [&](const char* rec) {
      codec_.Decode(rec, &rv);
      uint32_t g = table.FindOrInsert(rv.hash, rv.key);
      table.Add(g, rv);
      group_of.push_back(g);
    });
    // 2. Guards, a group chunk at a time.
    bool require = info_.rule->kind == ir::RuleKind::kRequire;
    const size_t nkeys = info_.key_types.size();
    std::vector<uint8_t> fire(table.size(), when_ ? 0 : 1);
    std::vector<int8_t> branch(branch_exprs_.empty() ? 0 : table.size(), -1);
    RowErrors errors;
    SelBuffer all;
    if (when_) {
      for (size_t base = 0; base < table.size(); base += kChunkSize) {
        uint32_t n = static_cast<uint32_t>(std::min<size_t>(kChunkSize, table.size() - base));
        for (uint32_t r = 0; r < n; ++r) LoadGroup(table, static_cast<uint32_t>(base + r), r);
        chunk_.chunk.size = n;
        all.All(n);
        errors.Clear();
        Vec v = when_->Eval(chunk_.chunk, all.sel(), &errors);
        if (!errors.rows.empty()) {
          const auto& [row, reason] = errors.rows.front();
          return Status::InvalidArgument(fmt::format("rule {}: group ({}): {}", info_.rule->id, KeyList(table.key(base + row)), reason));
        }
        for (uint32_t r = 0; r < n; ++r) {
          bool holds = (v.valid == nullptr || v.valid[v.at(r)]) && v.b[v.at(r)];
          fire[base + r] = require ? !holds : holds;
        }
        if (!require && !branch_exprs_.empty()) {
          for (uint32_t r = 0; r < n; ++r) branch[base + r] = -1;
          for (size_t b = 0; b < branch_exprs_.size(); ++b) {
            errors.Clear();
            Vec bv = branch_exprs_[b]->Eval(chunk_.chunk, all.sel(), &errors);
            for (uint32_t r = 0; r < n; ++r) {
              if (branch[base + r] < 0 && fire[base + r] && (bv.valid == nullptr || bv.valid[bv.at(r)]) && bv.b[bv.at(r)]) {
                branch[base + r] = static_cast<int8_t>(b);
              }
            }
          }
        }
      }
    }
    // 3. The record ids of the groups that fire, grouped (counting sort).
    std::vector<uint32_t> start(table.size() + 1, 0);
    for (uint32_t g : group_of) {
      if (fire[g]) ++start[g + 1];
    }
    for (size_t g = 0; g < table.size(); ++g) start[g + 1] += start[g];
    std::vector<std::string_view> ids(start.back());
    {
      std::vector<uint32_t> fill(start.begin(), start.end() - 1);
      size_t i = 0;
      ForEachRecord(workers, rule_index, p, [&](const char* rec) {
        uint32_t g = group_of[i++];
        if (!fire[g]) return;
        codec_.Decode(rec, &rv, false);
        ids[fill[g]++] = rv.id;
      });
    }
    // 4. One finding per firing group, built and rendered while its data is at hand.
    Finding scratch;
    for (uint32_t g = 0; g < table.size(); ++g) {
      if (!fire[g]) continue;
      LoadGroup(table, g, 0);
      Finding fresh;
      Finding& f = list->keeps_objects() ? fresh : scratch;
      ResetFinding(&f);
      f.keyed = true;
      f.key.resize(nkeys);
      for (size_t k = 0; k < nkeys; ++k) {
        f.key[k].first = info_.rule->keys[k].name;
        KeyTextInto(*plan_.program, chunk_.chunk.columns[k], 0, info_.key_types[k], &f.key[k].second);
      }
      std::sort(ids.begin() + start[g], ids.begin() + start[g + 1]);
      f.txn_ids.resize(start[g + 1] - start[g]);
      for (uint32_t i = start[g]; i < start[g + 1]; ++i) f.txn_ids[i - start[g]].assign(ids[i]);
      int32_t date = table.max_time(g) == INT64_MIN ? ir::kNoDate : info_.tz->LocalDay(table.max_time(g));
      if (date != ir::kNoDate) f.date = FormatDate(date);
      std::string suffix = " over " + std::to_string(table.rows(g)) + (table.rows(g) == 1 ? " transaction" : " transactions");
      if (require) {
        f.explain = "not true: " + info_.rule->verdicts[0].value + suffix;
      } else if (info_.rule->when) {
        chunk_.chunk.size = 1;
        GroupRowContext ctx(info_, chunk_.chunk, 0, plan_.tables);
        explain_->Explain(ctx, &why_, branch.empty() ? -1 : branch[g]);
        SetExplanation(why_, suffix, &f);
      } else {
        f.explain = suffix.substr(1);
      }
      verdicts_.Fill(date, &f);
      list->Add(std::move(f));
    }
    return Status::Ok();
  }

 private:
  // Group g's keys and aggregates into row r of the group chunk.
  void LoadGroup(const GroupTable& table, uint32_t g, uint32_t r) {
    DecodeKeyInto(table.key(g), info_.key_types, chunk_.chunk.columns, r);
    for (size_t a = 0; a < info_.aggs.size(); ++a) {
      table.Store(a, table.accs(g)[a], &chunk_.chunk.columns[info_.key_types.size() + a], r);
    }
  }

  // Empties a finding, keeping its buffers, and sets the rule's fields.
  void ResetFinding(Finding* f) const {
    f->rule = info_.rule->id;
    f->rule_version = info_.rule->version;
    f->citation = info_.rule->citation;
    f->ruleset_version = info_.ruleset_version;
    f->has_total = false;
    f->total_amount.clear();
    f->total_currency.clear();
    f->actions.clear();
    f->report.clear();
    f->due.clear();
    f->due_note.clear();
    f->flag.clear();
    f->message.clear();
    f->classification.clear();
    f->date.clear();
    f->explain.clear();
  }

  std::string KeyList(std::string_view key) const {
    std::vector<std::string> parts;
    for (size_t k = 0; k < info_.key_types.size(); ++k) parts.push_back(KeyText(DecodeKey(key, info_.key_types, k), *plan_.program));
    return fmt::format("{}", fmt::join(parts, ", "));
  }

  const Plan& plan_;
  const RuleInfo& info_;
  GroupChunk chunk_;
  RecordCodec codec_;
  VerdictFiller verdicts_;
  std::unique_ptr<CompiledExpr> when_;
  std::unique_ptr<ExplainPlan> explain_;
  std::vector<std::unique_ptr<CompiledExpr>> branch_exprs_;  // the operands of a top-level `or`
  Explanation why_;
};

// One aggregate over the rows currently in a sliding window.
class Slide {
 public:
  explicit Slide(const AggSpec& spec) : spec_(spec) {}

  void Add(const RecordView::Arg& a) { Change(a, +1); }
  void Remove(const RecordView::Arg& a) { Change(a, -1); }

  void Store(Vec* out, uint32_t r) const {
    out->err[r] = overflow_ ? 2 : (currencies_.size() > 1 ? 1 : 0);
    switch (spec_.kind) {
      case ir::AggKind::kCount:
        out->valid[r] = 1;
        out->i[r] = count_;
        return;
      case ir::AggKind::kCountDistinct:
        out->valid[r] = 1;
        out->i[r] = static_cast<int64_t>(distinct_.size());
        return;
      default: break;
    }
    out->valid[r] = count_ > 0;
    if (count_ == 0) return;
    i128 m;
    if (spec_.kind == ir::AggKind::kSum) {
      m = sum_;
    } else if (spec_.arg_type == PType::kStr) {
      std::string_view s = spec_.kind == ir::AggKind::kMin ? *strs_.begin() : *strs_.rbegin();
      out->s[r] = StrRef{s.data(), static_cast<uint32_t>(s.size())};
      return;
    } else {
      m = spec_.kind == ir::AggKind::kMin ? *nums_.begin() : *nums_.rbegin();
    }
    if (out->type == PType::kI64) {
      out->i[r] = static_cast<int64_t>(m);
    } else {
      out->m[r] = m;
      if (out->cur != nullptr) out->cur[r] = currencies_.empty() ? 0 : currencies_.begin()->first;
    }
  }

 private:
  void Change(const RecordView::Arg& a, int d) {
    if (!a.present) return;
    count_ += d;
    if (spec_.money && (currencies_[a.cur] += d) == 0) currencies_.erase(a.cur);
    switch (spec_.kind) {
      case ir::AggKind::kCount: return;
      case ir::AggKind::kSum:
        if (d > 0 ? __builtin_add_overflow(sum_, a.m, &sum_) : __builtin_sub_overflow(sum_, a.m, &sum_)) overflow_ = true;
        return;
      case ir::AggKind::kCountDistinct: {
        std::string_view k = spec_.arg_type == PType::kStr ? a.s : std::string_view(reinterpret_cast<const char*>(&a.m), 16);
        std::string key(k);
        if (d > 0) {
          ++distinct_[key];
        } else if (--distinct_[key] == 0) {
          distinct_.erase(key);
        }
        return;
      }
      case ir::AggKind::kMin:
      case ir::AggKind::kMax:
        if (spec_.arg_type == PType::kStr) {
          if (d > 0) {
            strs_.insert(a.s);
          } else {
            strs_.erase(strs_.find(a.s));
          }
        } else if (d > 0) {
          nums_.insert(a.m);
        } else {
          nums_.erase(nums_.find(a.m));
        }
        return;
    }
  }

  AggSpec spec_;
  int64_t count_ = 0;
  i128 sum_ = 0;
  bool overflow_ = false;
  std::map<uint16_t, int64_t> currencies_;
  std::unordered_map<std::string, int64_t> distinct_;
  std::multiset<i128> nums_;
  std::multiset<std::string_view> strs_;
};

class WindowFinalizer {
 public:
  WindowFinalizer(const Plan& plan, const RuleInfo& info) : plan_(plan), info_(info), chunk_(info), codec_(info.aggs, true) {}

  Status Init() {
    day_key_ = "day";
    for (const ir::Key& k : info_.rule->keys) {
      if (k.name == "day") day_key_ = "anchor_day";
    }
    if (info_.rule->when) return CompiledExpr::Compile(*info_.rule->when, plan_.env, static_cast<int>(info_.key_types.size()), &when_);
    return Status::Ok();
  }

  Status Run(std::vector<Worker*>& workers, size_t rule_index, uint32_t p, FindingList* out) {
    struct Row {
      uint32_t group;
      int64_t time;
      std::string_view id;
      const char* rec;
      bool anchor;
    };
    size_t total = CountRecords(workers, rule_index, p);
    if (total == 0) return Status::Ok();
    static const std::vector<AggSpec> kNoAggs;
    GroupTable groups(kNoAggs, total / 4 + 16);
    std::vector<Row> rows;
    rows.reserve(total);
    RecordView rv;
    ForEachRecord(workers, rule_index, p, [&](const char* rec) {
      codec_.Decode(rec, &rv);
      rows.push_back(Row{groups.FindOrInsert(rv.hash, rv.key), rv.time, rv.id, rec, rv.anchor});
    });
    // Event-time order within each group; ties by record id, so the output never depends on
    // the order rows were read in.
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      if (a.group != b.group) return a.group < b.group;
      if (a.time != b.time) return a.time < b.time;
      return a.id < b.id;
    });
    const int64_t width = info_.rule->window.duration_us;
    const std::vector<AggSpec>& specs = info_.aggs;
    const size_t nkeys = info_.key_types.size();
    struct Anchor {
      uint32_t group;
      uint32_t at, lo, hi;  // rows[lo..hi] is the anchor's window
    };
    std::vector<Anchor> pending;
    struct DayTrigger {
      std::vector<std::pair<uint32_t, uint32_t>> ranges;
      Explanation why;
    };
    std::map<std::pair<uint32_t, int32_t>, DayTrigger> triggers;
    RowErrors errors;
    SelBuffer all;
    auto flush = [&]() -> Status {
      if (pending.empty()) return Status::Ok();
      uint32_t n = static_cast<uint32_t>(pending.size());
      chunk_.chunk.size = n;
      all.All(n);
      errors.Clear();
      Vec v;
      if (when_) v = when_->Eval(chunk_.chunk, all.sel(), &errors);
      if (!errors.rows.empty()) return Status::InvalidArgument(fmt::format("rule {}: {}", info_.rule->id, errors.rows.front().second));
      for (uint32_t r = 0; r < n; ++r) {
        if (when_ && !((v.valid == nullptr || v.valid[v.at(r)]) && v.b[v.at(r)])) continue;
        const Anchor& a = pending[r];
        int64_t t = rows[a.at].time;
        int32_t day = info_.tz->LocalDay(t);
        auto [it, inserted] = triggers.try_emplace({a.group, day});
        it->second.ranges.emplace_back(a.lo, a.hi);
        if (inserted && info_.rule->when) {
          GroupRowContext ctx(info_, chunk_.chunk, r, plan_.tables);
          it->second.why = Explain(*plan_.program, *info_.rule, *info_.rule->when, ctx);
          it->second.why.text +=
              fmt::format(" in the {} to {}", ir::ValueToDisplay(ir::Value::Duration(width), nullptr),
                          FormatTimestamp(t, info_.tz->OffsetSeconds(t) / 60));
        }
      }
      pending.clear();
      return Status::Ok();
    };
    // A text min/max points into the slide's state: such anchors are evaluated one at a time.
    bool text_minmax = false;
    for (const AggSpec& s : specs) {
      text_minmax |= s.arg_type == PType::kStr && (s.kind == ir::AggKind::kMin || s.kind == ir::AggKind::kMax);
    }
    size_t begin = 0;
    while (begin < rows.size()) {
      size_t end = begin;
      while (end < rows.size() && rows[end].group == rows[begin].group) ++end;
      std::vector<Slide> slides;
      for (const AggSpec& s : specs) slides.emplace_back(s);
      size_t lo = begin, hi = begin;  // the window is rows[lo, hi)
      for (size_t i = begin; i < end; ++i) {
        int64_t t = rows[i].time;
        while (hi < end && rows[hi].time <= t) {
          codec_.Decode(rows[hi].rec, &rv, false);
          for (size_t a = 0; a < specs.size(); ++a) slides[a].Add(rv.args[a]);
          ++hi;
        }
        while (rows[lo].time < t - width) {
          codec_.Decode(rows[lo].rec, &rv, false);
          for (size_t a = 0; a < specs.size(); ++a) slides[a].Remove(rv.args[a]);
          ++lo;
        }
        if (!rows[i].anchor) continue;
        uint32_t r = static_cast<uint32_t>(pending.size());
        DecodeKeyInto(groups.key(rows[i].group), info_.key_types, chunk_.chunk.columns, r);
        for (size_t a = 0; a < specs.size(); ++a) slides[a].Store(&chunk_.chunk.columns[nkeys + a], r);
        pending.push_back(Anchor{rows[i].group, static_cast<uint32_t>(i), static_cast<uint32_t>(lo), static_cast<uint32_t>(hi - 1)});
        if (pending.size() == kChunkSize || text_minmax) {
          Status st = flush();
          if (!st.ok()) return st;
        }
      }
      Status st = flush();  // slides are about to be destroyed
      if (!st.ok()) return st;
      begin = end;
    }
    for (auto& [where, trig] : triggers) {
      auto [group, day] = where;
      std::vector<std::string> ids;
      for (auto [lo, hi] : trig.ranges) {
        for (uint32_t i = lo; i <= hi; ++i) ids.emplace_back(rows[i].id);
      }
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      Finding f = NewFinding(plan_, info_);
      f.keyed = true;
      for (size_t k = 0; k < nkeys; ++k) {
        f.key.emplace_back(info_.rule->keys[k].name, KeyText(DecodeKey(groups.key(group), info_.key_types, k), *plan_.program));
      }
      f.key.emplace_back(day_key_, FormatDate(day));
      f.date = FormatDate(day);
      f.txn_ids = std::move(ids);
      SetExplanation(trig.why,
                     fmt::format(" ({} transaction{}, {} triggering window{})", f.txn_ids.size(), f.txn_ids.size() == 1 ? "" : "s",
                                 trig.ranges.size(), trig.ranges.size() == 1 ? "" : "s"),
                     &f);
      FillVerdicts(*plan_.program, *info_.rule, day, plan_.tables, &f);
      out->Add(std::move(f));
    }
    return Status::Ok();
  }

 private:
  const Plan& plan_;
  const RuleInfo& info_;
  GroupChunk chunk_;
  RecordCodec codec_;
  std::unique_ptr<CompiledExpr> when_;
  std::string day_key_;
};

// ------------------------------------------------------------------------------------------

void TablesOf(const ir::Program& p, const ir::Rule& r, std::set<int>* out) {
  ir::ForEachExpr(r, [&](const ir::Expr& e, const ir::Expr*) {
    if (e.op == ir::Op::kConvert || e.op == ir::Op::kLookup || e.op == ir::Op::kInTable) out->insert(e.index);
  });
  for (const ir::Verdict& v : r.verdicts) {
    if (!v.calendar.empty()) out->insert(p.TableIndex(v.calendar));
  }
}

Status LoadTable(const ir::Program& program, int index, const std::string& path, std::unique_ptr<TableData>* out) {
  TableRows rows;
  Status st = ReadTableFile(program, index, path, &rows);
  if (!st.ok()) return st;
  auto data = std::make_unique<TableData>(program, index);
  for (std::vector<ir::Value>& row : rows.rows) {
    if (st = data->AddRow(std::move(row), path); !st.ok()) return st;
  }
  *out = std::move(data);
  return Status::Ok();
}

}  // namespace

}  // namespace exec

namespace exec {

Status LoadTables(const ir::Program& program, const std::map<std::string, std::string>& files, Tables* tables) {
  for (const auto& [name, path] : files) {
    int found = -1;
    for (size_t t = 0; t < program.tables.size(); ++t) {
      const std::string& q = program.tables[t].name;
      if (q == name || q.substr(q.rfind('.') + 1) == name) found = static_cast<int>(t);
    }
    if (found < 0) return Status::InvalidArgument("no table '" + name + "' in the library");
    std::unique_ptr<TableData> data;
    Status st = LoadTable(program, found, path, &data);
    if (!st.ok()) return st;
    tables->Set(found, std::move(data));
  }
  return Status::Ok();
}

Status LoadWatchLists(const ir::Program& program, const std::vector<std::string>& files, bool allow_partial, Tables* tables,
                      std::vector<std::string>* notes) {
  if (screen::RuleScreening::ListsUsed(program).empty()) return Status::Ok();  // nothing screens
  std::vector<screen::WatchList> lists;
  screen::ListLoadOptions options;
  options.allow_partial = allow_partial;
  if (Status st = screen::LoadListFiles(files, options, &lists, notes); !st.ok()) return st;
  std::unique_ptr<screen::RuleScreening> s;
  Status st = screen::RuleScreening::Build(program, std::move(lists), &s);
  if (!st.ok()) return st;
  tables->SetScreening(std::move(s));
  return Status::Ok();
}

Status SelectLayout(const ir::Program& program, const std::string& name, const ir::Layout** out) {
  std::set<std::string> layouts;
  for (const ir::Rule& r : program.rules) layouts.insert(r.layout);
  if (!name.empty()) {
    for (const ir::Layout& l : program.layouts) {
      if (l.name == name || l.name.substr(l.name.rfind('.') + 1) == name) *out = &l;
    }
    if (*out == nullptr) return Status::InvalidArgument("no layout '" + name + "' in the library");
    return Status::Ok();
  }
  if (layouts.size() == 1) {
    *out = program.FindLayout(*layouts.begin());
    return Status::Ok();
  }
  if (layouts.empty()) return Status::InvalidArgument("the library has no rules");
  return Status::InvalidArgument(
      fmt::format("the library's rules read several layouts ({}); choose one with --layout", fmt::join(layouts, ", ")));
}

// DECREE_TIMING=1 prints the duration of each phase to standard error (for profiling).
struct PhaseTimer {
  bool on = std::getenv("DECREE_TIMING") != nullptr;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  void Mark(std::string_view phase) {
    if (!on) return;
    auto now = std::chrono::steady_clock::now();
    fmt::print(stderr, "decree timing: {:<28} {:8.3f} s\n", phase, std::chrono::duration<double>(now - last).count());
    last = now;
  }
};

Status RunSource(const ir::Program& program, const ir::Layout& layout_ref, io::RowSource& source_ref, const Tables& tables,
                 const RunOptions& options, RunResult* result) {
  auto started = std::chrono::steady_clock::now();
  PhaseTimer timer;
  const ir::Layout* layout = &layout_ref;
  io::RowSource* source = &source_ref;
  Plan plan;
  plan.program = &program;
  plan.layout = layout;
  plan.keep_findings = options.findings_path.empty();
  *result = RunResult();
  result->layout = layout->name;
  std::map<std::string, int> index_of;
  std::set<int> needed_tables;
  for (const ir::Rule& r : program.rules) {
    if (r.layout != layout->name) {
      if (r.kind != ir::RuleKind::kExempt) result->skipped_rules.push_back(r.id);
      continue;
    }
    if (!options.only_rules.empty() && r.kind != ir::RuleKind::kExempt &&
        std::find(options.only_rules.begin(), options.only_rules.end(), r.id) == options.only_rules.end()) {
      continue;
    }
    RuleInfo info;
    info.rule = &r;
    const ir::RulesetInfo* rs = program.FindRuleset(r.ruleset);
    info.ruleset_version = rs != nullptr ? rs->version : "";
    Status st = TimeZone::Load(rs != nullptr ? rs->timezone : "UTC", &info.tz);
    if (!st.ok()) return st;
    for (const ir::Key& k : r.keys) info.key_types.push_back(k.expr->type);
    info.aggs = AggSpecs(r);
    constexpr int64_t kMargin = 2 * kMicrosPerDay;  // more than any UTC offset
    if (r.effective_from != ir::kNoDate) {
      int64_t start = info.tz->DayStart(r.effective_from);
      info.drop_before = start - kMargin;
      info.keep_from = start + kMargin;
    }
    if (r.effective_until != ir::kNoDate) {
      int64_t end = info.tz->DayStart(r.effective_until + 1);
      info.keep_until = end - kMargin;
      info.drop_from = end + kMargin;
    }
    info.grouped = r.kind == ir::RuleKind::kGroup || r.kind == ir::RuleKind::kWindow || (r.kind == ir::RuleKind::kRequire && !r.keys.empty());
    if ((info.grouped || NeedsEffective(r)) && layout->time_field < 0 && r.kind == ir::RuleKind::kWindow) {
      return Status::InvalidArgument(fmt::format("rule {} needs the time field of layout {}", r.id, layout->name));
    }
    TablesOf(program, r, &needed_tables);
    if (r.kind == ir::RuleKind::kExempt) {
      index_of["exempt:" + r.id] = static_cast<int>(plan.exempts.size());
      plan.exempts.push_back(std::move(info));
    } else {
      index_of[r.id + "#" + std::to_string(r.version)] = static_cast<int>(plan.rules.size());
      plan.rules.push_back(std::move(info));
    }
  }
  for (RuleInfo& info : plan.rules) {
    for (const std::string& e : info.rule->exempted_by) {
      auto it = index_of.find("exempt:" + e);
      if (it != index_of.end()) info.exempts.push_back(it->second);
    }
    for (const std::string& o : info.rule->overrides) {
      for (size_t j = 0; j < plan.rules.size(); ++j) {
        if (plan.rules[j].rule->id == o) info.overrides.push_back(static_cast<int>(j));
      }
    }
    result->rules.push_back(info.rule->id);
  }
  for (int t : needed_tables) {
    if (t >= 0 && tables.Get(t) == nullptr) {
      const std::string& q = program.tables[t].name;
      return Status::MissingInput(fmt::format("the rules need table {} (short name {}); no file was given for it", q, q.substr(q.rfind('.') + 1)));
    }
  }
  for (size_t f = 0; f < layout->fields.size(); ++f) {
    if (layout->fields[f].type.kind == ir::TypeKind::kTimestamp) plan.time_fields.push_back(static_cast<int>(f));
  }
  for (const RuleInfo& info : plan.rules) {
    plan.min_instant = std::max(plan.min_instant, info.tz->DayStart(DaysFromCivil(1, 1, 1)));
    plan.max_instant = std::min(plan.max_instant, info.tz->DayStart(DaysFromCivil(10000, 1, 1)));
  }
  for (const RuleInfo& info : plan.exempts) {
    plan.min_instant = std::max(plan.min_instant, info.tz->DayStart(DaysFromCivil(1, 1, 1)));
    plan.max_instant = std::min(plan.max_instant, info.tz->DayStart(DaysFromCivil(10000, 1, 1)));
  }
  plan.tables = &tables;
  plan.env.program = &program;
  plan.env.tables = &tables;
  plan.env.scalar = &tables;
  result->input_format = source->format_name();
  BlockPool pool;  // outlives the workers, whose buffers return their blocks to it
  pool.set_limit(options.memory_limit);
  plan.pool = &pool;
  // The error when the bulk state passes RunOptions::memory_budget (`--max-memory`).
  auto over_budget = [&](const char* when) {
    return Status::ResourceExhausted(fmt::format(
        "the rules' aggregation state needs more than the {} MiB allowed (--max-memory; {} MiB in use {}): raise "
        "--max-memory, or split the batch (by date, or by customer range); no findings were written",
        options.memory_limit >> 20, pool.peak() >> 20, when));
  };
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::max<size_t>(1, std::min<size_t>(threads, std::max<size_t>(1, source->segment_count()))));
  std::vector<std::unique_ptr<Worker>> workers;
  int worker_count = std::max(1, threads);
  plan.partition_bits = PartitionBits(worker_count);
  plan.partitions = 1u << plan.partition_bits;
  for (int w = 0; w < worker_count; ++w) {
    workers.push_back(std::make_unique<Worker>(plan));
    Status st = workers.back()->Init();
    if (!st.ok()) return st;
  }
  // Phase 1: read and evaluate.
  std::vector<io::SegmentResult> segments(source->segment_count());
  std::vector<Status> segment_status(source->segment_count());
  std::atomic<uint64_t> rows_read{0};
  std::atomic<bool> done{false};
  std::mutex mu;
  std::condition_variable cv;
  std::thread monitor;
  if (options.progress) {
    monitor = std::thread([&]() {
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return done.load(); })) {
        options.progress(RunProgress{source->bytes_done(), source->total_bytes(), rows_read.load()});
      }
    });
  }
  RejectSink sink(*source, options.rejects_path, kKeptRejects, &pool);
  if (Status st = sink.Open(); !st.ok()) return st;
  std::vector<Status> sink_status(source->segment_count());
  Parallel(source->segment_count(), worker_count, [&](int w, size_t s) {
    // Past the memory limit the rest is still read (segments hand over in order) but not
    // evaluated: the run stops with an error below.
    segment_status[s] = source->ReadSegment(s, [&](const Chunk& c) {
      if (!pool.over_limit()) workers[w]->Process(c);
    }, &segments[s]);
    rows_read.fetch_add(segments[s].rows_read);
    // The segment's rejects, the reader's and the evaluator's, go out in input order.
    std::vector<io::Reject> rejects = std::move(segments[s].rejects);
    std::vector<io::Reject>& evaluated = workers[w]->rejects();
    std::move(evaluated.begin(), evaluated.end(), std::back_inserter(rejects));
    evaluated.clear();
    sink_status[s] = sink.Add(s, std::move(rejects));
  });
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  if (monitor.joinable()) monitor.join();
  if (options.progress) options.progress(RunProgress{source->total_bytes(), source->total_bytes(), rows_read.load()});
  for (const Status& s : segment_status) {
    if (!s.ok()) return s;
  }
  for (const Status& s : sink_status) {
    if (!s.ok()) return s;
  }
  if (Status s = source->CheckUnchanged(); !s.ok()) return s;  // before any finding is written
  if (pool.over_limit()) return over_budget("while reading the batch");
  timer.Mark("read and evaluate rows");
  // Phases 2 and 3, rule by rule in output order: finalize a grouped rule's partitions in
  // parallel (each partition's records go back to the pool as soon as it is done), then merge
  // its findings (or the row rule's, from the workers' sorted lists) into the output.  Only
  // one rule's findings are held at a time, and memory is recycled rather than re-mapped.
  std::vector<Worker*> raw;
  for (auto& w : workers) raw.push_back(w.get());
  std::vector<size_t> rule_order(plan.rules.size());
  for (size_t i = 0; i < rule_order.size(); ++i) rule_order[i] = i;
  std::sort(rule_order.begin(), rule_order.end(), [&](size_t a, size_t b) {
    const ir::Rule& x = *plan.rules[a].rule;
    const ir::Rule& y = *plan.rules[b].rule;
    return x.id != y.id ? x.id < y.id : x.version < y.version;
  });
  for (auto& w : workers) w->findings().Sort();
  std::vector<size_t> cursor(workers.size(), 0);
  result->findings.clear();
  int out = -1;  // the findings file (a temporary name until complete), or standard output
  AtomicFile file;  // a failed run leaves no partial findings file behind
  if (!plan.keep_findings) {
    const std::string& path = options.findings_path;
    if (path == "-") {
      std::fflush(stdout);
      out = STDOUT_FILENO;
    } else {
      Status st = file.Open(path);
      if (!st.ok()) return st;
      out = file.fd();
    }
  }
  FindingMerger merger(plan.keep_findings ? &result->findings : nullptr, out, options.findings_path == "-" ? "standard output" : options.findings_path);
  // Rendered findings beyond this budget are spilled to a temporary file next to the output.
  const uint64_t spill_budget = options.memory_budget > 0 ? options.memory_budget / 4 : (64u << 20);
  std::atomic<uint64_t> held{0};
  SpillFile spill;
  std::mutex spill_mu;
  bool spill_open = false;
  Status spill_status;
  auto maybe_spill = [&](FindingList* list) -> Status {
    if (plan.keep_findings) return Status::Ok();
    if (held.fetch_add(list->line_bytes()) + list->line_bytes() <= spill_budget) return Status::Ok();
    {
      std::lock_guard<std::mutex> lock(spill_mu);
      if (!spill_open) {
        std::string dir = options.findings_path == "-" ? "." : std::filesystem::path(options.findings_path).parent_path().string();
        if (dir.empty()) dir = ".";
        Status st = spill.Open(dir);
        if (!st.ok()) return st;
        spill_open = true;
      }
    }
    uint64_t bytes = list->line_bytes();
    Status st = list->Spill(&spill);
    held.fetch_sub(bytes);
    return st;
  };
  DueNotes due_notes;
  for (const auto& w : workers) due_notes.Merge(w->findings().due_notes());
  for (size_t r : rule_order) {
    const RuleInfo& info = plan.rules[r];
    std::vector<ListRange> ranges;
    std::vector<std::unique_ptr<FindingList>> lists;
    if (info.grouped) {
      for (uint32_t p = 0; p < plan.partitions; ++p) lists.push_back(std::make_unique<FindingList>(plan.keep_findings, plan.pool));
      std::vector<Status> task_status(plan.partitions);
      // One finalizer per thread, made on its first partition and reused for the others.
      std::vector<std::unique_ptr<WindowFinalizer>> window_fins(worker_count);
      std::vector<std::unique_ptr<GroupFinalizer>> group_fins(worker_count);
      std::vector<Status> init_status(worker_count);
      Parallel(plan.partitions, worker_count, [&](int w, size_t p) {
        if (info.rule->kind == ir::RuleKind::kWindow) {
          if (!window_fins[w]) {
            window_fins[w] = std::make_unique<WindowFinalizer>(plan, info);
            init_status[w] = window_fins[w]->Init();
          }
          task_status[p] = init_status[w];
          if (task_status[p].ok()) task_status[p] = window_fins[w]->Run(raw, r, static_cast<uint32_t>(p), lists[p].get());
        } else {
          if (!group_fins[w]) {
            group_fins[w] = std::make_unique<GroupFinalizer>(plan, info);
            init_status[w] = group_fins[w]->Init();
          }
          task_status[p] = init_status[w];
          if (task_status[p].ok()) task_status[p] = group_fins[w]->Run(raw, r, static_cast<uint32_t>(p), lists[p].get());
        }
        lists[p]->Sort();
        if (task_status[p].ok()) task_status[p] = maybe_spill(lists[p].get());
        for (Worker* w : raw) w->rule(r).partitions[p].Clear();
      });
      for (const Status& st : task_status) {
        if (!st.ok()) return st;
      }
      for (auto& l : lists) {
        ranges.push_back(ListRange{l.get(), 0, l->size()});
        due_notes.Merge(l->due_notes());
      }
    } else {
      std::string prefix = FindingList::RulePrefix(info.rule->id, info.rule->version);
      for (size_t w = 0; w < workers.size(); ++w) {
        FindingList& list = workers[w]->findings();
        size_t from = cursor[w];
        while (cursor[w] < list.size() && list.key_in_order(cursor[w]).substr(0, prefix.size()) == prefix) ++cursor[w];
        ranges.push_back(ListRange{&list, from, cursor[w]});
      }
    }
    timer.Mark(fmt::format("finalize {}", info.rule->id));
    if (pool.over_limit()) return over_budget(fmt::format("finalizing {}", info.rule->id).c_str());
    Status st = merger.Merge(ranges, worker_count);
    if (!st.ok()) return st;
    timer.Mark(fmt::format("merge {}", info.rule->id));
    for (auto& l : lists) held.fetch_sub(std::min<uint64_t>(held.load(), l->line_bytes()));
  }
  Status st = merger.Flush();
  result->finding_count = merger.count();
  if (due_notes.count > 0) {
    result->notes.push_back(fmt::format("{} due date{} counted Monday–Friday where the working-day calendar lists no dates "
                                        "({}): add that year's holiday notice to the calendar (see due_note in the findings)",
                                        due_notes.count, due_notes.count == 1 ? " was" : "s were", fmt::join(due_notes.texts, "; ")));
  }
  if (!st.ok()) return st;  // the findings file, if any, is abandoned
  if (out >= 0 && out != STDOUT_FILENO && !(st = file.Commit()).ok()) return st;

  timer.Mark("write findings");
  if (Status c = sink.Commit(); !c.ok()) return c;
  uint64_t read = 0;
  for (const io::SegmentResult& seg : segments) {
    read += seg.rows_read;
    result->blank_lines += seg.blank_lines;
    result->multiline_rows += seg.multiline_rows;
    result->lines_read += seg.rows_read + seg.extra_lines + seg.blank_lines;
  }
  if (!source->line_based()) result->lines_read = 0;
  uint64_t evaluated = 0;
  for (auto& w : workers) evaluated += w->rows_evaluated();
  result->rejects = sink.TakeKept();
  result->rows_read = read;
  result->rows_evaluated = evaluated;
  result->rows_rejected = sink.count();
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result->rows_read != result->rows_evaluated + result->rows_rejected) {
    return Status::Internal(fmt::format("row accounting is off: read {} != evaluated {} + rejected {}", result->rows_read,
                                        result->rows_evaluated, result->rows_rejected));
  }
  return Status::Ok();
}

}  // namespace exec

Status Run(const ir::Program& program, const InputSpec& input, const RunOptions& options, RunResult* result) {
  const ir::Layout* layout = nullptr;
  Status st = exec::SelectLayout(program, options.layout, &layout);
  if (!st.ok()) return st;
  exec::Tables tables(program);
  st = exec::LoadTables(program, options.tables, &tables);
  if (!st.ok()) return st;
  std::vector<std::string> notes;
  st = exec::LoadWatchLists(program, options.watch_lists, options.allow_partial_lists, &tables, &notes);
  if (!st.ok()) return st;
  std::unique_ptr<io::RowSource> source;
  st = io::OpenSource(input, program, *layout, &source);
  if (!st.ok()) return st;
  st = exec::RunSource(program, *layout, *source, tables, options, result);
  result->notes.insert(result->notes.begin(), notes.begin(), notes.end());
  return st;
}

}  // namespace decree
