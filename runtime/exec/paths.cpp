// Fund-flow path search (see paths.h and ir::PathSpec for the semantics).
#include "exec/paths.h"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/civil.h"
#include "common/codes.h"
#include "common/parallel.h"
#include "exec/group_table.h"
#include "exec/run_plan.h"
#include "ir/eval.h"

namespace decree::exec {

void HopBuffer::Add(std::string_view txn, const std::vector<Vec>& fields, uint32_t row) {
  const Vec& amount = fields[ir::kPathAmount];
  Hop h;
  Rescale(amount.m[amount.at(row)], amount.scale, kHopScale, &h.amount);  // fits: see FitsHopScale
  h.txn = arena_.Append(txn);
  h.from = arena_.Append(fields[ir::kPathFrom].s[fields[ir::kPathFrom].at(row)].view());
  h.to = arena_.Append(fields[ir::kPathTo].s[fields[ir::kPathTo].at(row)].view());
  h.at = fields[ir::kPathAt].i[fields[ir::kPathAt].at(row)];
  hops_.push_back(h);
}

// Every hop of the batch, with accounts as numbers and two orders: by (paying account, time)
// for successors, by (receiving account, time) for predecessors.
struct HopIndex {
  std::vector<Hop> hops;
  std::vector<int32_t> from, to;               // account numbers per hop
  std::vector<uint32_t> by_from, by_to;        // hop numbers in those orders
  std::vector<uint32_t> from_start, to_start;  // per account: where its hops start (size accounts + 1)
  // What the search reads, laid out in those orders: for successors (by_from order) each hop's
  // time, amount and receiving account; for predecessors (by_to order) its time, amount and
  // paying account.  Contiguous per account, so a scan reads no Hop.
  std::vector<int64_t> out_at, in_at;
  std::vector<i128> out_amount, in_amount;
  std::vector<int32_t> out_to, in_from;
  std::vector<int32_t> out_from;  // by_from order: the paying account (the first hop's)

  void Build(const std::vector<const HopBuffer*>& buffers, int threads) {
    size_t total = 0;
    for (const HopBuffer* b : buffers) total += b->hops().size();
    hops.reserve(total);
    for (const HopBuffer* b : buffers) hops.insert(hops.end(), b->hops().begin(), b->hops().end());
    Finish(threads);
  }

  // The index over `hops` as they are.
  void Finish(int threads) {
    size_t accounts = Number(threads);
    Parallel(2, threads, [&](int, size_t which) {
      if (which == 0) {
        Order(from, &by_from, &from_start, accounts);
        Lay(by_from, to, &out_at, &out_amount, &out_to);
        out_from.resize(by_from.size());
        for (size_t a = 0; a < accounts; ++a) {
          std::fill(out_from.begin() + from_start[a], out_from.begin() + from_start[a + 1], static_cast<int32_t>(a));
        }
      } else {
        Order(to, &by_to, &to_start, accounts);
        Lay(by_to, from, &in_at, &in_amount, &in_from);
      }
    });
  }

  void Lay(const std::vector<uint32_t>& order, const std::vector<int32_t>& other, std::vector<int64_t>* at,
           std::vector<i128>* amount, std::vector<int32_t>* account) {
    at->resize(order.size());
    amount->resize(order.size());
    account->resize(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      const Hop& h = hops[order[k]];
      (*at)[k] = h.at;
      (*amount)[k] = h.amount;
      (*account)[k] = other[order[k]];
    }
  }

