#include "engine/evaluator.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <span>

#include "decree/sha256.h"
#include "engine/compact_record.h"
#include "io/source.h"
#include "vector/vector.h"

namespace decree::engine {

namespace {

// Appends slot `row` of `v` exactly (validity, then its payload; the field's type fixes the
// kind and scale), for digests and partition keys.
void AppendSlot(std::string* out, const Vec& v, uint32_t row) {
  size_t i = v.at(row);
  if (v.valid != nullptr && v.valid[i] == 0) {
    out->push_back(0);
    return;
  }
  out->push_back(1);
  switch (v.type) {
    case PType::kBool: out->push_back(static_cast<char>(v.b[i])); return;
    case PType::kI64: out->append(reinterpret_cast<const char*>(&v.i[i]), 8); return;
    case PType::kI128:
      out->append(reinterpret_cast<const char*>(&v.m[i]), 16);
      if (v.cur != nullptr) out->append(reinterpret_cast<const char*>(&v.cur[i]), 2);
      return;
    case PType::kStr: {
      uint32_t n = v.s[i].size;
      out->append(reinterpret_cast<const char*>(&n), 4);
      out->append(v.s[i].data, n);
      return;
    }
  }
}

}  // namespace

Status Evaluator::Open(std::shared_ptr<const Library> library, const EngineOptions& options, std::unique_ptr<Evaluator>* out) {
  std::unique_ptr<Evaluator> e(new Evaluator());
  e->hash_ = std::make_shared<const std::string>(library->content_hash());
  e->library_ = std::move(library);
  const ir::Program& program = e->library_->program();
  Status st = exec::SelectLayout(program, options.layout, &e->layout_);
  if (!st.ok()) return st;
  if (e->layout_->id_field < 0) return Status::InvalidArgument(fmt::format("layout {} has no id field: decisions are answered by id", e->layout_->name));
  for (const std::string& id : options.skip_rules) {
    if (program.FindRule(id) == nullptr) return Status::InvalidArgument(fmt::format("no rule {} to skip in the library", id));
  }
  for (const ir::Rule& r : program.rules) {
    if (r.layout != e->layout_->name || r.kind == ir::RuleKind::kExempt) continue;
    bool skipped = std::find(options.skip_rules.begin(), options.skip_rules.end(), r.id) != options.skip_rules.end();
    if (skipped) continue;
    if (r.kind == ir::RuleKind::kPath) {
      // A path crosses customers, so the engine's partitions cannot hold one.
      return Status::NotSupported(fmt::format("rule {} is a path rule (fund flows across accounts), which the online engine "
                                              "does not decide yet: leave it out with --skip-rule {} and run it in batch "
                                              "with decree run",
                                              r.id, r.id));
    }
    if (!options.skip_rules.empty()) e->rules_.push_back(r.id);
    if (r.has_window) e->widest_window_us_ = std::max(e->widest_window_us_, r.window.duration_us);
  }
  for (const ir::Field& f : e->layout_->fields) e->columns_.push_back(f.column);
  for (const ir::Field& f : e->layout_->fields) {  // a money field's currency column, when not a field's own
    const std::string& c = f.currency_column;
    if (!c.empty() && std::find(e->columns_.begin(), e->columns_.end(), c) == e->columns_.end()) e->columns_.push_back(c);
  }
  e->tables_ = std::make_unique<exec::Tables>(program);
  if (st = exec::LoadTables(program, options.tables, e->tables_.get()); !st.ok()) return st;
  std::vector<std::string> notes;
  st = exec::LoadWatchLists(program, options.watch_lists, options.allow_partial_lists, e->tables_.get(), &notes);
  if (!st.ok()) return st;
  // The state partitions by a field every grouped rule keys on; records of two partitions
  // never meet in a group, so each decision evaluates its own partition only.
  e->partition_field_ = ir::SharedKeyField(program, e->layout_->name);
  // A missing table or list, or a path rule, is found now, not at the first decision.
  std::unique_ptr<exec::Incremental> inc;
  if (st = exec::Incremental::Open(program, *e->layout_, *e->tables_, e->rules_, &inc); !st.ok()) return st;
  e->slots_[SlotOfThisThread()].incrementals.push_back(std::move(inc));
  static std::atomic<uint64_t> generations{0};
  e->generation_ = ++generations;
  *out = std::move(e);
  return Status::Ok();
}

void Evaluator::Compact(std::string* line) const {
  thread_local std::string compact;  // then copied at its size: the held line has no spare capacity
  thread_local std::vector<uint8_t> order;
  compact.clear();
  if (CompactRecord(*line, columns_, &compact, &order)) *line = std::string(compact);
}

std::string_view Evaluator::Text(const std::string& line, std::string* scratch) const {
  if (!IsCompact(line)) return line;
  ExpandRecord(line, columns_, scratch);
  return *scratch;
}

bool Evaluator::SameRecords(const Evaluator& other) const {
  // Held lines are compacted against the column names: the same names, the same indexes.
  if (columns_ != other.columns_ || layout_->fields.size() != other.layout_->fields.size()) return false;
  if (partition_field_ != other.partition_field_) return false;
  for (size_t f = 0; f < layout_->fields.size(); ++f) {
    const ir::Field& a = layout_->fields[f];
    const ir::Field& b = other.layout_->fields[f];
    if (a.column != b.column || a.type.kind != b.type.kind || a.type.scale != b.type.scale) return false;
  }
  return layout_->time_field == other.layout_->time_field && layout_->id_field == other.layout_->id_field;
}

bool Evaluator::ParseRecord(std::string_view json, Parsed* out, std::string* reason) const {
  std::vector<Parsed> parsed(1);
  std::vector<std::string> reasons;
  ParseRecords({&json, 1}, &parsed, &reasons);
  *out = std::move(parsed[0]);
  *reason = std::move(reasons[0]);
  return reason->empty();
}

void Evaluator::ParseRecords(std::span<const std::string_view> records, std::vector<Parsed>* out,
                             std::vector<std::string>* reasons) const {
  const size_t n = records.size();
  out->resize(n);
  reasons->assign(n, std::string());
  // One JSON Lines text, a line per record: a JSON text's line breaks are whitespace (a string
  // cannot hold a raw one), and one leading byte order mark of each record is dropped, as the
  // reader drops one at the start of a text.  The reader itself drops one only at the start
  // of the whole text: given one there when the first record starts with another.
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  auto unmarked = [&](std::string_view json) { return json.substr(0, 3) == kBom ? json.substr(3) : json; };
  // This thread's text of the last call, reused once no source holds it (fresh memory for
  // every batch cost as much as copying the records into it).
  thread_local std::shared_ptr<std::string> spare;
  std::shared_ptr<std::string> bytes = spare != nullptr && spare.use_count() == 1 ? std::move(spare) : std::make_shared<std::string>();
  bytes->clear();
  std::vector<uint64_t> starts(n);
  size_t total = n + kBom.size();
  for (std::string_view r : records) total += r.size();
  bytes->reserve(total);  // enough: a single record's bytes are kept as its line
  if (n > 0 && unmarked(records[0]).substr(0, 3) == kBom) bytes->append(kBom);
  for (size_t i = 0; i < n; ++i) {
    std::string_view json = unmarked(records[i]);
    starts[i] = bytes->size();
    size_t at = bytes->size();
    bytes->append(json);
    if (std::memchr(json.data(), '\n', json.size()) != nullptr || std::memchr(json.data(), '\r', json.size()) != nullptr) {
      for (char* ch = bytes->data() + at; ch != bytes->data() + bytes->size(); ++ch) {
        if (*ch == '\n' || *ch == '\r') *ch = ' ';
      }
    }
    bytes->push_back('\n');
  }
  auto record_at = [&](uint64_t pos) { return static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), pos) - starts.begin()) - 1; };
  std::unique_ptr<io::RowSource> source;
  Status st = Source("the request", bytes, &source);
  std::unique_ptr<exec::Incremental> inc;
  if (st.ok()) st = TakeIncremental(&inc);
  std::vector<uint8_t> read(n, 0);
  io::SegmentResult result;
  thread_local std::vector<exec::Incremental::Evaluation> evals;  // a chunk's, reused
  std::string content;  // a row's values, digested
  for (size_t s = 0; st.ok() && s < source->segment_count(); ++s) {
    st = source->ReadSegment(s, [&](const Chunk& c) {
      if (evals.size() < c.size) evals.resize(c.size);
      inc->Evaluate(c, evals.data());  // while the chunk is at hand
      for (uint32_t row = 0; row < c.size; ++row) {
        size_t i = record_at(c.pos[row]);
        read[i] = 1;
        Parsed& p = (*out)[i];
        content.clear();
        for (const Vec& v : c.columns) AppendSlot(&content, v, row);
        std::array<uint8_t, 32> full = Sha256Digest(content);
        std::copy_n(full.begin(), p.digest.size(), p.digest.begin());
        int tf = layout_->time_field;
        p.held.time = tf >= 0 && c.columns[tf].IsValid(row) ? c.columns[tf].i[row] : 0;
        const Vec& id = c.columns[layout_->id_field];
        p.id.clear();
        if (id.type == PType::kStr && id.IsValid(row)) p.id.assign(id.s[id.at(row)].view());
        p.partition.clear();
        if (partition_field_ >= 0) AppendSlot(&p.partition, c.columns[partition_field_], row);
        std::swap(p.eval, evals[row]);
      }
    }, &result);
  }
  if (source) {
    thread_local const auto nothing = std::make_shared<const std::string>();
    source->Rebind("the request", nothing);  // lets go of `bytes`
    GiveBack(std::move(source));
  }
  if (inc) GiveBack(std::move(inc));
  if (!st.ok() && n > 1) {  // read one by one, so that each record gets its own answer
    for (size_t i = 0; i < n; ++i) ParseRecord(records[i], &(*out)[i], &(*reasons)[i]);
    return;
  }
  for (const io::Reject& r : result.rejects) {
    size_t i = record_at(r.pos);
    (*out)[i].id = r.record_id;  // when it could be read
    (*reasons)[i] = r.reason;
    read[i] = 1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!st.ok()) {
      (*reasons)[i] = st.message();
    } else if (!read[i]) {
      (*reasons)[i] = "no record: the body must be one JSON object";
    } else if (reasons->at(i).empty() && n == 1) {
      bytes->pop_back();  // its newline (the pooled source reads these bytes no more)
      (*out)[i].held.line = std::move(*bytes);
    } else if (reasons->at(i).empty()) {
      (*out)[i].held.line.assign(bytes->data() + starts[i], (i + 1 < n ? starts[i + 1] : bytes->size()) - starts[i] - 1);
    }
  }
  spare = std::move(bytes);
}

