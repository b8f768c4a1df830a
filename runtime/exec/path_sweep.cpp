// SweepPaths (paths.h): path search over spilled hops, slice by slice of time, with only a
// slice's window of hops in memory.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <cstdint>
#include <functional>
#include <queue>

#include "exec/paths.h"
#include "exec/run_plan.h"

namespace decree::exec {

namespace {

// `h` with its strings copied into `arena`.
Hop CopyHop(const Hop& h, ByteArena* arena) {
  Hop c = h;
  c.txn = arena->Append(h.txn);
  c.from = arena->Append(h.from);
  c.to = arena->Append(h.to);
  return c;
}

// The hops of one run, in time order, read from the spill file a block at a time.
class RunReader {
 public:
  RunReader(const HopSpill& spill, HopRun run) : spill_(spill), next_(run.at), end_(run.at + run.bytes) {}

  // The next hop (its strings valid until the next call), or false at the end.
  Status Next(Hop* out, bool* more) {
    constexpr size_t kFixed = sizeof(int64_t) + sizeof(i128) + 3 * sizeof(uint32_t);
    if (!Ensure(kFixed, more) || !*more) return status_;
    const char* p = buf_.data() + pos_;
    uint32_t len[3];
    std::memcpy(&out->at, p, sizeof(int64_t));
    std::memcpy(&out->amount, p + sizeof(int64_t), sizeof(i128));
    std::memcpy(len, p + sizeof(int64_t) + sizeof(i128), sizeof(len));
    size_t strings = size_t{len[0]} + len[1] + len[2];
    if (!Ensure(kFixed + strings, more) || !*more) {
      if (status_.ok()) status_ = Status::Corruption("a spilled fund-flow run ends inside a hop");
      return status_;
    }
    p = buf_.data() + pos_ + kFixed;
    out->txn = std::string_view(p, len[0]);
    out->from = std::string_view(p + len[0], len[1]);
    out->to = std::string_view(p + len[0] + len[1], len[2]);
    pos_ += kFixed + strings;
    return Status::Ok();
  }

 private:
  // At least `n` unread bytes in buf_ (false, *more false: the run is over).
  bool Ensure(size_t n, bool* more) {
    *more = true;
    if (buf_.size() - pos_ >= n) return true;
    buf_.erase(0, pos_);
    pos_ = 0;
    size_t want = std::min<uint64_t>(std::max<size_t>(n - buf_.size(), 1 << 20), end_ - next_);
    if (want == 0) {
      *more = false;
      if (!buf_.empty()) status_ = Status::Corruption("a spilled fund-flow run ends inside a hop");
      return false;
    }
    std::string chunk;
    if (Status st = spill_.Read(next_, want, &chunk); !st.ok()) {
      status_ = st;
      *more = false;
      return false;
    }
    next_ += want;
    buf_ += chunk;
    return buf_.size() >= n || Ensure(n, more);
  }

  const HopSpill& spill_;
  uint64_t next_, end_;
  std::string buf_;
  size_t pos_ = 0;
  Status status_;
};

// Every hop of the flow in time order: the spilled runs and what the buffers still hold,
// merged through a heap of their next hops.  Strings are copied into the caller's arena as hops
// are taken.
class HopStream {
 public:
  HopStream(const HopSpill& spill, const std::vector<const HopBuffer*>& buffers) {
    for (const HopBuffer* b : buffers) {
      for (const HopRun& r : b->runs()) runs_.emplace_back(spill, r);
      memory_.insert(memory_.end(), b->hops().begin(), b->hops().end());
    }
    std::stable_sort(memory_.begin(), memory_.end(), [](const Hop& a, const Hop& b) { return a.at < b.at; });
    heads_.resize(runs_.size());
    for (size_t i = 0; i < runs_.size(); ++i) Advance(i);
    if (!memory_.empty()) heap_.push({memory_[0].at, kMemory});
  }

  // The time of the next hop, or INT64_MAX when none is left.
  int64_t peek() const { return heap_.empty() ? INT64_MAX : heap_.top().first; }

