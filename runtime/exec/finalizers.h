// Phase 2 of a run (exec/run.cpp): a partition's records of one group or window rule, merged
// across workers and finalized — group guards on group chunks with the columnar executor
// (GroupFinalizer), sliding windows swept in event-time order (Slide, WindowFinalizer).  One
// finalizer per thread, reused across partitions.
#pragma once

#include "exec/worker.h"

namespace decree::exec {

// ------------------------------------------------------------------------------------------
// Finalizing grouped rules, one partition at a time.

// Every record of partition `p` of rule `rule_index`, from every worker, in worker order.
template <typename F>
inline size_t ForEachRecord(std::vector<Worker*>& workers, size_t rule_index, uint32_t p, F&& f) {
  size_t n = 0;
  for (Worker* w : workers) {
    const RecordBuffer& buf = w->rule(rule_index).partitions[p];
    n += buf.records();
    buf.ForEach(f);
  }
  return n;
}

inline size_t CountRecords(std::vector<Worker*>& workers, size_t rule_index, uint32_t p) {
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
    GroupTable& table = table_;
    table.Reset(total / 2 + 16);
    std::vector<uint32_t>& group_of = group_of_;
    group_of.clear();
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
    std::vector<uint8_t>& fire = fire_;
    fire.assign(table.size(), when_ ? 0 : 1);
    std::vector<int8_t>& branch = branch_;
    branch.assign(branch_exprs_.empty() ? 0 : table.size(), -1);
    RowErrors& errors = errors_;
    SelBuffer& all = all_;
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
        Sel& fired = fired_.sel();
        fired.n = 0;
        for (uint32_t r = 0; r < n; ++r) {
          bool holds = (v.valid == nullptr || v.valid[v.at(r)]) && v.b[v.at(r)];
          fire[base + r] = require ? !holds : holds;
          if (fire[base + r]) fired.idx[fired.n++] = static_cast<uint16_t>(r);
        }
        if (!require && !branch_exprs_.empty() && fired.n > 0) {  // which branch held, for the explanations
          for (size_t b = 0; b < branch_exprs_.size(); ++b) {
            errors.Clear();
            Vec bv = branch_exprs_[b]->Eval(chunk_.chunk, fired, &errors);
            for (uint32_t k = 0; k < fired.n; ++k) {
              uint32_t r = fired.idx[k];
              if (branch[base + r] < 0 && (bv.valid == nullptr || bv.valid[bv.at(r)]) && bv.b[bv.at(r)]) {
                branch[base + r] = static_cast<int8_t>(b);
              }
            }
          }
        }
      }
    }
    // 3. The record ids of the groups that fire, grouped (counting sort).
    std::vector<uint32_t>& start = start_;
    start.assign(table.size() + 1, 0);
    size_t firing = 0;
    for (uint32_t g : group_of) {
      if (fire[g]) ++start[g + 1];
    }
    for (size_t g = 0; g < table.size(); ++g) {
      firing += fire[g];
      start[g + 1] += start[g];
    }
    if (firing == 0) return Status::Ok();
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
  SelBuffer fired_;                                           // the groups of a chunk that fire
  SelBuffer all_;                                             // every group of a chunk
  GroupTable table_{info_.aggs, 0};                           // a partition's groups (reused)
  Explanation why_;
  // A run's scratch, kept for the next: by record, the group; by group, whether it fires and
  // which `or` operand held, and where its record ids start.
  std::vector<uint32_t> group_of_, start_;
  std::vector<uint8_t> fire_;
  std::vector<int8_t> branch_;
  RowErrors errors_;
};

// One aggregate over the rows currently in a sliding window.
class Slide {
 public:
  explicit Slide(const AggSpec& spec) : spec_(spec) {}

