// Fund-flow path search (see paths.h and ir::PathSpec for the semantics).
#include "exec/paths.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/civil.h"
#include "common/codes.h"
#include "common/parallel.h"
#include "exec/group_table.h"
#include "exec/run_plan.h"
#include "ir/eval.h"

namespace decree::exec {

bool HopBuffer::Add(std::string_view txn, const std::vector<Vec>& fields, uint32_t row) {
  const Vec& amount = fields[ir::kPathAmount];
  Hop h;
  size_t a = amount.at(row);
  if (amount.scale > kHopScale || !Rescale(amount.m[a], amount.scale, kHopScale, &h.amount)) return false;
  h.txn = arena_.Append(txn);
  h.from = arena_.Append(fields[ir::kPathFrom].s[fields[ir::kPathFrom].at(row)].view());
  h.to = arena_.Append(fields[ir::kPathTo].s[fields[ir::kPathTo].at(row)].view());
  h.at = fields[ir::kPathAt].i[fields[ir::kPathAt].at(row)];
  hops_.push_back(h);
  return true;
}

namespace {

// Every hop of the batch, with accounts as numbers and two orders: by (paying account, time)
// for successors, by (receiving account, time) for predecessors.
struct HopIndex {
  std::vector<Hop> hops;
  std::vector<int32_t> from, to;       // account numbers per hop
  std::vector<uint32_t> by_from, by_to;  // hop numbers in those orders
  std::vector<uint32_t> from_start, to_start;  // per account: where its hops start (size accounts + 1)

  void Build(const std::vector<const HopBuffer*>& buffers) {
    size_t total = 0;
    for (const HopBuffer* b : buffers) total += b->hops().size();
    hops.reserve(total);
    for (const HopBuffer* b : buffers) hops.insert(hops.end(), b->hops().begin(), b->hops().end());
    AccountIds ids(total);
    from.resize(hops.size());
    to.resize(hops.size());
    for (size_t i = 0; i < hops.size(); ++i) {
      from[i] = ids.Get(hops[i].from);
      to[i] = ids.Get(hops[i].to);
    }
    Order(from, &by_from, &from_start, ids.size());
    Order(to, &by_to, &to_start, ids.size());
  }

  // Accounts numbered in order of appearance: an open-addressing table of (hash, number), a
  // hot loop over every hop (a node-based map spent most of the index's time here).
  class AccountIds {
   public:
    explicit AccountIds(size_t expected) {
      size_t cap = 1024;
      while (cap < expected) cap *= 2;
      slots_.assign(cap, Slot{0, -1});
      mask_ = cap - 1;
    }
    int32_t Get(std::string_view name) {
      uint64_t h = HashBytes(name);
      for (size_t i = h & mask_;; i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        if (s.id < 0) {
          s = Slot{h, static_cast<int32_t>(names_.size())};
          names_.push_back(name);
          if (2 * names_.size() > slots_.size()) Grow();
          return static_cast<int32_t>(names_.size() - 1);
        }
        if (s.hash == h && names_[s.id] == name) return s.id;
      }
    }
    size_t size() const { return names_.size(); }

   private:
    void Grow() {
      std::vector<Slot> old(2 * slots_.size(), Slot{0, -1});
      old.swap(slots_);
      mask_ = slots_.size() - 1;
      for (const Slot& s : old) {
        if (s.id < 0) continue;
        size_t i = s.hash & mask_;
        while (slots_[i].id >= 0) i = (i + 1) & mask_;
        slots_[i] = s;
      }
    }

    struct Slot {
      uint64_t hash;
      int32_t id;
    };
    std::vector<Slot> slots_;
    std::vector<std::string_view> names_;
    size_t mask_;
  };

  // Hops grouped by `account` (a counting sort), in a total order within an account that does
  // not depend on how the batch was split: time, then txn id, then the rest.
  void Order(const std::vector<int32_t>& account, std::vector<uint32_t>* order, std::vector<uint32_t>* start, size_t n) {
    start->assign(n + 1, 0);
    for (int32_t a : account) ++(*start)[a + 1];
    for (size_t a = 0; a < n; ++a) (*start)[a + 1] += (*start)[a];
    order->resize(account.size());
    std::vector<uint32_t> next(start->begin(), start->end() - 1);
    for (size_t i = 0; i < account.size(); ++i) (*order)[next[account[i]]++] = static_cast<uint32_t>(i);
    auto before = [&](uint32_t x, uint32_t y) {
      const Hop& a = hops[x];
      const Hop& b = hops[y];
      return std::tie(a.at, a.txn, a.from, a.to, a.amount) < std::tie(b.at, b.txn, b.from, b.to, b.amount);
    };
    for (size_t a = 0; a < n; ++a) std::sort(order->begin() + (*start)[a], order->begin() + (*start)[a + 1], before);
  }
};

// Attributes of one path for the rule's `when`.
class PathContext : public ir::EvalContext {
 public:
  explicit PathContext(int currency) : currency_(currency) {}
  ir::Value Agg(int i, std::string*) const override {
    switch (i) {
      case ir::kPathHops: return ir::Value::Integer(hops_);
      case ir::kPathElapsed: return ir::Value::Duration(elapsed_);
      case ir::kPathFirstAmount: return ir::Value::Money(first_, kHopScale, currency_);
      default: return ir::Value::Money(last_, kHopScale, currency_);
    }
  }
  void Set(int hops, int64_t elapsed, i128 first, i128 last) {
    hops_ = hops;
    elapsed_ = elapsed;
    first_ = first;
    last_ = last;
  }