size_t Evaluator::SlotOfThisThread() {
  static std::atomic<size_t> threads{0};
  thread_local const size_t slot = threads++ % kSlots;
  return slot;
}

Status Evaluator::Source(const char* path, std::shared_ptr<std::string> bytes, std::unique_ptr<io::RowSource>* out) const {
  {
    Slot& slot = slots_[SlotOfThisThread()];
    std::lock_guard<std::mutex> lock(slot.mu);
    if (!slot.sources.empty()) {
      *out = std::move(slot.sources.back());
      slot.sources.pop_back();
    }
  }
  if (*out && (*out)->Rebind(path, bytes)) return Status::Ok();
  InputSpec spec;
  spec.path = path;
  spec.format = InputFormat::kJsonl;
  spec.bytes = std::move(bytes);
  return io::OpenSource(spec, library_->program(), *layout_, out);
}

void Evaluator::GiveBack(std::unique_ptr<io::RowSource> source) const {
  Slot& slot = slots_[SlotOfThisThread()];
  std::lock_guard<std::mutex> lock(slot.mu);
  slot.sources.push_back(std::move(source));
}

Status Evaluator::TakeIncremental(std::unique_ptr<exec::Incremental>* out) const {
  {
    Slot& slot = slots_[SlotOfThisThread()];
    std::lock_guard<std::mutex> lock(slot.mu);
    if (!slot.incrementals.empty()) {
      *out = std::move(slot.incrementals.back());
      slot.incrementals.pop_back();
      return Status::Ok();
    }
  }
  return exec::Incremental::Open(library_->program(), *layout_, *tables_, rules_, out);  // as Open did once
}

void Evaluator::GiveBack(std::unique_ptr<exec::Incremental> inc) const {
  Slot& slot = slots_[SlotOfThisThread()];
  std::lock_guard<std::mutex> lock(slot.mu);
  slot.incrementals.push_back(std::move(inc));
}

Status Evaluator::Decide(const Parsed& p, const std::vector<const std::string*>& held, std::vector<Finding>* findings,
                         std::string* rejected) const {
  if (!p.eval.rejected.empty()) {
    *rejected = p.eval.rejected;
    return Status::Ok();
  }
  std::unique_ptr<exec::Incremental> inc;
  if (Status st = TakeIncremental(&inc); !st.ok()) return st;
  Status st = inc->Decide(p.eval, held, p.id, findings);
  GiveBack(std::move(inc));
  return st;
}

}  // namespace decree::engine
