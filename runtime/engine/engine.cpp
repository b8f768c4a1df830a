// decree::Engine: online decisions over the records received so far.
//
// State: the accepted records, partitioned by the key field every grouped rule shares (the
// customer, for the shipped rulesets) in 64 locked shards, evicted by event time past the
// retention horizon, each with what it contributes to grouped rules; the answers by
// transaction id (idempotent replays); the newest accepted event time (the watermark).  A
// decision finalizes the groups the record joins over its partition's held contributions with
// the batch evaluator's finalizers (exec::Incremental), so it means exactly what decree::Run
// means over the held records.
#include "decree/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <span>
#include <unordered_map>

#include "common/civil.h"
#include "io/csv.h"
#include "decree/json.h"
#include "engine/evaluator.h"
#include "engine/state_log.h"

namespace decree {

using engine::Evaluator;
using engine::Held;
using engine::Parsed;

namespace {

constexpr size_t kShards = 64;

struct Partition {
  std::vector<Held> records;
  uint64_t generation = 0;  // the evaluator whose contributions the records hold
};

struct PartitionShard {
  std::mutex mu;
  std::unordered_map<std::string, Partition> partitions;
  uint64_t decisions = 0;        // since the shard was last swept
  int64_t oldest = INT64_MAX;    // no held record is older: a sweep before the horizon passes it drops nothing
};

// Every this many decisions of a shard, its idle partitions are swept too (records past the
// horizon dropped, empty partitions erased): state stays bounded by the retention horizon
// even for keys that stop transacting.
constexpr uint64_t kSweepEvery = 1024;

// A decided id's answer, kept for replays.  Most answers are "allow" with no finding, which
// the id and the library's hash determine: those keep the hash alone (AnswerOf renders them
// again, byte for byte), the state a few hundred bytes a decision smaller.
struct IdEntry {
  bool pending = true;
  engine::Digest digest{};
  std::string json;                              // the answer, once decided, unless...
  std::shared_ptr<const std::string> allowed_by;  // ...it was an allow without findings by this library
  int64_t time = 0;  // the record's event time: the entry is dropped past the retention horizon
};

// Each shard's table is sized for 4,096 ids from the start (262,144 in all, 2 MiB of buckets):
// growing it rehashes every entry under the shard's lock.
constexpr size_t kIdsPerShard = 4096;

struct IdShard {
  IdShard() { ids.reserve(kIdsPerShard); }
  std::mutex mu;
  std::condition_variable cv;
  std::unordered_map<std::string, IdEntry> ids;
  uint64_t decided = 0;        // since the shard was last swept
  int64_t oldest = INT64_MAX;  // no entry's time is older (as PartitionShard::oldest)
};

// "9 days 06:00:00", "48:00:00" style spans for messages.
std::string Span(int64_t us) {
  int64_t s = us / 1000000, days = s / 86400;
  s %= 86400;
  std::string hms = fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  if (days == 0) return hms;
  return s == 0 ? fmt::format("{} day{}", days, days == 1 ? "" : "s") : fmt::format("{} day{} {}", days, days == 1 ? "" : "s", hms);
}

size_t ShardOf(const std::string& key) { return std::hash<std::string>()(key) % kShards; }

const char* DecisionOf(const std::vector<Finding>& findings) {
  bool review = false;
  for (const Finding& f : findings) {
    for (const std::string& a : f.actions) {
      if (a == "block") return "block";
      review |= a == "report" || a == "flag";
    }
  }
  return review ? "review" : "allow";
}

constexpr std::string_view kNoFinding = "no finding of the library includes this transaction";

std::string ExplainOf(std::string_view decision, const std::vector<Finding>& findings) {
  if (findings.empty()) return std::string(kNoFinding);
  std::string out(decision);
  out += ':';
  for (const Finding& f : findings) {
    out += ' ';
    out += f.rule;
    out += " (";
    out += f.citation;
    out += ") ";
    for (size_t i = 0; i < f.actions.size(); ++i) {
      if (i > 0) out += '+';
      out += f.actions[i];
    }
    if (!f.explain.empty()) {
      out += " — ";
      out += f.explain;
    }
    out += ';';
  }
  out.pop_back();
  return out;
}

// The answer's JSON object (docs/serve.md), written straight into one string: keys and the
// decision are literals, every other value goes through AppendJsonString.
std::string AnswerJson(std::string_view id, std::string_view decision, const std::vector<Finding>& findings,
                       std::string_view library, std::string_view explain) {
  std::string json;
  json.reserve(160 + id.size() + library.size() + explain.size() + 1024 * findings.size());
  json += "{\"txn_id\":";
  AppendJsonString(&json, id);
  json += ",\"decision\":\"";
  json += decision;
  json += "\",\"findings\":[";
  for (size_t i = 0; i < findings.size(); ++i) {
    if (i > 0) json += ',';
    findings[i].AppendJson(&json);
  }
  json += "],\"library\":";
  AppendJsonString(&json, library);
  json += ",\"explain\":";
  AppendJsonString(&json, explain);
  json += '}';
  return json;
}

// The answer an entry keeps for `id`.
std::string AnswerOf(const std::string& id, const IdEntry& e) {
  return e.allowed_by ? AnswerJson(id, "allow", {}, *e.allowed_by, kNoFinding) : e.json;
}

}  // namespace

class Engine::Impl {
 public:
  EngineAnswer Decide(std::string_view record);
  void DecideBatch(std::span<const std::string_view> records, std::vector<EngineAnswer>* out);
  Status Replay(std::string_view answer, std::string_view record);
  std::shared_ptr<const Evaluator> evaluator() const {
    std::lock_guard<std::mutex> lock(eval_mu);
    return eval;
  }