  // Numbers the accounts of `hops` into from/to; returns how many there are.  Every account
  // name is hashed, the names are split by hash into partitions small enough for a cache, and
  // each partition is numbered on its own, in parallel (one table over every name spent most
  // of the index's time in cache misses).
  size_t Number(int threads) {
    constexpr int kBits = 8;
    constexpr size_t kParts = size_t{1} << kBits;
    struct Ref {
      uint64_t hash;
      uint32_t hop;
      uint32_t side;  // 0 from, 1 to; then the number within the partition
    };
    const size_t n = hops.size();
    std::vector<uint64_t> hash(2 * n);
    constexpr size_t kBlock = 1 << 16;
    Parallel((2 * n + kBlock - 1) / kBlock, threads, [&](int, size_t blk) {
      for (size_t i = blk * kBlock; i < std::min(2 * n, (blk + 1) * kBlock); ++i) {
        hash[i] = HashBytes(i < n ? hops[i].from : hops[i - n].to);
      }
    });
    std::vector<size_t> start(kParts + 1, 0);
    for (uint64_t h : hash) ++start[(h >> (64 - kBits)) + 1];
    for (size_t p = 0; p < kParts; ++p) start[p + 1] += start[p];
    std::vector<Ref> refs(2 * n);
    std::vector<size_t> next(start.begin(), start.end() - 1);
    for (size_t i = 0; i < 2 * n; ++i) {
      refs[next[hash[i] >> (64 - kBits)]++] = Ref{hash[i], static_cast<uint32_t>(i < n ? i : i - n), i < n ? 0u : 1u};
    }
    std::vector<uint32_t> distinct(kParts, 0);
    Parallel(kParts, threads, [&](int, size_t p) {
      PartitionIds ids(start[p + 1] - start[p]);
      for (size_t i = start[p]; i < start[p + 1]; ++i) {
        Ref& r = refs[i];
        r.side = r.side | (static_cast<uint32_t>(ids.Get(r.hash, r.side == 0 ? hops[r.hop].from : hops[r.hop].to)) << 1);
      }
      distinct[p] = static_cast<uint32_t>(ids.size());
    });
    std::vector<uint32_t> base(kParts + 1, 0);
    for (size_t p = 0; p < kParts; ++p) base[p + 1] = base[p] + distinct[p];
    from.resize(n);
    to.resize(n);
    Parallel(kParts, threads, [&](int, size_t p) {
      for (size_t i = start[p]; i < start[p + 1]; ++i) {
        const Ref& r = refs[i];
        int32_t id = static_cast<int32_t>(base[p] + (r.side >> 1));
        ((r.side & 1) == 0 ? from : to)[r.hop] = id;
      }
    });
    return base[kParts];
  }

  // The accounts of one partition, numbered in order of appearance: open addressing over
  // (hash, number).
  class PartitionIds {
   public:
    explicit PartitionIds(size_t most) {
      size_t cap = 16;
      while (cap < 2 * most) cap *= 2;
      slots_.assign(cap, Slot{0, -1});
      mask_ = cap - 1;
    }
    int32_t Get(uint64_t h, std::string_view name) {
      for (size_t i = h & mask_;; i = (i + 1) & mask_) {
        Slot& s = slots_[i];
        if (s.id < 0) {
          s = Slot{h, static_cast<int32_t>(names_.size())};
          names_.push_back(name);
          return s.id;
        }
        if (s.hash == h && names_[s.id] == name) return s.id;
      }
    }
    size_t size() const { return names_.size(); }