  // Empty again (a new group), its buffers kept.
  void Reset() {
    count_ = 0;
    sum_ = 0;
    overflow_ = false;
    currencies_.clear();
    distinct_.clear();
    nums_.clear();
    strs_.clear();
  }

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
      if (out->cur != nullptr) out->cur[r] = currencies_.empty() ? 0 : currencies_.front().first;
    }
  }

 private:
  void Change(const RecordView::Arg& a, int d) {
    if (!a.present) return;
    count_ += d;
    if (spec_.money) CountCurrency(a.cur, d);
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

  // The window's rows by currency, ascending by code, without zero counts (mostly one).
  void CountCurrency(uint16_t cur, int d) {
    auto it = std::lower_bound(currencies_.begin(), currencies_.end(), cur, [](const auto& c, uint16_t code) { return c.first < code; });
    if (it == currencies_.end() || it->first != cur) it = currencies_.insert(it, {cur, 0});
    if ((it->second += d) == 0) currencies_.erase(it);
  }

  AggSpec spec_;
  int64_t count_ = 0;
  i128 sum_ = 0;
  bool overflow_ = false;
  std::vector<std::pair<uint16_t, int64_t>> currencies_;
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

  // Evaluates only the anchors whose local day is in [from, to] (the next runs, until set
  // again): a finding is a group's triggering windows of one anchor day, so the findings of
  // those days are exactly the full run's.  exec::Incremental asks for the days whose windows
  // can hold its record.
  void OnlyAnchorDays(int32_t from, int32_t to) { day_from_ = from, day_to_ = to; }

  Status Run(std::vector<Worker*>& workers, size_t rule_index, uint32_t p, FindingList* out) {
    size_t total = CountRecords(workers, rule_index, p);
    if (total == 0) return Status::Ok();
    GroupTable& groups = groups_;
    groups.Reset(total / 4 + 16);
    std::vector<Row>& rows = rows_;
    rows.clear();
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
    std::vector<Anchor>& pending = pending_;
    pending.clear();
    struct DayTrigger {
      std::vector<std::pair<uint32_t, uint32_t>> ranges;
      Explanation why;
    };
    std::map<std::pair<uint32_t, int32_t>, DayTrigger> triggers;
    RowErrors& errors = errors_;
    SelBuffer& all = all_;
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
      std::vector<Slide>& slides = slides_;
      if (slides.empty()) {
        for (const AggSpec& s : specs) slides.emplace_back(s);
      }
      for (Slide& s : slides) s.Reset();
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
        if (!rows[i].anchor || !AnchorDayWanted(rows[i].time)) continue;
        uint32_t r = static_cast<uint32_t>(pending.size());
        DecodeKeyInto(groups.key(rows[i].group), info_.key_types, chunk_.chunk.columns, r);
        for (size_t a = 0; a < specs.size(); ++a) slides[a].Store(&chunk_.chunk.columns[nkeys + a], r);
        pending.push_back(Anchor{rows[i].group, static_cast<uint32_t>(i), static_cast<uint32_t>(lo), static_cast<uint32_t>(hi - 1)});
        if (pending.size() == kChunkSize || text_minmax) {
          Status st = flush();
          if (!st.ok()) return st;
        }
      }
      Status st = flush();  // before the slides are reset for the next group
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
  int32_t day_from_ = INT32_MIN, day_to_ = INT32_MAX;  // OnlyAnchorDays
  bool AnchorDayWanted(int64_t t) const {
    if (day_from_ == INT32_MIN && day_to_ == INT32_MAX) return true;
    int32_t day = info_.tz->LocalDay(t);
    return day >= day_from_ && day <= day_to_;
  }
  SelBuffer all_;  // every pending anchor of a chunk
  // A run's scratch, kept for the next.
  struct Row {
    uint32_t group;
    int64_t time;
    std::string_view id;
    const char* rec;
    bool anchor;
  };
  struct Anchor {
    uint32_t group;
    uint32_t at, lo, hi;  // rows[lo..hi] is the anchor's window
  };
  std::vector<Row> rows_;
  std::vector<Anchor> pending_;
  std::vector<Slide> slides_;  // one per aggregate, reset for each group
  RowErrors errors_;
  static inline const std::vector<AggSpec> kNoAggs;
  GroupTable groups_{kNoAggs, 0};  // a partition's groups (reused)
};

// One grouped rule's finalizer (window or group), made and initialized on its first use and
// reused for that rule's next partitions.  Not thread-safe: one per thread.
class RuleFinalizer {
 public:
  Status Run(const Plan& plan, size_t rule, std::vector<Worker*>& workers, uint32_t p, FindingList* out) {
    if (!made_) {
      made_ = true;
      const RuleInfo& info = plan.rules[rule];
      if (info.rule->kind == ir::RuleKind::kWindow) {
        window_ = std::make_unique<WindowFinalizer>(plan, info);
        init_ = window_->Init();
      } else {
        group_ = std::make_unique<GroupFinalizer>(plan, info);
        init_ = group_->Init();
      }
    }
    if (!init_.ok()) return init_;
    if (window_) window_->OnlyAnchorDays(day_from_, day_to_);
    return window_ ? window_->Run(workers, rule, p, out) : group_->Run(workers, rule, p, out);
  }
  // For a window rule, WindowFinalizer::OnlyAnchorDays for the next runs; a group rule ignores it.
  void OnlyAnchorDays(int32_t from, int32_t to) { day_from_ = from, day_to_ = to; }

 private:
  int32_t day_from_ = INT32_MIN, day_to_ = INT32_MAX;
  bool made_ = false;
  Status init_;
  std::unique_ptr<WindowFinalizer> window_;
  std::unique_ptr<GroupFinalizer> group_;
};

}  // namespace decree::exec