  mutable std::mutex eval_mu;
  std::shared_ptr<const Evaluator> eval;
  int64_t late_after_us = 7 * kMicrosPerDay;
  int64_t keep_us = 0;  // records older than watermark - keep_us are evicted
  std::atomic<int64_t> watermark{INT64_MIN};
  PartitionShard parts[kShards];
  IdShard ids[kShards];
  std::unique_ptr<engine::StateLog> log;
  std::atomic<uint64_t> allow{0}, review{0}, block{0}, replayed{0}, rejected{0}, conflicts{0}, too_late{0}, log_errors{0};
  std::atomic<uint64_t> held{0}, partitions{0}, evicted{0};

 private:
  void Advance(int64_t t) {
    int64_t w = watermark.load();
    while (t > w && !watermark.compare_exchange_weak(w, t)) {
    }
  }
  // Drops the partition's records past the retention horizon.
  void Evict(Partition* p) {
    int64_t w = watermark.load();
    if (w == INT64_MIN) return;
    int64_t horizon = w - keep_us;
    size_t before = p->records.size();
    std::erase_if(p->records, [&](const Held& h) { return h.time < horizon; });
    evicted += before - p->records.size();
    held -= before - p->records.size();
  }
  // Evicts every partition of the shard (its lock held); erases the empty ones but `keep`.
  void Sweep(PartitionShard* shard, const Partition* keep) {
    shard->decisions = 0;
    int64_t w = watermark.load();
    if (w == INT64_MIN || shard->oldest >= w - keep_us) return;  // nothing is past the horizon
    shard->oldest = INT64_MAX;
    for (auto it = shard->partitions.begin(); it != shard->partitions.end();) {
      Evict(&it->second);
      if (it->second.records.empty() && &it->second != keep) {
        it = shard->partitions.erase(it);
        --partitions;
      } else {
        for (const Held& h : it->second.records) shard->oldest = std::min(shard->oldest, h.time);
        ++it;
      }
    }
  }
  EngineAnswer Fail(int status, std::string id, std::string reason, std::atomic<uint64_t>* counter) {
    ++*counter;
    EngineAnswer a;
    a.status = status;
    a.txn_id = std::move(id);
    a.reason = std::move(reason);
    std::string json;
    JsonWriter w(&json);
    w.BeginObject();
    if (!a.txn_id.empty()) w.Field("txn_id", a.txn_id);
    w.Field("status", static_cast<int64_t>(status)).Field("error", a.reason).EndObject();
    a.json = std::move(json);
    return a;
  }
  // Evaluates the partition's records again with `ev` when another evaluator (before a reload)
  // made their contributions.
  static void Refresh(const Evaluator& ev, Partition* p) {
    std::vector<std::string> texts(p->records.size());  // compact lines expanded
    std::vector<std::string_view> lines;
    lines.reserve(p->records.size());
    for (size_t i = 0; i < p->records.size(); ++i) lines.push_back(ev.Text(p->records[i].line, &texts[i]));
    std::vector<Parsed> parsed;
    std::vector<std::string> reasons;
    ev.ParseRecords(lines, &parsed, &reasons);
    for (size_t i = 0; i < parsed.size(); ++i) {
      // The same fields (Reload checks it): the line reads; a record the new rules reject
      // counts in no group, as in a batch run.
      bool counts = reasons[i].empty() && parsed[i].eval.rejected.empty();
      p->records[i].contributions = counts ? std::move(parsed[i].eval.contributions) : std::string();
    }
    p->generation = ev.generation();
  }
  // Adds a decided (or replayed) record to its partition, with its contributions and its line
  // in compact form.
  void Hold(const Evaluator& ev, PartitionShard* shard, Partition* p, Parsed* parsed) {
    parsed->held.contributions = std::move(parsed->eval.contributions);
    ev.Compact(&parsed->held.line);
    shard->oldest = std::min(shard->oldest, parsed->held.time);
    p->records.push_back(std::move(parsed->held));
    ++held;
  }
  // Decides a record read: idempotency, lateness, then DecideHeld.
  EngineAnswer DecideParsed(const Evaluator& ev, Parsed parsed);
  // Evaluates `h` within its partition and holds it; the answer's json is built here.
  Status DecideHeld(const Evaluator& ev, Parsed p, EngineAnswer* a, std::string* rejected, uint64_t* log_end);
  void Release(IdShard& s, const std::string& id);
};

void Engine::Impl::Release(IdShard& s, const std::string& id) {
  std::lock_guard<std::mutex> lock(s.mu);
  s.ids.erase(id);
  s.cv.notify_all();
}

Status Engine::Impl::DecideHeld(const Evaluator& ev, Parsed parsed, EngineAnswer* a, std::string* rejected, uint64_t* log_end) {
  bool stateful = ev.partition_field() != Evaluator::kNoState;
  PartitionShard& shard = parts[ShardOf(parsed.partition)];
  std::unique_lock<std::mutex> lock(shard.mu, std::defer_lock);
  Partition* p = nullptr;
  std::vector<const std::string*> set;
  if (stateful) {
    lock.lock();
    auto [it, inserted] = shard.partitions.try_emplace(parsed.partition);
    p = &it->second;
    if (inserted) {
      ++partitions;
      p->generation = ev.generation();
    }
    Evict(p);
    if (++shard.decisions >= kSweepEvery) Sweep(&shard, p);
    if (p->generation != ev.generation()) Refresh(ev, p);
    set.reserve(p->records.size());
    for (const Held& r : p->records) set.push_back(&r.contributions);
  }
  const std::string& id = parsed.id;
  Status st = ev.Decide(parsed, set, &a->findings, rejected);
  if (!st.ok() || !rejected->empty()) return st;
  a->decision = DecisionOf(a->findings);
  a->explain = ExplainOf(a->decision, a->findings);
  a->library = ev.hash();
  a->json = AnswerJson(id, a->decision, a->findings, a->library, a->explain);
  // Logged under the partition's lock: the log's order is each partition's order.
  if (log) {
    if (st = log->Append(a->json, parsed.held.line, log_end); !st.ok()) return st;
  }
  Advance(parsed.held.time);
  if (stateful) {
    Hold(ev, &shard, p, &parsed);
  }
  return Status::Ok();
}

EngineAnswer Engine::Impl::Decide(std::string_view record) {
  std::shared_ptr<const Evaluator> ev = evaluator();
  Parsed parsed;
  std::string reason;
  if (!ev->ParseRecord(record, &parsed, &reason)) return Fail(400, parsed.id, std::move(reason), &rejected);
  return DecideParsed(*ev, std::move(parsed));
}

void Engine::Impl::DecideBatch(std::span<const std::string_view> records, std::vector<EngineAnswer>* out) {
  std::shared_ptr<const Evaluator> ev = evaluator();
  std::vector<Parsed> parsed;
  std::vector<std::string> reasons;
  ev->ParseRecords(records, &parsed, &reasons);
  out->clear();
  out->reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    out->push_back(reasons[i].empty() ? DecideParsed(*ev, std::move(parsed[i])) : Fail(400, parsed[i].id, std::move(reasons[i]), &rejected));
  }
}