  // Moves the next hop into `out` (strings copied into `arena`).
  Status Take(ByteArena* arena, std::vector<Hop>* out) {
    if (heap_.empty()) return status_;
    size_t source = heap_.top().second;
    heap_.pop();
    if (source == kMemory) {
      out->push_back(CopyHop(memory_[mem_pos_++], arena));
      if (mem_pos_ < memory_.size()) heap_.push({memory_[mem_pos_].at, kMemory});
    } else {
      out->push_back(CopyHop(heads_[source], arena));
      Advance(source);
    }
    return status_;
  }

 private:
  static constexpr size_t kMemory = SIZE_MAX;  // the buffers' hops, not a run

  // Reads run i's next hop into heads_[i] and queues it.
  void Advance(size_t i) {
    bool more = false;
    Status st = runs_[i].Next(&heads_[i], &more);
    if (!st.ok() && status_.ok()) status_ = st;
    if (st.ok() && more) heap_.push({heads_[i].at, i});
  }

  std::vector<RunReader> runs_;
  std::vector<Hop> heads_;
  std::vector<Hop> memory_;
  size_t mem_pos_ = 0;
  std::priority_queue<std::pair<int64_t, size_t>, std::vector<std::pair<int64_t, size_t>>, std::greater<>> heap_;
  Status status_;
};

}  // namespace

Status SweepPaths(const Plan& plan, const std::vector<const RuleInfo*>& rules, const std::vector<const HopBuffer*>& buffers,
                  const HopSpill& spill, int threads, std::vector<std::vector<std::unique_ptr<FindingList>>>* lists) {
  // How far a path starting at t reaches: back `within` (a hop extending it at the start),
  // forward max_hops × `within` (its hops, and one extending it at the end).
  int64_t back = 0, forward = 0;
  for (const RuleInfo* r : rules) {
    back = std::max(back, r->rule->path.within_us);
    forward = std::max(forward, static_cast<int64_t>(r->rule->path.max_hops) * r->rule->path.within_us);
  }
  const int64_t slice = std::max<int64_t>(back + forward, int64_t{86400} * 1000000);
  // One list per rule and thread for the whole sweep (a list holds a block of memory).
  const int n = std::max(1, threads);
  lists->resize(rules.size());
  std::vector<std::vector<FindingList*>> out(rules.size());
  for (size_t r = 0; r < rules.size(); ++r) {
    for (int w = 0; w < n; ++w) {
      (*lists)[r].push_back(std::make_unique<FindingList>(plan.keep_findings, plan.pool));
      out[r].push_back((*lists)[r].back().get());
    }
  }
  HopStream stream(spill, buffers);
  std::vector<Hop> window;
  auto arena = std::make_unique<ByteArena>(plan.pool);
  for (int64_t lo = stream.peek(); lo != INT64_MAX;) {
    const int64_t hi = lo + slice;
    // The window: what is left of the last one from lo - back on, then every hop up to hi + forward.
    std::vector<Hop> kept;
    auto next_arena = std::make_unique<ByteArena>(plan.pool);
    for (const Hop& h : window) {
      if (h.at >= lo - back) kept.push_back(CopyHop(h, next_arena.get()));
    }
    window = std::move(kept);
    arena = std::move(next_arena);
    while (stream.peek() <= hi + forward) {
      if (Status st = stream.Take(arena.get(), &window); !st.ok()) return st;
    }
    bool starts = std::any_of(window.begin(), window.end(), [&](const Hop& h) { return h.at >= lo && h.at < hi; });
    if (starts) {
      std::shared_ptr<const HopIndex> ix = BuildHopIndex(std::vector<Hop>(window), threads);
      for (size_t r = 0; r < rules.size(); ++r) {
        if (Status st = SearchPaths(plan, *rules[r], *ix, lo, hi, out[r]); !st.ok()) return st;
      }
    }
    // The next slice starts at the next hop after this one.
    int64_t next = stream.peek();
    for (const Hop& h : window) {
      if (h.at >= hi) next = std::min(next, h.at);
    }
    lo = next;
  }
  for (auto& per_rule : *lists) {
    for (auto& l : per_rule) l->Sort();
  }
  return Status::Ok();
}

}  // namespace decree::exec
