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
#include "exec/finalizers.h"
#include "exec/group_table.h"
#include "common/parallel.h"
#include "exec/rejects.h"
#include "exec/run_source.h"
#include "exec/tables.h"
#include "io/source.h"
#include "ir/ir_codec.h"
#include "ir/sexpr.h"
#include "decree/atomic_file.h"
#include "common/civil.h"
#include "common/codes.h"
#include "common/timezone.h"

namespace decree {

namespace exec {

namespace {

// ------------------------------------------------------------------------------------------

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

namespace {

// DECREE_TIMING=1 prints the duration of each phase to standard error (for profiling).
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

// One run over one source: what its phases share, and the phases, called in order by
// RunSource.  The pool is declared before the workers, whose buffers return their blocks to it.
class RunPass {
 public:
  RunPass(const ir::Program& program, const ir::Layout& layout, io::RowSource& source, const Tables& tables,
          const RunOptions& options, RunResult* result)
      : program(program), layout(&layout), source(&source), tables(tables), options(&options), result(result) {}

  // The rules of the layout (or RunOptions::only_rules) with their time zones, effective
  // dates, exemptions and overrides; MissingInput when a table they need was not given.
  Status MakePlan();
  Status StartWorkers();
  // Phase 1: every segment read and evaluated; the rejects written in input order.
  Status ReadAndEvaluate();
  // Phases 2 and 3, rule by rule in output order: a grouped rule's partitions finalized in
  // parallel, then its findings merged into the output.  Only one rule's findings are held at
  // a time.
  Status FinalizeAndWrite();
  // The counts; rows read = evaluated + rejected, or an internal error.
  Status Account();

 private:
  Status FinalizeGrouped(size_t r, std::vector<std::unique_ptr<FindingList>>* lists, std::vector<ListRange>* ranges);
  // A path rule's paths, over the index of its flow's hops (built by the first rule to need it,
  // freed by the last).
  Status FinalizePaths(size_t r, std::vector<std::unique_ptr<FindingList>>* lists, std::vector<ListRange>* ranges);
  // Rendered findings beyond the budget are spilled to a temporary file next to the output.
  Status MaybeSpill(FindingList* list);
  // Where temporary files go (spilled findings and fund-flow hops): the findings file's folder.
  std::string SpillDir() const {
    const std::string& out = options->findings_path;
    std::string dir = out.empty() || out == "-" ? "." : std::filesystem::path(out).parent_path().string();
    return dir.empty() ? "." : dir;
  }
  // The error when the bulk state passes RunOptions::memory_budget (`--max-memory`).
  Status OverBudget(const std::string& when) const {
    return Status::ResourceExhausted(fmt::format(
        "the rules' aggregation state needs more than the {} MiB allowed (--max-memory; {} MiB in use {}): raise "
        "--max-memory, or split the batch (by date, or by customer range); no findings were written",
        options->memory_limit >> 20, pool.peak() >> 20, when));
  }