EngineAnswer Engine::Impl::DecideParsed(const Evaluator& ev, Parsed parsed) {
  const std::string id = parsed.id;
  const engine::Digest digest = parsed.digest;
  const int64_t time = parsed.held.time;
  IdShard& ids_shard = ids[ShardOf(id)];
  IdEntry* entry = nullptr;  // this id's, pending until decided (a map node: its address is stable)
  {
    std::unique_lock<std::mutex> lock(ids_shard.mu);
    auto [it, inserted] = ids_shard.ids.try_emplace(id);
    while (!inserted && it->second.pending) {  // another thread decides this id now
      ids_shard.cv.wait(lock);
      std::tie(it, inserted) = ids_shard.ids.try_emplace(id);
    }
    if (!inserted) {
      if (it->second.digest != digest) {
        return Fail(409, id, fmt::format("transaction {} was decided before with other content", id), &conflicts);
      }
      ++replayed;
      EngineAnswer a;
      a.txn_id = id;
      a.replayed = true;
      a.json = AnswerOf(id, it->second);
      a.library = ev.hash();
      return a;
    }
    entry = &it->second;
    entry->digest = digest;
    entry->time = time;
    ids_shard.oldest = std::min(ids_shard.oldest, time);
  }
  int64_t w = watermark.load();
  if (w != INT64_MIN && time < w - late_after_us) {
    Release(ids_shard, id);
    return Fail(422, id, fmt::format("too late: its time {} is {} behind the newest accepted, {}, more than the {} allowed "
                                     "(--late-after): the state does not reach back that far",
                                     FormatTimestamp(time, 0), Span(w - time), FormatTimestamp(w, 0), Span(late_after_us)),
                &too_late);
  }
  EngineAnswer a;
  a.txn_id = id;
  std::string rejected_reason;
  uint64_t log_end = 0;
  Status st = DecideHeld(ev, std::move(parsed), &a, &rejected_reason, &log_end);
  if (st.ok() && log) st = log->Sync(log_end);
  if (!st.ok() || !rejected_reason.empty()) {
    Release(ids_shard, id);
    return st.ok() ? Fail(400, id, rejected_reason, &rejected) : Fail(500, id, st.message(), &log_errors);
  }
  {
    std::lock_guard<std::mutex> lock(ids_shard.mu);
    IdEntry& e = *entry;
    e.pending = false;
    if (a.findings.empty()) {  // an allow
      e.allowed_by = ev.shared_hash();
    } else {
      e.json = a.json;
    }
    ids_shard.cv.notify_all();
    // Answers are kept for replays back to the retention horizon; an older id sent again is
    // too late (422), as a new record that old would be.
    if (++ids_shard.decided >= kSweepEvery) {
      ids_shard.decided = 0;
      int64_t horizon = watermark.load() - keep_us;
      if (ids_shard.oldest < horizon) {
        ids_shard.oldest = INT64_MAX;
        std::erase_if(ids_shard.ids, [&](const auto& kv) {
          if (!kv.second.pending && kv.second.time < horizon) return true;
          ids_shard.oldest = std::min(ids_shard.oldest, kv.second.time);
          return false;
        });
      }
    }
  }
  (a.decision == "block" ? block : a.decision == "review" ? review : allow)++;
  return a;
}

