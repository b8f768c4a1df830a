#include "exec/incremental.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "exec/finalizers.h"

namespace decree::exec {

namespace {

// Rows [from, from + n) of `c` as a chunk of their own.
Chunk Slice(const Chunk& c, uint32_t from, uint32_t n) {
  Chunk out;
  out.size = n;
  out.pos = c.pos == nullptr ? nullptr : c.pos + from;
  out.columns = c.columns;
  for (Vec& v : out.columns) {
    if (v.is_const) continue;
    auto shift = [&](auto*& p) {
      if (p != nullptr) p += from;
    };
    shift(v.b), shift(v.i), shift(v.m), shift(v.s), shift(v.cur), shift(v.valid), shift(v.err);
  }
  return out;
}

// Walks the entries of an Evaluation's contributions: f(rule index, record).
template <typename F>
void ForEachContribution(const std::string& c, F&& f) {
  size_t at = 0;
  while (at + 8 <= c.size()) {
    uint32_t rule, size;
    std::memcpy(&rule, c.data() + at, 4);
    std::memcpy(&size, c.data() + at + 4, 4);
    f(rule, c.data() + at + 8);
    at += 8 + size;
  }
}

}  // namespace

struct Incremental::State {
  BlockPool pool;  // before the worker, whose buffers give their blocks back to it
  Plan plan;
  std::unique_ptr<Worker> worker;
  std::vector<Worker*> raw;
  std::vector<RuleFinalizer> finalizers;                  // by rule
  FindingList list{true, &pool}, found{true, &pool};     // a decision's findings; one rule's
  std::vector<Finding> scratch;
  std::unordered_map<std::string_view, uint32_t> row_of_id;  // in the slice evaluated
};

Incremental::Incremental(std::unique_ptr<State> state) : s_(std::move(state)) {}
Incremental::~Incremental() = default;

Status Incremental::Open(const ir::Program& program, const ir::Layout& layout, const Tables& tables,
                         const std::vector<std::string>& only_rules, std::unique_ptr<Incremental>* out) {
  auto s = std::make_unique<State>();
  RunOptions options;
  options.only_rules = only_rules;
  RunResult result;
  if (Status st = MakeRunPlan(program, layout, tables, options, &s->plan, &result); !st.ok()) return st;
  for (const RuleInfo& info : s->plan.rules) {
    if (info.path) return Status::NotSupported(fmt::format("rule {} is a path rule: paths cross partitions", info.rule->id));
  }
  s->plan.pool = &s->pool;
  s->plan.partition_bits = 1;  // the least PartitionOf allows; Decide uses the first only
  s->plan.partitions = 2;
  s->worker = std::make_unique<Worker>(s->plan);
  if (Status st = s->worker->Init(); !st.ok()) return st;
  s->raw.push_back(s->worker.get());
  s->finalizers.resize(s->plan.rules.size());
  out->reset(new Incremental(std::move(s)));
  return Status::Ok();
}

void Incremental::Evaluate(const Chunk& c, Evaluation* out) {
  // A record's parts are told apart by its id, so a slice of rows is evaluated at a time in
  // which no id repeats (the whole chunk, unless some id does).
  const int idf = s_->plan.layout->id_field;
  auto id_of = [&](uint32_t row) {
    const Vec& v = c.columns[idf];
    return v.IsValid(row) ? v.s[v.at(row)].view() : std::string_view();
  };
  std::unordered_map<std::string_view, uint32_t>& rows = s_->row_of_id;
  uint32_t from = 0;
  rows.clear();
  for (uint32_t row = 0; row <= c.size; ++row) {
    if (row < c.size && rows.try_emplace(id_of(row), row - from).second) continue;
    EvaluateSlice(from == 0 && row == c.size ? c : Slice(c, from, row - from), out + from);
    if (row == c.size) break;
    from = row;
    rows.clear();
    rows.emplace(id_of(row), 0);
  }
}

void Incremental::EvaluateSlice(const Chunk& c, Evaluation* out) {
  Worker& w = *s_->worker;
  const std::unordered_map<std::string_view, uint32_t>& rows = s_->row_of_id;
  w.ResetForRun();
  w.Process(c);
  for (uint32_t row = 0; row < c.size; ++row) {
    out[row].contributions.clear();
    out[row].row_findings.clear();
    out[row].rejected.clear();
  }
  for (const io::Reject& r : w.rejects()) {
    uint32_t row = static_cast<uint32_t>(std::lower_bound(c.pos, c.pos + c.size, r.pos) - c.pos);
    if (row < c.size && out[row].rejected.empty()) out[row].rejected = r.reason;
  }
  FindingList& found = w.findings();
  found.Sort();
  s_->scratch.clear();
  found.TakeObjects(&s_->scratch);
  for (Finding& f : s_->scratch) {
    uint32_t row = rows.at(f.txn_ids.front());
    if (out[row].rejected.empty()) out[row].row_findings.push_back(std::move(f));
  }
  RecordView rv;
  for (size_t r = 0; r < s_->plan.rules.size(); ++r) {
    if (!s_->plan.rules[r].grouped) continue;
    RuleExec& x = w.rule(r);
    for (RecordBuffer& part : x.partitions) {
      part.ForEach([&](const char* rec) {
        x.codec->Decode(rec, &rv, false);
        std::string& to = out[rows.at(rv.id)].contributions;
        uint32_t rule = static_cast<uint32_t>(r), size = static_cast<uint32_t>(RecordSize(rec));
        to.append(reinterpret_cast<const char*>(&rule), 4);
        to.append(reinterpret_cast<const char*>(&size), 4);
        to.append(rec, size);
      });
      part.Clear();
    }
  }
}

Status Incremental::Decide(const Evaluation& own, const std::vector<const std::string*>& held, std::string_view id,
                           std::vector<Finding>* out) {
  State& s = *s_;
  FindingList& list = s.list;
  for (const Finding& f : own.row_findings) list.Add(Finding(f));
  Status st;
  ForEachContribution(own.contributions, [&](uint32_t r, const char* mine) {
    if (!st.ok()) return;
    // The rule's group of this record: every held record with its key, and itself.
    RecordBuffer& group = s.worker->rule(r).partitions[0];
    group.Clear();
    std::string_view key = RecordKey(mine);
    auto add = [&](const char* rec) {
      size_t n = RecordSize(rec);
      std::memcpy(group.Append(n), rec, n);
    };
    // A window rule's finding holds the record only through an anchor whose window reaches
    // back to it: one at its time or up to the window's width later.  Without one, nothing
    // to finalize.
    const ir::Rule& rule = *s.plan.rules[r].rule;
    const bool window = rule.kind == ir::RuleKind::kWindow;
    const int64_t from = RecordTime(mine), width = window ? rule.window.duration_us : 0;
    bool reached = !window || RecordAnchors(mine);
    for (const std::string* h : held) {
      ForEachContribution(*h, [&](uint32_t hr, const char* rec) {
        if (hr != r || RecordKey(rec) != key) return;
        add(rec);
        if (!reached && RecordAnchors(rec)) {
          int64_t t = RecordTime(rec);
          reached = t >= from && t - from <= width;
        }
      });
    }
    if (!reached) {
      group.Clear();
      return;
    }
    add(mine);
    // Only the anchor days whose windows can hold the record: anchored at its time or up to
    // the window's width later.
    if (window) {
      const TimeZone& tz = *s.plan.rules[r].tz;
      s.finalizers[r].OnlyAnchorDays(tz.LocalDay(from), tz.LocalDay(from + width));
    }
    st = s.finalizers[r].Run(s.plan, r, s.raw, 0, &s.found);  // the group is in partition 0
    group.Clear();
    if (st.ok() && s.found.size() == 0) return;  // most groups: nothing to take
    s.found.Sort();
    s.scratch.clear();
    s.found.TakeObjects(&s.scratch);
    if (!st.ok()) return;
    for (Finding& f : s.scratch) {
      if (std::find(f.txn_ids.begin(), f.txn_ids.end(), id) != f.txn_ids.end()) list.Add(std::move(f));
    }
  });
  list.Sort();
  if (!st.ok()) {
    list.TakeObjects(&s.scratch);  // leaves the list empty for the next decision
    return st;
  }
  list.TakeObjects(out);
  return Status::Ok();
}

}  // namespace decree::exec