  const ir::Program& program;
  const ir::Layout* layout;
  io::RowSource* source;
  const Tables& tables;
  const RunOptions* options;
  RunResult* result;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  PhaseTimer timer;
  Plan plan;
  BlockPool pool;
  int worker_count = 1;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<Worker*> raw;
  std::unique_ptr<RejectSink> sink;
  std::vector<io::SegmentResult> segments;
  DueNotes due_notes;
  uint64_t spill_budget = 0;
  std::atomic<uint64_t> held{0};
  SpillFile spill;
  std::mutex spill_mu;
  bool spill_open = false;
  std::map<int, std::shared_ptr<const HopIndex>> hop_index_;  // path rules' hops, by Plan::rules index
  std::set<size_t> paths_done_;                               // path rules finalized in this run
  std::map<size_t, std::vector<std::unique_ptr<FindingList>>> swept_;  // spilled: findings of rules not written yet
  std::unique_ptr<HopSpill> hop_spill_;
};

Status RunPass::MakePlan() {
  if (Status st = MakeRunPlan(program, *layout, tables, *options, &plan, result); !st.ok()) return st;
  result->input_format = source->format_name();
  return Status::Ok();
}

Status RunPass::StartWorkers() {
  pool.set_limit(options->memory_limit);
  plan.pool = &pool;
  int threads = options->threads > 0 ? options->threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::max<size_t>(1, std::min<size_t>(threads, std::max<size_t>(1, source->segment_count()))));
  worker_count = std::max(1, threads);
  plan.partition_bits = PartitionBits(worker_count);
  plan.partitions = 1u << plan.partition_bits;
  if (options->memory_budget > 0 && std::any_of(plan.rules.begin(), plan.rules.end(), [](const RuleInfo& i) { return i.path; })) {
    // Fund-flow hops past a quarter of the budget go to a temporary file beside the findings.
    hop_spill_ = std::make_unique<HopSpill>(SpillDir());
    plan.hop_spill = hop_spill_.get();
    plan.hop_budget = std::max<uint64_t>(options->memory_budget / 4 / static_cast<uint64_t>(worker_count), 1 << 20);
  }
  for (int w = 0; w < worker_count; ++w) {
    workers.push_back(std::make_unique<Worker>(plan));
    if (Status st = workers.back()->Init(); !st.ok()) return st;
    raw.push_back(workers.back().get());
  }
  spill_budget = options->memory_budget > 0 ? options->memory_budget / 4 : (64u << 20);
  return Status::Ok();
}

Status RunPass::ReadAndEvaluate() {
  segments.resize(source->segment_count());
  std::vector<Status> segment_status(source->segment_count());
  std::atomic<uint64_t> rows_read{0};
  std::atomic<bool> done{false};
  std::mutex mu;
  std::condition_variable cv;
  std::thread monitor;
  if (options->progress) {
    monitor = std::thread([&]() {
      std::unique_lock<std::mutex> lock(mu);
      while (!cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return done.load(); })) {
        options->progress(RunProgress{source->bytes_done(), source->total_bytes(), rows_read.load()});
      }
    });
  }
  sink = std::make_unique<RejectSink>(*source, options->rejects_path, kKeptRejects, &pool);
  if (Status st = sink->Open(); !st.ok()) return st;
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
    sink_status[s] = sink->Add(s, std::move(rejects));
  });
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  cv.notify_all();
  if (monitor.joinable()) monitor.join();
  if (options->progress) options->progress(RunProgress{source->total_bytes(), source->total_bytes(), rows_read.load()});
  for (const Status& s : segment_status) {
    if (!s.ok()) return s;
  }
  for (const Status& s : sink_status) {
    if (!s.ok()) return s;
  }
  if (Status s = source->CheckUnchanged(); !s.ok()) return s;  // before any finding is written
  if (pool.over_limit()) return OverBudget("while reading the batch");
  timer.Mark("read and evaluate rows");
  return Status::Ok();
}

Status RunPass::MaybeSpill(FindingList* list) {
  if (plan.keep_findings) return Status::Ok();
  if (held.fetch_add(list->line_bytes()) + list->line_bytes() <= spill_budget) return Status::Ok();
  {
    std::lock_guard<std::mutex> lock(spill_mu);
    if (!spill_open) {
      if (Status st = spill.Open(SpillDir()); !st.ok()) return st;
      spill_open = true;
    }
  }
  uint64_t bytes = list->line_bytes();
  Status st = list->Spill(&spill);
  held.fetch_sub(bytes);
  return st;
}

Status RunPass::FinalizeGrouped(size_t r, std::vector<std::unique_ptr<FindingList>>* lists, std::vector<ListRange>* ranges) {
  for (uint32_t p = 0; p < plan.partitions; ++p) lists->push_back(std::make_unique<FindingList>(plan.keep_findings, plan.pool));
  std::vector<Status> task_status(plan.partitions);
  // One finalizer per thread, made on its first partition and reused for the others.
  std::vector<RuleFinalizer> finalizers(worker_count);
  Parallel(plan.partitions, worker_count, [&](int w, size_t p) {
    task_status[p] = finalizers[w].Run(plan, r, raw, static_cast<uint32_t>(p), (*lists)[p].get());
    (*lists)[p]->Sort();
    if (task_status[p].ok()) task_status[p] = MaybeSpill((*lists)[p].get());
    for (Worker* w : raw) w->rule(r).partitions[p].Clear();
  });
  for (const Status& st : task_status) {
    if (!st.ok()) return st;
  }
  for (auto& l : *lists) {
    ranges->push_back(ListRange{l.get(), 0, l->size()});
    due_notes.Merge(l->due_notes());
  }
  return Status::Ok();
}