Status Engine::Impl::Replay(std::string_view answer, std::string_view record) {
  const Evaluator& ev = *eval;
  Parsed parsed;
  std::string reason;
  if (!ev.ParseRecord(record, &parsed, &reason)) return Status::Corruption("the record no longer reads: " + reason);
  IdShard& s = ids[ShardOf(parsed.id)];
  IdEntry e{false, parsed.digest, std::string(), nullptr, parsed.held.time};
  if (answer == AnswerJson(parsed.id, "allow", {}, ev.hash(), kNoFinding)) {
    e.allowed_by = ev.shared_hash();
  } else {
    e.json = answer;
  }
  s.ids[parsed.id] = std::move(e);
  s.oldest = std::min(s.oldest, parsed.held.time);
  Advance(parsed.held.time);
  if (ev.partition_field() != Evaluator::kNoState) {
    PartitionShard& shard = parts[ShardOf(parsed.partition)];
    auto [it, inserted] = shard.partitions.try_emplace(parsed.partition);
    if (inserted) {
      ++partitions;
      it->second.generation = ev.generation();
    }
    Hold(ev, &shard, &it->second, &parsed);
  }
  return Status::Ok();
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Status Engine::Open(std::shared_ptr<const Library> library, const EngineOptions& options, std::unique_ptr<Engine>* out) {
  std::unique_ptr<Evaluator> ev;
  Status st = Evaluator::Open(std::move(library), options, &ev);
  if (!st.ok()) return st;
  auto impl = std::make_unique<Impl>();
  if (options.late_after_us < 0 || options.late_after_us > 36500 * kMicrosPerDay) {
    return Status::InvalidArgument("the lateness bound must be between 0 and 36,500 days");
  }
  if (options.late_after_us > 0) impl->late_after_us = options.late_after_us;
  // A late arrival's windows reach back its own window from its time; two days cover any
  // calendar day in any zone, 31 a calendar month.
  impl->keep_us = impl->late_after_us + ev->widest_window_us() + 33 * kMicrosPerDay;
  impl->eval = std::move(ev);
  if (!options.state_dir.empty()) {
    impl->log = std::make_unique<engine::StateLog>();
    Impl* raw = impl.get();
    st = impl->log->Open(options.state_dir, [raw](std::string_view answer, std::string_view record, uint64_t) {
      return raw->Replay(answer, record);
    });
    if (!st.ok()) return st;
  }
  out->reset(new Engine(std::move(impl)));
  return Status::Ok();
}

EngineAnswer Engine::Decide(std::string_view record) { return impl_->Decide(record); }

void Engine::DecideBatch(std::span<const std::string_view> records, std::vector<EngineAnswer>* answers) {
  impl_->DecideBatch(records, answers);
}

namespace {

// Splits one CSV line into fields (their text, "" collapsed); false with *reason.
bool SplitCsv(std::string_view line, std::vector<std::string>* out, std::string* reason) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::vector<io::CsvField> fields;
  io::CsvError error = io::CsvError::kNone;
  size_t pos = 0;
  io::NextCsvRecord(line.data(), line.size(), &pos, &fields, &error);
  if (error != io::CsvError::kNone) {
    *reason = io::CsvErrorText(error);
    return false;
  }
  if (pos < line.size()) {
    *reason = "the record spans several lines: a quoted field holds a line break (a stray quote?)";
    return false;
  }
  Arena arena;
  out->clear();
  for (const io::CsvField& f : fields) out->emplace_back(io::CsvText(f, &arena));
  return true;
}

}  // namespace