   private:
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

namespace {

void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }

}  // namespace

Status HopSpill::Write(const std::string& bytes, uint64_t* at) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!open_) {
      if (Status st = file_.Open(dir_); !st.ok()) return st;
      open_ = true;
    }
  }
  *at = file_.Reserve(bytes.size());
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = pwrite(file_.fd(), bytes.data() + done, bytes.size() - done, static_cast<off_t>(*at + done));
    if (n <= 0) return Status::IoError(fmt::format("writing spilled fund-flow hops in {}: {}", dir_, std::strerror(errno)));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status HopSpill::Read(uint64_t at, size_t n, std::string* out) const {
  out->resize(n);
  for (size_t done = 0; done < n;) {
    ssize_t r = pread(file_.fd(), out->data() + done, n - done, static_cast<off_t>(at + done));
    if (r <= 0) return Status::IoError(fmt::format("reading spilled fund-flow hops: {}", r == 0 ? "short file" : std::strerror(errno)));
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

void HopBuffer::MaybeSpill() {
  if (budget_ == 0 || arena_.bytes() + hops_.size() * sizeof(Hop) < budget_ || !status_.ok()) return;
  std::stable_sort(hops_.begin(), hops_.end(), [](const Hop& a, const Hop& b) { return a.at < b.at; });
  // A record: time, amount, the three lengths, the three strings.
  std::string bytes;
  bytes.reserve(arena_.bytes() + hops_.size() * 36);
  for (const Hop& h : hops_) {
    bytes.append(reinterpret_cast<const char*>(&h.at), sizeof(h.at));
    bytes.append(reinterpret_cast<const char*>(&h.amount), sizeof(h.amount));
    for (std::string_view v : {h.txn, h.from, h.to}) PutU32(&bytes, static_cast<uint32_t>(v.size()));
    for (std::string_view v : {h.txn, h.from, h.to}) bytes.append(v);
  }
  HopRun run;
  run.bytes = bytes.size();
  status_ = spill_->Write(bytes, &run.at);
  runs_.push_back(run);
  hops_.clear();
  arena_.Clear();
}

namespace {

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

  // Paths starting with the hop at position `k` of the successor order, as one finding.
  Status From(uint32_t k, FindingList* out) {
    found_.clear();
    visits_ = 0;
    path_[0] = k;
    acc_[0] = ix_.out_from[k];
    acc_[1] = ix_.out_to[k];
    if (spec_.distinct && !spec_.cycle && acc_[0] == acc_[1]) return Status::Ok();  // a transfer to itself
    Predecessors(k);
    Status st = Visit(1);
    if (!st.ok() || found_.empty()) return st;
    Emit(out);
    return Status::Ok();
  }

 private:
  // Whether a hop (at b_at moving b_amount) may follow one (at a_at moving a_amount) into the
  // account it leaves.
  bool Links(int64_t a_at, i128 a_amount, int64_t b_at, i128 b_amount) const {
    if (b_at <= a_at || b_at - a_at > spec_.within_us) return false;
    if (!spec_.has_ratio) return true;
    i128 lo, b_lo, hi, b_hi;
    // lo * a <= b <= hi * a, with lo = lo_m / 10^lo_s and hi = hi_m / 10^hi_s.
    if (!MulChecked(lo_m_, a_amount, &lo) || !MulChecked(b_amount, Pow10(lo_s_), &b_lo) || lo > b_lo) return false;
    return MulChecked(hi_m_, a_amount, &hi) && MulChecked(b_amount, Pow10(hi_s_), &b_hi) && b_hi <= hi;
  }

  bool Seen(int32_t account, int len) const {
    for (int i = 0; i <= len; ++i) {
      if (acc_[i] == account) return true;
    }
    return false;
  }

  // The paying accounts of the hops the first hop (position k) may follow.
  void Predecessors(uint32_t k) {
    preds_.clear();
    if (!spec_.maximal) return;
    const int64_t at = ix_.out_at[k];
    const i128 amount = ix_.out_amount[k];
    const int32_t account = acc_[0];
    auto begin = ix_.in_at.begin() + ix_.to_start[account], end = ix_.in_at.begin() + ix_.to_start[account + 1];
    // Hops into the account from `within` before it on; by time within an account.
    for (auto it = std::lower_bound(begin, end, at - spec_.within_us); it != end && *it < at; ++it) {
      size_t q = static_cast<size_t>(it - ix_.in_at.begin());
      if (Links(*it, ix_.in_amount[q], at, amount)) preds_.push_back(ix_.in_from[q]);
    }
  }

  // The path_[0..len) (positions of the successor order) is a path; reports it if it
  // qualifies, then extends it.
  Status Visit(int len) {
    if (++visits_ > kMaxVisits || found_.size() > kMaxPaths) return TooDense();
    const uint32_t last = path_[len - 1];
    const int64_t last_at = ix_.out_at[last];
    const i128 last_amount = ix_.out_amount[last];
    bool closed = spec_.cycle && acc_[len] == acc_[0];
    bool extends = false;
    if (len < spec_.max_hops && !(closed && spec_.distinct)) {
      int32_t account = acc_[len];
      auto begin = ix_.out_at.begin() + ix_.from_start[account], end = ix_.out_at.begin() + ix_.from_start[account + 1];
      for (auto it = std::upper_bound(begin, end, last_at); it != end && *it - last_at <= spec_.within_us; ++it) {
        uint32_t q = static_cast<uint32_t>(it - ix_.out_at.begin());
        if (!Links(last_at, last_amount, *it, ix_.out_amount[q])) continue;
        int32_t next = ix_.out_to[q];
        bool closes = spec_.cycle && next == acc_[0];
        if (spec_.distinct && !closes && Seen(next, len)) continue;
        extends = true;
        path_[len] = q;
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
      const uint32_t first = path_[0];
      ctx_.Set(len, last_at - ix_.out_at[first], ix_.out_amount[first], last_amount);
      ir::Value v;
      std::string error;
      if (!ir::EvalScalar(*plan_.program, *info_.rule->when, ctx_, &v, &error)) {
        return Status::InvalidArgument(fmt::format("rule {}: {}", info_.rule->id, error));
      }
      if (!v.truthy()) return Status::Ok();
    }
    std::vector<uint32_t>& p = found_.emplace_back(path_, path_ + len);
    for (uint32_t& h : p) h = ix_.by_from[h];  // hop numbers from here on
    return Status::Ok();
  }

  // Exact enumeration has no shortcut: a flow so dense that one first hop starts more paths
  // than this is an error naming it, not a run that never ends or exhausts memory.
  static constexpr uint64_t kMaxVisits = 50'000'000;
  static constexpr size_t kMaxPaths = 1'000'000;
  Status TooDense() const {
    const Hop& first = ix_.hops[ix_.by_from[path_[0]]];
    return Status::ResourceExhausted(fmt::format(
        "rule {}: the paths from transaction {} (account {}) pass {} candidates or {} reported paths: the flow is too "
        "dense to enumerate exactly; narrow the flow's `where`, `hop within` or `hop amount`",
        info_.rule->id, first.txn, first.from, kMaxVisits, kMaxPaths));
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
  uint64_t visits_ = 0;                       // paths of the current first hop tried
};

}  // namespace

std::shared_ptr<const HopIndex> BuildHopIndex(const std::vector<const HopBuffer*>& buffers, int threads) {
  auto ix = std::make_shared<HopIndex>();
  ix->Build(buffers, threads);
  return ix;
}

std::shared_ptr<const HopIndex> BuildHopIndex(std::vector<Hop>&& hops, int threads) {
  auto ix = std::make_shared<HopIndex>();
  ix->hops = std::move(hops);
  ix->Finish(threads);
  return ix;
}

Status SearchPaths(const Plan& plan, const RuleInfo& info, const HopIndex& ix, int64_t from, int64_t until,
                   const std::vector<FindingList*>& out) {
  // Tasks of first hops claimed by the threads; one list and one search per thread (the merge
  // orders the findings, so which thread found one does not matter).
  constexpr size_t kPerTask = 4096;
  const size_t tasks = (ix.hops.size() + kPerTask - 1) / kPerTask;
  std::vector<std::unique_ptr<PathSearch>> searches;
  for (size_t w = 0; w < out.size(); ++w) searches.push_back(std::make_unique<PathSearch>(plan, info, ix));
  std::vector<Status> status(tasks);
  Parallel(tasks, static_cast<int>(out.size()), [&](int w, size_t t) {
    for (size_t i = t * kPerTask; i < std::min(ix.hops.size(), (t + 1) * kPerTask) && status[t].ok(); ++i) {
      if (ix.out_at[i] >= from && ix.out_at[i] < until) status[t] = searches[w]->From(static_cast<uint32_t>(i), out[w]);
    }
  });
  for (const Status& st : status) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status FindPaths(const Plan& plan, const RuleInfo& info, const HopIndex& ix, int threads,
                 std::vector<std::unique_ptr<FindingList>>* lists) {
  std::vector<std::unique_ptr<FindingList>> mine;
  std::vector<FindingList*> out;
  for (int w = 0; w < std::max(1, threads); ++w) {
    mine.push_back(std::make_unique<FindingList>(plan.keep_findings, plan.pool));
    out.push_back(mine.back().get());
  }
  if (Status st = SearchPaths(plan, info, ix, INT64_MIN, INT64_MAX, out); !st.ok()) return st;
  for (auto& l : mine) {
    if (l->size() == 0) continue;
    l->Sort();
    lists->push_back(std::move(l));
  }
  return Status::Ok();
}

}  // namespace decree::exec
