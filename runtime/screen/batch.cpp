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
#include "decree/input.h"
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
constexpr uint64_t kMaxRecordBytes = uint64_t{64} << 20;  // the longest record (a header, a row) read

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
  std::vector<std::string> header;
  if (Status st = io::ReadCsvHeader(file, input, kMaxRecordBytes, &header, pos); !st.ok()) return st;
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

namespace {

// One row as screening sees it: its txn_id, and per screened column the name and the country
// beside it (has_country false: the batch gives none for that column).
struct ScreenRow {
  std::string_view txn_id;
  std::vector<std::string_view> names, countries;
  std::vector<bool> has_country;
};

// Per thread: screens the names of rows, remembering the names already screened (batches
// repeat their counterparties; the cache serves the index and the all-pairs reference alike).
class RowScreener {
 public:
  RowScreener(const ScreeningIndex& index, const BatchScreenOptions& options, const CountryEvidence* evidence, Screener* screener)
      : index_(index), options_(options), evidence_(evidence), screener_(*screener) {}

  void Screen(const ScreenRow& row, Segment* seg) {
    for (size_t c = 0; c < row.names.size(); ++c) {
      std::string_view name = TrimName(row.names[c]);
      if (name.empty()) {
        ++seg->names_empty;
        continue;
      }
      ++seg->names;
      auto found = cache_.find(name);  // a string_view: no allocation for a name seen before
      if (found == cache_.end()) {
        if (cache_.size() >= kCacheNames) cache_.clear();
        Cached fresh;
        if (options_.all_pairs) {
          screener_.AllPairs(name, &fresh.hits, &fresh.query);
        } else {
          screener_.Screen(name, &fresh.hits, &fresh.query);
        }
        found = cache_.emplace(std::string(name), std::move(fresh)).first;
      }
      const bool with_country = row.has_country[c] && evidence_ != nullptr;
      WriteHits(index_, with_country ? evidence_ : nullptr, options_, with_country ? CountryCode(row.countries[c]) : "", row.txn_id, c,
                name, found->second.query, found->second.hits, seg);
    }
  }

 private:
  struct Cached {
    NormalizedName query;
    std::vector<ScreenHit> hits;
  };
  const ScreeningIndex& index_;
  const BatchScreenOptions& options_;
  const CountryEvidence* evidence_;
  Screener& screener_;
  std::unordered_map<std::string, Cached, NameHash, std::equal_to<>> cache_;
};

// Where a batch's fields are: CSV columns from its header, or JSON Lines keys.
struct BatchShape {
  bool jsonl = false;
  size_t ncols = 0;
  int id_col = -1;
  std::vector<int> name_cols, country_cols;  // CSV
  std::vector<std::string> country_keys;     // JSON Lines: X_country for each X_name
};

void Reject(Segment* seg, uint64_t start, std::string_view txn_id, std::string reason) {
  ++seg->rows_rejected;
  seg->rejects.push_back({start, BatchReject{"", IsValidUtf8(txn_id) ? std::string(txn_id.substr(0, 256)) : "", std::move(reason)}});
}

void ScreenCsvSegment(const std::string& data, uint64_t begin, const BatchShape& shape, const BatchScreenOptions& options,
                      RowScreener* screener, Segment* seg) {
  std::vector<io::CsvField> f;
  Arena arena;
  ScreenRow row;
  io::CsvScanner scanner(data.data(), 0, data.size());
  while (!scanner.done()) {
    const uint64_t start = begin + scanner.pos();
    io::CsvError e;
    scanner.Next(&f, &e);
    if (e == io::CsvError::kNone && f.size() == 1 && f[0].size == 0 && shape.ncols > 1) continue;  // blank line
    ++seg->rows_read;
    arena.Reset();
    std::string_view txn_id = e == io::CsvError::kNone && f.size() > static_cast<size_t>(shape.id_col) ? io::CsvText(f[shape.id_col], &arena) : "";
    if (e != io::CsvError::kNone) {
      Reject(seg, start, txn_id, io::CsvErrorText(e));
      continue;
    }
    if (f.size() != shape.ncols) {
      Reject(seg, start, txn_id, fmt::format("expected {} fields, found {}", shape.ncols, f.size()));
      continue;
    }
    if (txn_id.empty()) {
      Reject(seg, start, txn_id, "empty txn_id");
      continue;
    }
    row.txn_id = txn_id;
    row.names.clear();
    row.countries.clear();
    row.has_country.clear();
    bool bad = false;
    for (size_t c = 0; c < shape.name_cols.size() && !bad; ++c) {
      row.names.push_back(io::CsvText(f[shape.name_cols[c]], &arena));
      row.has_country.push_back(shape.country_cols[c] >= 0);
      row.countries.push_back(shape.country_cols[c] >= 0 ? io::CsvText(f[shape.country_cols[c]], &arena) : "");
      if (!IsValidUtf8(row.names.back())) {
        Reject(seg, start, txn_id, fmt::format("{}: invalid UTF-8", options.columns[c]));
        bad = true;
      }
    }
    if (!bad) screener->Screen(row, seg);
  }
}

// A JSON Lines batch: one object a line, txn_id a non-empty string, each screened name a string,
// null or absent (no name), its X_country likewise; a duplicated key is refused (which value
// would be meant?).
void ScreenJsonlSegment(const std::string& data, uint64_t begin, const BatchShape& shape, const BatchScreenOptions& options,
                        RowScreener* screener, Segment* seg) {
  ScreenRow row;
  JsonValue v;
  for (size_t at = 0; at < data.size();) {
    const uint64_t start = begin + at;
    size_t nl = data.find('\n', at);
    if (nl == std::string::npos) nl = data.size();
    std::string_view line(data.data() + at, nl - at);
    at = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank line
    ++seg->rows_read;
    size_t off = 0;
    std::string error;
    if (!IsValidUtf8(line)) {
      Reject(seg, start, "", "invalid UTF-8");
      continue;
    }
    if (!ParseJson(line, &v, &off, &error)) {
      Reject(seg, start, "", fmt::format("invalid JSON at byte {} of the line: {}", off + 1, error));
      continue;
    }
    if (v.kind != JsonValue::Kind::kObject) {
      Reject(seg, start, "", "a JSON Lines record must be an object");
      continue;
    }
    const JsonValue* id = v.Get("txn_id");
    std::string_view txn_id = id != nullptr && id->is_string() ? std::string_view(id->text) : "";
    std::string reason;  // (ParseJson refuses an object with a key twice)
    if (txn_id.empty()) reason = "txn_id: missing or not a non-empty string";
    row.txn_id = txn_id;
    row.names.clear();
    row.countries.clear();
    row.has_country.clear();
    for (size_t c = 0; c < options.columns.size() && reason.empty(); ++c) {
      const JsonValue* name = v.Get(options.columns[c]);
      const JsonValue* country = v.Get(shape.country_keys[c]);
      if (name != nullptr && !name->is_string() && name->kind != JsonValue::Kind::kNull) reason = options.columns[c] + ": not a string";
      if (country != nullptr && !country->is_string() && country->kind != JsonValue::Kind::kNull) reason = shape.country_keys[c] + ": not a string";
      row.names.push_back(name != nullptr && name->is_string() ? std::string_view(name->text) : "");
      row.has_country.push_back(country != nullptr && country->is_string());
      row.countries.push_back(row.has_country.back() ? std::string_view(country->text) : "");
    }
    if (!reason.empty()) {
      Reject(seg, start, txn_id, std::move(reason));
      continue;
    }
    screener->Screen(row, seg);
  }
}

// The batch's shape and where its records start: a CSV header, or JSON Lines (no header).
Status ReadShape(io::InputFile& file, const std::string& input, const BatchScreenOptions& options, BatchShape* shape, size_t* pos) {
  InputFormat format = options.input_format;
  if (format == InputFormat::kAuto) format = input == "-" ? InputFormat::kCsv : DetectInputFormat(input);
  if (format != InputFormat::kCsv && format != InputFormat::kJsonl) {
    return Status::InvalidArgument(input + ": batch screening reads CSV and JSON Lines; a rule's screen() reads any batch format");
  }
  if (format == InputFormat::kCsv) {
    return ReadHeader(file, input, options.columns, pos, &shape->ncols, &shape->id_col, &shape->name_cols, &shape->country_cols);
  }
  shape->jsonl = true;
  std::string head;
  if (Status st = file.ReadAt(0, 3, &head); !st.ok()) return st;
  *pos = head == "\xEF\xBB\xBF" ? 3 : 0;
  for (const std::string& c : options.columns) {
    shape->country_keys.push_back(c.ends_with("_name") ? c.substr(0, c.size() - 5) + "_country" : std::string());
  }
  return Status::Ok();
}

}  // namespace