Status Engine::CsvHeader(std::string_view line, std::vector<std::string>* out) {
  std::string reason;
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // a UTF-8 byte order mark
  if (!SplitCsv(line, out, &reason)) return Status::InvalidArgument("the CSV header: " + reason);
  return Status::Ok();
}

namespace {

// The JSON object of a CSV line's fields named by `header`; false with *reason as the batch
// reader would refuse the line.
bool CsvToJson(const std::vector<std::string>& header, std::string_view line, std::string* json, std::string* reason) {
  std::vector<std::string> fields;
  if (!SplitCsv(line, &fields, reason)) return false;
  if (fields.size() != header.size()) {
    *reason = fmt::format("expected {} fields, found {}", header.size(), fields.size());
    return false;
  }
  JsonWriter w(json);
  w.BeginObject();
  for (size_t i = 0; i < fields.size(); ++i) w.Field(header[i], fields[i]);
  w.EndObject();
  return true;
}

// A CSV line refused before it is decided (as the batch reader refuses it).
EngineAnswer CsvRefused(std::string reason) {
  EngineAnswer a;
  a.status = 400;
  a.json = fmt::format("{{\"status\":400,\"error\":{}}}", JsonQuote(reason));
  a.reason = std::move(reason);
  return a;
}

}  // namespace