Status RunPass::FinalizePaths(size_t r, std::vector<std::unique_ptr<FindingList>>* lists, std::vector<ListRange>* ranges) {
  const RuleInfo& info = plan.rules[r];
  const size_t owner = static_cast<size_t>(info.hops_of);
  std::vector<const HopBuffer*> hops;
  bool spilled = false;
  for (Worker* w : raw) {
    const HopBuffer* b = w->rule(owner).hops.get();
    if (!b->status().ok()) return b->status();
    spilled |= !b->runs().empty();
    hops.push_back(b);
  }
  if (spilled) {
    // Past the memory budget: every rule over these hops in one sweep through time.
    if (!swept_.count(r)) {
      size_t runs = 0;
      for (const HopBuffer* b : hops) runs += b->runs().size();
      result->notes.push_back(fmt::format("the fund-flow hops of {} passed a quarter of --max-memory: {} runs were spilled to a "
                                          "temporary file and the paths searched slice by slice of time",
                                          info.rule->id, runs));
      std::vector<const RuleInfo*> rules;
      std::vector<size_t> ids;
      for (size_t j = 0; j < plan.rules.size(); ++j) {
        if (plan.rules[j].path && plan.rules[j].hops_of == info.hops_of) {
          rules.push_back(&plan.rules[j]);
          ids.push_back(j);
        }
      }
      std::vector<std::vector<std::unique_ptr<FindingList>>> out;
      if (Status st = SweepPaths(plan, rules, hops, *hop_spill_, worker_count, &out); !st.ok()) return st;
      for (size_t k = 0; k < ids.size(); ++k) swept_[ids[k]] = std::move(out[k]);
    }
    *lists = std::move(swept_[r]);
    swept_.erase(r);
  } else {
    std::shared_ptr<const HopIndex>& index = hop_index_[info.hops_of];
    if (!index) index = BuildHopIndex(hops, worker_count);
    if (Status st = FindPaths(plan, info, *index, worker_count, lists); !st.ok()) return st;
  }
  for (auto& l : *lists) {
    if (Status st = MaybeSpill(l.get()); !st.ok()) return st;
    ranges->push_back(ListRange{l.get(), 0, l->size()});
    due_notes.Merge(l->due_notes());
  }
  // The last rule reading these hops frees them.
  bool more = false;
  for (size_t j = 0; j < plan.rules.size(); ++j) more |= j != r && plan.rules[j].hops_of == info.hops_of && !paths_done_.count(j);
  paths_done_.insert(r);
  if (!more) {
    hop_index_.erase(info.hops_of);
    for (Worker* w : raw) w->rule(owner).hops->Clear();
  }
  return Status::Ok();
}

Status RunPass::FinalizeAndWrite() {
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
    const std::string& path = options->findings_path;
    if (path == "-") {
      std::fflush(stdout);
      out = STDOUT_FILENO;
    } else {
      Status st = file.Open(path);
      if (!st.ok()) return st;
      out = file.fd();
    }
  }
  FindingMerger merger(plan.keep_findings ? &result->findings : nullptr, out, options->findings_path == "-" ? "standard output" : options->findings_path);
  if (plan.keep_findings && options->on_finding) merger.set_sink(options->on_finding);
  if (!plan.keep_findings && options->on_findings_written) merger.set_written_callback(options->on_findings_written);
  for (const auto& w : workers) due_notes.Merge(w->findings().due_notes());
  for (size_t r : rule_order) {
    const RuleInfo& info = plan.rules[r];
    std::vector<ListRange> ranges;
    std::vector<std::unique_ptr<FindingList>> lists;
    if (info.path) {
      if (Status st = FinalizePaths(r, &lists, &ranges); !st.ok()) return st;
    } else if (info.grouped) {
      // A rule no record of the batch reached has no group, hence no finding.
      bool reached = false;
      for (Worker* w : raw) {
        for (const auto& part : w->rule(r).partitions) reached |= part.records() > 0;
      }
      if (reached) {
        if (Status st = FinalizeGrouped(r, &lists, &ranges); !st.ok()) return st;
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
    if (pool.over_limit()) return OverBudget(fmt::format("finalizing {}", info.rule->id));
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
  return Status::Ok();
}

Status RunPass::Account() {
  if (Status c = sink->Commit(); !c.ok()) return c;
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
  result->rejects = sink->TakeKept();
  result->rows_read = read;
  result->rows_evaluated = evaluated;
  result->rows_rejected = sink->count();
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (result->rows_read != result->rows_evaluated + result->rows_rejected) {
    return Status::Internal(fmt::format("row accounting is off: read {} != evaluated {} + rejected {}", result->rows_read,
                                        result->rows_evaluated, result->rows_rejected));
  }
  return Status::Ok();
}

}  // namespace

Status RunSource(const ir::Program& program, const ir::Layout& layout, io::RowSource& source, const Tables& tables,
                 const RunOptions& options, RunResult* result) {
  RunPass pass(program, layout, source, tables, options, result);
  Status st = pass.MakePlan();
  if (st.ok()) st = pass.StartWorkers();
  if (st.ok()) st = pass.ReadAndEvaluate();
  if (st.ok()) st = pass.FinalizeAndWrite();
  if (st.ok()) st = pass.Account();
  return st;
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