 private:
  int currency_;
  int hops_ = 0;
  int64_t elapsed_ = 0;
  i128 first_ = 0, last_ = 0;
};

// The search from one first hop at a time; one per task.
class PathSearch {
 public:
  PathSearch(const Plan& plan, const RuleInfo& info, const HopIndex& ix)
      : plan_(plan), info_(info), spec_(info.rule->path), ix_(ix), ctx_(info.rule->keys[ir::kPathAmount].expr->type.currency),
        verdicts_(plan, info) {
    const ir::Layout& l = *plan.layout;
    const ir::Expr& from = *info.rule->keys[ir::kPathFrom].expr;
    from_name_ = from.op == ir::Op::kColumn ? l.fields[from.index].name : "from";
    id_name_ = l.id_field >= 0 ? l.fields[l.id_field].name : "txn_id";
    if (spec_.has_ratio) {
      lo_m_ = spec_.ratio_lo.m;
      lo_s_ = spec_.ratio_lo.scale;
      hi_m_ = spec_.ratio_hi.m;
      hi_s_ = spec_.ratio_hi.scale;
    }
  }

  // Paths starting with hop `s`, as one finding in `out`.
  Status From(uint32_t s, FindingList* out) {
    found_.clear();
    path_[0] = s;
    acc_[0] = ix_.from[s];
    acc_[1] = ix_.to[s];
    if (spec_.distinct && !spec_.cycle && acc_[0] == acc_[1]) return Status::Ok();  // a transfer to itself
    Predecessors(s);
    Status st = Visit(1);
    if (!st.ok() || found_.empty()) return st;
    Emit(out);
    return Status::Ok();
  }

 private:
  // Whether hop b may follow hop a (b is a hop of a's receiving account).
  bool Links(const Hop& a, const Hop& b) const {
    if (b.at <= a.at || b.at - a.at > spec_.within_us) return false;
    if (!spec_.has_ratio) return true;
    i128 lo, b_lo, hi, b_hi;
    // lo * a <= b <= hi * a, with lo = lo_m / 10^lo_s and hi = hi_m / 10^hi_s.
    if (!MulChecked(lo_m_, a.amount, &lo) || !MulChecked(b.amount, Pow10(lo_s_), &b_lo) || lo > b_lo) return false;
    return MulChecked(hi_m_, a.amount, &hi) && MulChecked(b.amount, Pow10(hi_s_), &b_hi) && b_hi <= hi;
  }

  bool Seen(int32_t account, int len) const {
    for (int i = 0; i <= len; ++i) {
      if (acc_[i] == account) return true;
    }
    return false;
  }

  void Predecessors(uint32_t s) {
    preds_.clear();
    if (!spec_.maximal) return;
    const Hop& h = ix_.hops[s];
    int32_t account = ix_.from[s];
    auto begin = ix_.by_to.begin() + ix_.to_start[account], end = ix_.by_to.begin() + ix_.to_start[account + 1];
    // Hops into the account from `within` before h on; by_to is by time within an account.
    auto it = std::lower_bound(begin, end, h.at - spec_.within_us, [&](uint32_t i, int64_t t) { return ix_.hops[i].at < t; });
    for (; it != end && ix_.hops[*it].at < h.at; ++it) {
      if (Links(ix_.hops[*it], h)) preds_.push_back(ix_.from[*it]);
    }
  }

  // The path_[0..len) is a path; reports it if it qualifies, then extends it.
  Status Visit(int len) {
    const Hop& last = ix_.hops[path_[len - 1]];
    bool closed = spec_.cycle && acc_[len] == acc_[0];
    bool extends = false;
    if (len < spec_.max_hops && !(closed && spec_.distinct)) {
      int32_t account = acc_[len];
      auto begin = ix_.by_from.begin() + ix_.from_start[account], end = ix_.by_from.begin() + ix_.from_start[account + 1];
      auto it = std::upper_bound(begin, end, last.at, [&](int64_t t, uint32_t i) { return t < ix_.hops[i].at; });
      for (; it != end && ix_.hops[*it].at - last.at <= spec_.within_us; ++it) {
        if (!Links(last, ix_.hops[*it])) continue;
        int32_t next = ix_.to[*it];
        bool closes = spec_.cycle && next == acc_[0];
        if (spec_.distinct && !closes && Seen(next, len)) continue;
        extends = true;
        path_[len] = *it;
        acc_[len + 1] = next;
        if (Status st = Visit(len + 1); !st.ok()) return st;
      }
    }
    if (len < spec_.min_hops || (spec_.cycle && !closed)) return Status::Ok();
    if (spec_.maximal && len < spec_.max_hops) {
      if (extends) return Status::Ok();
      for (int32_t p : preds_) {
        if (!spec_.distinct || !Seen(p, len)) return Status::Ok();
      }
    }
    if (info_.rule->when) {
      const Hop& first = ix_.hops[path_[0]];
      ctx_.Set(len, last.at - first.at, first.amount, last.amount);
      ir::Value v;
      std::string error;
      if (!ir::EvalScalar(*plan_.program, *info_.rule->when, ctx_, &v, &error)) {
        return Status::InvalidArgument(fmt::format("rule {}: {}", info_.rule->id, error));
      }
      if (!v.truthy()) return Status::Ok();
    }
    found_.emplace_back(path_, path_ + len);
    return Status::Ok();
  }