EngineAnswer Engine::DecideCsv(const std::vector<std::string>& header, std::string_view line) {
  std::vector<EngineAnswer> answers;
  DecideCsvBatch(header, {&line, 1}, &answers);
  return std::move(answers[0]);
}

void Engine::DecideCsvBatch(const std::vector<std::string>& header, std::span<const std::string_view> lines,
                            std::vector<EngineAnswer>* answers) {
  const size_t n = lines.size();
  std::vector<std::string> jsons(n), reasons(n);
  std::vector<std::string_view> records;  // the lines that read, in order
  records.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (CsvToJson(header, lines[i], &jsons[i], &reasons[i])) records.push_back(jsons[i]);
  }
  std::vector<EngineAnswer> decided;
  impl_->DecideBatch(records, &decided);
  answers->clear();
  answers->reserve(n);
  for (size_t i = 0, next = 0; i < n; ++i) {
    if (reasons[i].empty()) {
      answers->push_back(std::move(decided[next++]));
    } else {
      ++impl_->rejected;
      answers->push_back(CsvRefused(std::move(reasons[i])));
    }
  }
}

Status Engine::Reload(std::shared_ptr<const Library> library, const EngineOptions& options) {
  std::unique_ptr<Evaluator> ev;
  Status st = Evaluator::Open(std::move(library), options, &ev);
  if (!st.ok()) return st;
  std::shared_ptr<const Evaluator> old = impl_->evaluator();
  if (!ev->SameRecords(*old)) {
    return Status::InvalidArgument("the new library reads records of another shape or partitions them by another key; "
                                   "the held state cannot carry over: restart with an empty state");
  }
  if (ev->widest_window_us() > old->widest_window_us()) {
    return Status::InvalidArgument("the new library has a wider window than the state was kept for: restart");
  }
  std::lock_guard<std::mutex> lock(impl_->eval_mu);
  impl_->eval = std::move(ev);
  return Status::Ok();
}

std::string Engine::library_hash() const { return impl_->evaluator()->hash(); }

EngineStats Engine::stats() const {
  EngineStats s;
  const Impl& i = *impl_;
  s.allow = i.allow, s.review = i.review, s.block = i.block;
  s.replayed = i.replayed, s.rejected = i.rejected, s.conflicts = i.conflicts, s.too_late = i.too_late, s.log_errors = i.log_errors;
  s.records_held = i.held, s.partitions = i.partitions, s.evicted = i.evicted;
  s.watermark_us = i.watermark.load();
  s.library = library_hash();
  return s;
}

}  // namespace decree
