// Phase 1 of a run (exec/run.cpp): a Worker evaluates the chunks of the segments it reads —
// row rules into findings, group and window rules into thread-local state partitioned by the
// hash of their key — and collects the rows it rejects.  One per thread; nothing shared but
// the Plan (read-only) and the BlockPool.
#pragma once

#include "exec/memory.h"
#include "exec/rejects.h"
#include "exec/run_plan.h"

namespace decree::exec {

class Worker {
 public:
  explicit Worker(const Plan& plan) : plan_(plan), findings_(std::make_unique<FindingList>(plan.keep_findings, plan.pool)) {}

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
      if (st.ok() && !info.grouped && !info.path) st = CompileRow(r.when, env_, &x->when);
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
      if (info.path) x->hops = std::make_unique<HopBuffer>(plan_.pool, plan_.hop_budget, plan_.hop_spill);  // empty when it reads another's
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
      if (x.info->path) {
        if (x.info->hops_of != static_cast<int>(&xp - rules_.data())) continue;  // reads another rule's hops
        for (size_t i = 0; i < x.keys.size(); ++i) x.key_vals[i] = x.keys[i]->Eval(c, s, &errors_);
        // A hop's amount is compared at kHopScale: one that does not fit there rejects the row.
        const Vec& amount = x.key_vals[ir::kPathAmount];
        for (uint32_t k = 0; k < s.n; ++k) {
          if (!amount.IsValid(s.idx[k])) continue;
          if (amount.scale > kHopScale || !FitsHopScale(amount.m[amount.at(s.idx[k])], amount.scale)) {
            errors_.Add(s.idx[k], fmt::format("rule {}: a fund-flow amount with more than {} decimals or too large", r.id, kHopScale));
          }
        }
        continue;
      }
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
      if (s.n == 0) continue;  // no row kept: Collect reads nothing (one record online: most rules)
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
      if (x.info->path) {
        if (x.info->hops_of == static_cast<int>(&xp - rules_.data())) CollectHops(x, c, any_rejected);
      } else if (!x.info->grouped) {
        EmitRowFindings(x, c, any_rejected);
      } else {
        Collect(x, c, any_rejected);
      }
    }
  }

  FindingList& findings() { return *findings_; }
  // Ready for another run over the same plan (exec::Incremental): no findings, rejects, counts
  // or group state are left of the last one; what Init compiled stays.
  void ResetForRun() {
    if (!findings_->Clear()) findings_ = std::make_unique<FindingList>(plan_.keep_findings, plan_.pool);
    rejects_.clear();
    rows_evaluated_ = 0;
    for (auto& x : rules_) {
      for (auto& part : x->partitions) part.Clear();
      if (x->hops) x->hops->Clear();
    }
  }
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
      findings_->Add(std::move(f));
    }
  }

  // Appends the hop of every kept row of a path rule: a row whose flow fields are missing is no
  // hop (no account to link).
  void CollectHops(RuleExec& x, const Chunk& c, bool any_rejected) {
    const ir::Layout& layout = *plan_.layout;
    const Sel& s = x.sel.sel();
    const StrRef* ids = layout.id_field >= 0 ? c.columns[layout.id_field].s : nullptr;
    for (uint32_t k = 0; k < s.n; ++k) {
      uint32_t row = s.idx[k];
      if (any_rejected && rejected_[row]) continue;
      bool complete = true;
      for (const Vec& v : x.key_vals) complete = complete && v.IsValid(row);
      if (!complete) continue;
      x.hops->Add(ids != nullptr ? ids[row].view() : std::string_view(), x.key_vals, row);
    }
    x.hops->MaybeSpill();
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
  std::unique_ptr<FindingList> findings_;
  std::vector<io::Reject> rejects_;
  uint64_t rows_evaluated_ = 0;
  std::string key_;
};

}  // namespace decree::exec