Status ScreenBatch(const ScreeningIndex& index, const std::string& input, const BatchScreenOptions& options,
                   BatchScreenResult* result) {
  const auto started = std::chrono::steady_clock::now();
  io::InputFile file;
  Status st = file.Open(input);
  if (!st.ok()) return st;
  size_t pos = 0;
  BatchShape shape;
  if (st = ReadShape(file, input, options, &shape, &pos); !st.ok()) return st;
  // With a country beside a name, names scoring kCountryEffect under the threshold may still hit.
  std::unique_ptr<CountryEvidence> evidence;
  if (shape.jsonl || std::any_of(shape.country_cols.begin(), shape.country_cols.end(), [](int k) { return k >= 0; })) {
    evidence = std::make_unique<CountryEvidence>(index);
  }
  const double floor = evidence ? std::max(1e-4, options.threshold - kCountryEffect) : options.threshold;
  io::SegmentReader segments;
  segments.Init(&file, pos, /*quotes=*/!shape.jsonl, kSegmentBytes, kMaxRecordBytes, 1);
  const int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::unique_ptr<Screener>> screeners;
  std::vector<std::unique_ptr<RowScreener>> rows;
  LookupMemo memo;
  for (int t = 0; t < threads; ++t) {
    screeners.push_back(std::make_unique<Screener>(&index, floor, &memo));
    if (!screeners.back()->status().ok()) return screeners.back()->status();
    rows.push_back(std::make_unique<RowScreener>(index, options, evidence.get(), screeners.back().get()));
  }
  std::vector<Segment> out(segments.count());
  std::atomic<uint64_t> bytes_done{0}, rows_done{0};
  std::mutex failure_mu, progress_mu;
  Status failure;
  Parallel(segments.count(), threads, [&](int w, size_t k) {
    Segment& seg = out[k];
    if (options.allow != nullptr) seg.allow_used.assign(options.allow->size(), 0);
    std::string data;
    uint64_t begin, end;
    if (Status s = segments.Read(k, &data, &begin, &end); !s.ok()) {
      std::lock_guard<std::mutex> lock(failure_mu);
      if (failure.ok()) failure = s;
      return;
    }
    RowScreener* screener = rows[static_cast<size_t>(w)].get();
    if (shape.jsonl) {
      ScreenJsonlSegment(data, begin, shape, options, screener, &seg);
    } else {
      ScreenCsvSegment(data, begin, shape, options, screener, &seg);
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