  void Emit(FindingList* out) {
    auto txns = [&](const std::vector<uint32_t>& p, const std::vector<uint32_t>& q) {
      return std::lexicographical_compare(p.begin(), p.end(), q.begin(), q.end(),
                                          [&](uint32_t a, uint32_t b) { return ix_.hops[a].txn < ix_.hops[b].txn; });
    };
    std::sort(found_.begin(), found_.end(), txns);
    const Hop& first = ix_.hops[found_[0][0]];
    Finding f = NewFinding(plan_, info_);
    f.keyed = true;
    f.key = {{from_name_, std::string(first.from)}, {id_name_, std::string(first.txn)}};
    int currency = info_.rule->keys[ir::kPathAmount].expr->type.currency;
    int minor = std::min(kHopScale, CurrencyMinorUnits(static_cast<CurrencyId>(currency)));
    int64_t latest = first.at;
    std::vector<std::string_view> ids;
    for (const std::vector<uint32_t>& p : found_) {
      std::vector<PathHop>& hops = f.paths.emplace_back();
      for (uint32_t i : p) {
        const Hop& h = ix_.hops[i];
        latest = std::max(latest, h.at);
        ids.push_back(h.txn);
        hops.push_back(PathHop{std::string(h.txn), std::string(h.from), std::string(h.to),
                               FormatDecimalTrimmed(h.amount, kHopScale, minor), FormatTimestamp(h.at, info_.tz->OffsetSeconds(h.at) / 60)});
      }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (std::string_view id : ids) f.txn_ids.emplace_back(id);
    int32_t date = info_.tz->LocalDay(latest);
    f.date = FormatDate(date);
    const std::vector<PathHop>& shown = f.paths[0];
    std::string accounts = shown[0].from;
    for (const PathHop& h : shown) accounts += " → " + h.to;
    f.explain = fmt::format("{} path{} from {} starting with {}: {} ({} hop{}, {} → {} {})", f.paths.size(),
                            f.paths.size() == 1 ? "" : "s", shown[0].from, shown[0].txn_id, accounts, shown.size(),
                            shown.size() == 1 ? "" : "s", shown.front().amount, shown.back().amount,
                            CurrencyCode(static_cast<CurrencyId>(currency)));
    verdicts_.Fill(date, &f);
    out->Add(std::move(f));
  }

  const Plan& plan_;
  const RuleInfo& info_;
  const ir::PathSpec& spec_;
  const HopIndex& ix_;
  PathContext ctx_;
  VerdictFiller verdicts_;
  std::string from_name_, id_name_;
  i128 lo_m_ = 0, hi_m_ = 0;
  int lo_s_ = 0, hi_s_ = 0;
  uint32_t path_[ir::kMaxPathHops];
  int32_t acc_[ir::kMaxPathHops + 1];
  std::vector<int32_t> preds_;                 // paying accounts of the first hop's predecessors
  std::vector<std::vector<uint32_t>> found_;  // the reported paths of the current first hop
};

}  // namespace

Status FindPaths(const Plan& plan, const RuleInfo& info, const std::vector<const HopBuffer*>& buffers, int threads,
                 std::vector<std::unique_ptr<FindingList>>* lists) {
  HopIndex ix;
  ix.Build(buffers);
  constexpr size_t kPerTask = 4096;
  size_t tasks = (ix.hops.size() + kPerTask - 1) / kPerTask;
  size_t base = lists->size();
  for (size_t t = 0; t < tasks; ++t) lists->push_back(std::make_unique<FindingList>(plan.keep_findings, plan.pool));
  std::vector<Status> status(tasks);
  Parallel(tasks, threads, [&](int, size_t t) {
    PathSearch search(plan, info, ix);
    FindingList* out = (*lists)[base + t].get();
    for (size_t i = t * kPerTask; i < std::min(ix.hops.size(), (t + 1) * kPerTask) && status[t].ok(); ++i) {
      status[t] = search.From(static_cast<uint32_t>(i), out);
    }
    out->Sort();
  });
  for (const Status& st : status) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace decree::exec
