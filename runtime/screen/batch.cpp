#include "screen/batch.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "common/parallel.h"
#include "vector/vector.h"
#include "io/csv.h"
#include "io/input_file.h"
#include "decree/json.h"
#include "common/utf8.h"
#include "screen/evidence.h"
#include "screen/match.h"
#include "decree/files.h"
#include "common/strings.h"
#include "io/csv_records.h"

namespace decree::screen {
namespace {

constexpr size_t kSegmentBytes = 4 << 20;
constexpr size_t kCacheNames = 1 << 18;  // names remembered per thread

// A batch name without surrounding blanks (a line break inside a quoted name is kept).
std::string_view TrimName(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IsIsoDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// Writes to `path` through a temporary file renamed at Commit(): a reader never sees half a
// file under the final name.  "-" writes to standard output directly.
class AtomicOutput {
 public:
  ~AtomicOutput() {
    if (file_ != nullptr && file_ != stdout) {
      std::fclose(file_);
      std::remove(temp_.c_str());
    }
  }
  Status Open(const std::string& path) {
    path_ = path;
    if (path == "-") {
      file_ = stdout;
      return Status::Ok();
    }
    temp_ = fmt::format("{}.tmp.{}", path, static_cast<long>(getpid()));
    file_ = std::fopen(temp_.c_str(), "wb");
    if (file_ == nullptr) return Status::IoError(fmt::format("{}: {}", temp_, std::strerror(errno)));
    return Status::Ok();
  }
  Status Write(std::string_view data) {
    if (!data.empty() && std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
      return Status::IoError(fmt::format("{}: {}", path_ == "-" ? "standard output" : temp_, std::strerror(errno)));
    }
    return Status::Ok();
  }
  Status Commit() {
    if (file_ == stdout) {
      file_ = nullptr;
      if (std::fflush(stdout) != 0) return Status::IoError(fmt::format("standard output: {}", std::strerror(errno)));
      return Status::Ok();
    }
    bool ok = std::fflush(file_) == 0 && fsync(fileno(file_)) == 0;
    int err = errno;
    ok = std::fclose(file_) == 0 && ok;
    file_ = nullptr;
    if (!ok) {
      std::remove(temp_.c_str());
      return Status::IoError(fmt::format("{}: {}", path_, std::strerror(err)));
    }
    if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
      err = errno;
      std::remove(temp_.c_str());
      return Status::IoError(fmt::format("{}: {}", path_, std::strerror(err)));
    }
    return Status::Ok();
  }

 private:
  std::string path_, temp_;
  FILE* file_ = nullptr;
};

// Hashes std::string and std::string_view alike, so the name cache is probed without a copy.
struct NameHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

struct Segment {
  std::string out;  // its hits.jsonl lines
  uint64_t rows_read = 0, rows_rejected = 0, names = 0, names_empty = 0, hits = 0, allowed = 0;
  std::vector<std::pair<uint64_t, BatchReject>> rejects;  // (file offset, reject)
  std::vector<uint64_t> allow_used;
};

}  // namespace

Status LoadAllowList(const std::string& path, std::vector<AllowEntry>* out) {
  std::string text;
  Status st = ReadWholeFile(path, kMaxWholeFileBytes, &text);
  if (!st.ok()) return st;
  std::string_view body = text;
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
  static const char* const kColumns[] = {"list_id", "entry_id", "name", "reviewed_by", "reviewed_on", "reason"};
  NameNormalizer normalizer;
  if (!normalizer.status().ok()) return normalizer.status();
  NormalizedName norm;
  io::CsvRecords records(body, path);  // errors name the path as given
  const std::string file_name = Basename(path);
  std::vector<std::string_view> raw;
  if (!records.Next(&raw, &st)) return Status::Corruption(fmt::format("{}: empty file (expected a header row)", path));
  if (!st.ok()) return st;
  int column[6];
  for (int c = 0; c < 6; ++c) {
    auto it = std::find_if(raw.begin(), raw.end(), [&](std::string_view h) { return Trim(h) == kColumns[c]; });
    if (it == raw.end()) {
      return Status::Corruption(fmt::format("{}: header has no '{}' column (an allow-list has list_id,entry_id,name,"
                                            "reviewed_by,reviewed_on,reason)",
                                            records.Where(), kColumns[c]));
    }
    column[c] = static_cast<int>(it - raw.begin());
  }
  const size_t width = raw.size();
  while (records.Next(&raw, &st)) {
    if (!st.ok()) return st;
    const std::string where = records.Where();
    if (raw.size() != width) return Status::Corruption(fmt::format("{}: {} fields, the header has {}", where, raw.size(), width));
    std::string f[6];
    for (int c = 0; c < 6; ++c) {
      f[c] = Trim(raw[static_cast<size_t>(column[c])]);
      if (f[c].empty()) return Status::Corruption(fmt::format("{}: empty {} (every allow-list entry says who, when and why)", where, kColumns[c]));
    }
    AllowEntry a;
    a.list_id = f[0];
    a.entry_id = f[1];
    a.name = f[2];
    a.reviewed_by = f[3];
    a.reviewed_on = f[4];
    a.reason = f[5];
    // Hits name the file without its folder: the output is the same wherever the list lies.
    a.where = fmt::format("{}:{}", file_name, records.line());
    if (!IsIsoDate(a.reviewed_on)) return Status::Corruption(fmt::format("{}: reviewed_on '{}' is not a date (YYYY-MM-DD)", where, a.reviewed_on));
    normalizer.Normalize(a.name, &norm);
    if (norm.tokens.empty()) return Status::Corruption(fmt::format("{}: name '{}' has no letters or digits", where, a.name));
    a.tokens = norm.tokens;
    out->push_back(std::move(a));
  }
  return Status::Ok();
}

void AppendHitJson(const ScreeningIndex& index, std::string_view txn_id, std::string_view column, std::string_view query,
                   const NormalizedName& normalized, const ScreenHit& hit, const AllowEntry* allowed, std::string* out,
                   const HitEvidence* evidence) {
  const ScreeningIndex::Name& n = index.names()[hit.name];
  const WatchList& list = index.lists()[n.list];
  const WatchEntry& entry = list.entries[n.entry];
  const ListName& matched = entry.names[n.alias];
  JsonWriter w(out);
  w.BeginObject().Field("txn_id", txn_id).Field("column", column).Field("query", query);
  w.Field("list", list.list_id).Field("entry_id", entry.entry_id).Field("entry_type", entry.entry_type);
  w.Field("matched", matched.text).Field("matched_as", NameSourceName(matched.source));
  w.Key("score").Raw(fmt::format("{:.4f}", evidence != nullptr ? evidence->score : hit.score));
  w.Key("normalisations").BeginArray();
  for (const std::string& s : NormStepNames(normalized.steps | n.steps)) w.String(s);
  w.EndArray();
  w.Key("match").BeginArray();
  for (int bit = 0; bit < kMatchFlagCount; ++bit) {
    if (hit.match_flags & (1u << bit)) w.String(MatchFlagName(bit));
  }
  w.EndArray();
  std::string q, e;
  for (const std::string& t : normalized.tokens) q += (q.empty() ? "" : " ") + t;
  const uint32_t* ids = index.name_tokens(n);
  std::vector<std::string_view> qv(normalized.tokens.begin(), normalized.tokens.end()), ev;
  for (uint32_t k = 0; k < n.token_count; ++k) {
    if (k > 0) e += ' ';
    e += index.token(ids[k]);
    ev.push_back(index.token(ids[k]));
  }
  w.Key("compared").BeginObject().Field("query", q).Field("matched", e).EndObject();
  // Part by part: how each query part met a list part, or was left over, and what it earned.
  std::vector<PartMatch> parts;
  uint16_t flags;
  NameScore(qv.data(), qv.size(), ev.data(), ev.size(), n.family_mask, &flags, &parts);
  w.Key("parts").BeginArray();
  for (const PartMatch& p : parts) {
    w.BeginObject();
    if (!p.query.empty()) w.Field("query", p.query);
    if (!p.list.empty()) w.Field("list", p.list);
    w.Field("how", PartHowName(p.how));
    if (p.family) w.Key("family").Bool(true);
    if (!p.query.empty() && !p.list.empty()) w.Key("similarity").Raw(fmt::format("{:.4f}", p.similarity));
    w.Key("contribution").Raw(fmt::format("{:.4f}", p.contribution));
    w.Key("lost").Raw(fmt::format("{:.4f}", p.lost));
    w.EndObject();
  }
  w.EndArray();
  if (evidence != nullptr) {  // the name's score, then what the row's country did to it
    w.Key("evidence").BeginObject().Key("name_score").Raw(fmt::format("{:.4f}", hit.score));
    w.Key("country").BeginObject().Field("row", evidence->row_country).Field("list", evidence->list_country);
    w.Key("effect").Raw(fmt::format("{:.4f}", evidence->effect)).EndObject().EndObject();
  }
  if (allowed != nullptr) {
    w.Field("status", "allowed");
    w.Key("allowed").BeginObject().Field("by", allowed->reviewed_by).Field("on", allowed->reviewed_on);
    w.Field("why", allowed->reason).Field("where", allowed->where).EndObject();
  } else {
    w.Field("status", "hit");
  }
  w.EndObject();
}

// The header row of a batch: where the records start, the number of columns, and the columns
// of txn_id and of the names screened.
Status ReadHeader(io::InputFile& file, const std::string& input, const std::vector<std::string>& columns, size_t* pos,
                  size_t* ncols, int* id_col, std::vector<int>* name_cols, std::vector<int>* country_cols) {
  Status st;
  std::string head;
  bool inside = false, complete = false;
  for (size_t scan = 0; !complete && head.size() < file.size();) {
    if (st = file.ReadAt(head.size(), 64 << 10, &head); !st.ok()) return st;
    for (; scan < head.size() && !complete; ++scan) {
      if (head[scan] == '"') inside = !inside;
      complete = head[scan] == '\n' && !inside;
    }
  }
  *pos = head.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  if (*pos >= head.size()) return Status::InvalidArgument(input + ": empty input: no header row");
  std::vector<io::CsvField> fields;
  io::CsvError error;
  io::NextCsvRecord(head.data(), head.size(), pos, &fields, &error);
  if (error != io::CsvError::kNone) return Status::InvalidArgument(fmt::format("{}: header row: {}", input, io::CsvErrorText(error)));
  Arena arena;
  std::vector<std::string> header;
  for (const io::CsvField& f : fields) header.emplace_back(io::CsvText(f, &arena));
  *ncols = header.size();
  auto find = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  *id_col = find("txn_id");
  if (*id_col < 0) return Status::InvalidArgument(fmt::format("{}: header row has no txn_id column", input));
  for (const std::string& c : columns) {
    int k = find(c);
    if (k < 0) return Status::InvalidArgument(fmt::format("{}: header row has no {} column", input, c));
    name_cols->push_back(k);
    // X_name's evidence column is X_country (screen/evidence.h), when the batch has one.
    country_cols->push_back(c.ends_with("_name") ? find(c.substr(0, c.size() - 5) + "_country") : -1);
  }
  return Status::Ok();
}

void AddStats(const ScreenStats& s, ScreenStats* total) {
  total->queries += s.queries;
  total->candidates += s.candidates;
  total->pruned += s.pruned;
  total->token_lookups += s.token_lookups;
  total->vocabulary_compared += s.vocabulary_compared;
}

// The segments' hits, written in file order, and their counts added up; the file offsets of
// the rejects (in the order of result->rejects) for their line labels.
Status WriteSegments(std::vector<Segment>& out, const BatchScreenOptions& options, BatchScreenResult* result,
                     std::vector<uint64_t>* offsets) {
  AtomicOutput output;
  if (Status st = output.Open(options.out_path.empty() ? "-" : options.out_path); !st.ok()) return st;
  for (Segment& seg : out) {
    if (Status st = output.Write(seg.out); !st.ok()) return st;
    result->rows_read += seg.rows_read;
    result->rows_rejected += seg.rows_rejected;
    result->names_screened += seg.names;
    result->names_empty += seg.names_empty;
    result->hits += seg.hits;
    result->allowed += seg.allowed;
    for (auto& [offset, r] : seg.rejects) {
      offsets->push_back(offset);
      result->rejects.push_back(std::move(r));
    }
    if (options.allow != nullptr) {
      for (size_t a = 0; a < options.allow->size(); ++a) (*options.allow)[a].used += seg.allow_used[a];
    }
  }
  return output.Commit();
}

namespace {

// The hits of one name of a row, after the row's country evidence (when the batch gives one),
// at the threshold, best first, each marked allowed when the allow-list says so.
void WriteHits(const ScreeningIndex& index, const CountryEvidence* evidence, const BatchScreenOptions& options,
               const std::string& row_country, std::string_view txn_id, size_t column, std::string_view name,
               const NormalizedName& query, const std::vector<ScreenHit>& hits, Segment* seg) {
  struct Scored {
    const ScreenHit* hit;
    HitEvidence evidence;
  };
  std::vector<Scored> kept;
  for (const ScreenHit& h : hits) {
    Scored k{&h, HitEvidence{h.score, 0, row_country, ""}};
    if (evidence != nullptr) {
      k.evidence.effect = evidence->Effect(index.names()[h.name], row_country, &k.evidence.list_country);
      k.evidence.score = std::clamp(h.score + k.evidence.effect, 0.0, 1.0);
    }
    if (k.evidence.score >= options.threshold) kept.push_back(std::move(k));
  }
  std::stable_sort(kept.begin(), kept.end(), [](const Scored& a, const Scored& b) { return a.evidence.score > b.evidence.score; });
  const std::vector<AllowEntry>* allow = options.allow;
  for (const Scored& k : kept) {
    const ScreenHit& h = *k.hit;
    const AllowEntry* allowed = nullptr;
    if (allow != nullptr) {
      const auto& n = index.names()[h.name];
      const std::string& list_id = index.lists()[n.list].list_id;
      const std::string& entry_id = index.lists()[n.list].entries[n.entry].entry_id;
      for (size_t a = 0; a < allow->size(); ++a) {
        const AllowEntry& x = (*allow)[a];
        if (x.list_id == list_id && x.entry_id == entry_id && x.tokens == query.tokens) {
          allowed = &x;
          ++seg->allow_used[a];
          break;
        }
      }
    }
    ++(allowed != nullptr ? seg->allowed : seg->hits);
    AppendHitJson(index, txn_id, options.columns[column], name, query, h, allowed, &seg->out, evidence != nullptr ? &k.evidence : nullptr);
    seg->out.push_back('\n');
  }
}

}  // namespace

Status ScreenBatch(const ScreeningIndex& index, const std::string& input, const BatchScreenOptions& options,
                   BatchScreenResult* result) {
  const auto started = std::chrono::steady_clock::now();
  io::InputFile file;
  Status st = file.Open(input);
  if (!st.ok()) return st;
  size_t pos = 0, ncols = 0;
  int id_col = -1;
  std::vector<int> name_cols, country_cols;
  if (st = ReadHeader(file, input, options.columns, &pos, &ncols, &id_col, &name_cols, &country_cols); !st.ok()) return st;
  // With a country beside a name, names scoring kCountryEffect under the threshold may still hit.
  std::unique_ptr<CountryEvidence> evidence;
  if (std::any_of(country_cols.begin(), country_cols.end(), [](int k) { return k >= 0; })) {
    evidence = std::make_unique<CountryEvidence>(index);
  }
  const double floor = evidence ? std::max(1e-4, options.threshold - kCountryEffect) : options.threshold;
  io::SegmentReader segments;
  segments.Init(&file, pos, /*quotes=*/true, kSegmentBytes, uint64_t{64} << 20, 1);
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Per thread: the screener, and the results of names already screened (batches repeat their
  // counterparties; the cache serves the index and the all-pairs reference alike).
  struct Cached {
    NormalizedName query;
    std::vector<ScreenHit> hits;
  };
  std::vector<std::unordered_map<std::string, Cached, NameHash, std::equal_to<>>> caches(static_cast<size_t>(threads));
  std::vector<std::unique_ptr<Screener>> screeners;
  LookupMemo memo;
  for (int t = 0; t < threads; ++t) {
    screeners.push_back(std::make_unique<Screener>(&index, floor, &memo));
    if (!screeners.back()->status().ok()) return screeners.back()->status();
  }
  const std::vector<AllowEntry>* allow = options.allow;
  std::vector<Segment> out(segments.count());
  std::atomic<uint64_t> bytes_done{0}, rows_done{0};
  std::mutex failure_mu;
  Status failure;
  std::mutex progress_mu;
  Parallel(segments.count(), threads, [&](int w, size_t k) {
    Screener& screener = *screeners[static_cast<size_t>(w)];
    auto& cache = caches[static_cast<size_t>(w)];
    Segment& seg = out[k];
    if (allow != nullptr) seg.allow_used.assign(allow->size(), 0);
    std::string data;
    uint64_t begin, end;
    Status s = segments.Read(k, &data, &begin, &end);
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(failure_mu);
      if (failure.ok()) failure = s;
      return;
    }
    std::vector<io::CsvField> f;
    Arena arena;
    io::CsvScanner scanner(data.data(), 0, data.size());
    while (!scanner.done()) {
      const uint64_t start = begin + scanner.pos();
      io::CsvError e;
      scanner.Next(&f, &e);
      if (e == io::CsvError::kNone && f.size() == 1 && f[0].size == 0 && ncols > 1) continue;  // blank line
      ++seg.rows_read;
      arena.Reset();
      std::string_view txn_id = e == io::CsvError::kNone && f.size() > static_cast<size_t>(id_col) ? io::CsvText(f[id_col], &arena) : "";
      auto reject = [&](std::string reason) {
        ++seg.rows_rejected;
        seg.rejects.push_back({start, BatchReject{"", IsValidUtf8(txn_id) ? std::string(txn_id) : "", std::move(reason)}});
      };
      if (e != io::CsvError::kNone) {
        reject(io::CsvErrorText(e));
        continue;
      }
      if (f.size() != ncols) {
        reject(fmt::format("expected {} fields, found {}", ncols, f.size()));
        continue;
      }
      if (txn_id.empty()) {
        reject("empty txn_id");
        continue;
      }
      bool bad = false;
      for (size_t c = 0; c < name_cols.size() && !bad; ++c) {
        if (!IsValidUtf8(io::CsvText(f[name_cols[c]], &arena))) {
          reject(fmt::format("{}: invalid UTF-8", options.columns[c]));
          bad = true;
        }
      }
      if (bad) continue;
      for (size_t c = 0; c < name_cols.size(); ++c) {
        std::string_view name = TrimName(io::CsvText(f[name_cols[c]], &arena));
        if (name.empty()) {
          ++seg.names_empty;
          continue;
        }
        ++seg.names;
        auto found = cache.find(name);  // a string_view: no allocation for a name seen before
        if (found == cache.end()) {
          if (cache.size() >= kCacheNames) cache.clear();
          Cached fresh;
          if (options.all_pairs) {
            screener.AllPairs(name, &fresh.hits, &fresh.query);
          } else {
            screener.Screen(name, &fresh.hits, &fresh.query);
          }
          found = cache.emplace(std::string(name), std::move(fresh)).first;
        }
        const std::string row_country = country_cols[c] >= 0 ? CountryCode(io::CsvText(f[country_cols[c]], &arena)) : "";
        WriteHits(index, country_cols[c] >= 0 ? evidence.get() : nullptr, options, row_country, txn_id, c, name, found->second.query,
                  found->second.hits, &seg);
      }
    }
    bytes_done.fetch_add(end - begin);
    rows_done.fetch_add(seg.rows_read);
    if (options.progress) {
      std::lock_guard<std::mutex> lock(progress_mu);
      options.progress(bytes_done.load(), file.size(), rows_done.load());
    }
  });
  if (!failure.ok()) return failure;
  std::vector<uint64_t> offsets;
  if (st = WriteSegments(out, options, result, &offsets); !st.ok()) return st;
  io::LineCounter lines(file, 1);
  for (size_t i = 0; i < offsets.size(); ++i) result->rejects[i].where = lines.Label(offsets[i], 0);
  result->rows_screened = result->rows_read - result->rows_rejected;
  for (const auto& s : screeners) AddStats(s->stats(), &result->stats);
  result->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return Status::Ok();
}

}  // namespace decree::screen
