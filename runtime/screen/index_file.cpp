#include "screen/index_file.h"

#include <fmt/format.h>
#include <unicode/uvernum.h>

#include <cstdio>
#include <filesystem>
#include <ctime>
#include <map>
#include <tuple>

#include "decree/atomic_file.h"
#include "decree/sha256.h"
#include "common/sqlite_util.h"
#include "decree/files.h"
#include "common/strings.h"
#include "io/csv_records.h"

namespace decree::screen {

namespace {

constexpr const char* kFormat = "decree-screening-index";
constexpr int kFormatVersion = 1;
// Bump when normalize.cpp changes what a name normalises to.
constexpr int kNormalizeVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (
  id INTEGER PRIMARY KEY, list_id TEXT NOT NULL, source TEXT NOT NULL, entry_id TEXT NOT NULL,
  entry_type TEXT NOT NULL, country TEXT NOT NULL, birth_date TEXT NOT NULL, program TEXT NOT NULL);
CREATE TABLE names (
  entry INTEGER NOT NULL REFERENCES entries(id), position INTEGER NOT NULL, text TEXT NOT NULL,
  source INTEGER NOT NULL, steps INTEGER NOT NULL, tokens TEXT NOT NULL,
  PRIMARY KEY (entry, position));
)sql";

std::string Now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// SHA-256 over everything the index holds but the hash itself: meta by key, entries by id,
// names by (entry, position), every column as text.  An edited index (a row deleted, a token
// changed) no longer matches the hash saved with it.
Status HashIndex(SqliteDb& db, std::string* hex) {
  Sha256 h;
  const char* const kQueries[] = {"SELECT key, value FROM meta WHERE key <> 'content_hash' ORDER BY key",
                                  "SELECT * FROM entries ORDER BY id", "SELECT * FROM names ORDER BY entry, position"};
  for (const char* sql : kQueries) {
    SqliteStmt q;
    if (Status st = q.Prepare(db.get(), sql); !st.ok()) return st;
    h.UpdateField(sql);
    int rc;
    while ((rc = q.Step()) == SQLITE_ROW) {
      for (int c = 0; c < q.ColumnCount(); ++c) h.UpdateField(q.IsNull(c) ? std::string("\x01null") : q.Text(c));
    }
    if (rc != SQLITE_DONE) return db.Error("reading the index");
  }
  *hex = h.FinishHex();
  return Status::Ok();
}

}  // namespace

Status CheckIndexFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return Status::Ok();
  SqliteDb db;
  std::string format;
  if (std::filesystem::is_regular_file(path, ec) && db.Open(path, SQLITE_OPEN_READONLY).ok()) {
    SqliteStmt q;
    if (q.Prepare(db.get(), "SELECT value FROM meta WHERE key = 'format'").ok() && q.Step() == SQLITE_ROW) format = q.Text(0);
  }
  if (format == kFormat) return Status::Ok();
  return Status::InvalidArgument(fmt::format("{}: exists and is not a saved screening index: an index is saved to a new file "
                                             "or over an older index, never over another file",
                                             path));
}

std::string NormalizerVersion() { return fmt::format("ICU {} / decree normalise {}", U_ICU_VERSION, kNormalizeVersion); }

Status SaveIndex(const ScreeningIndex& index, const std::vector<std::string>& sources, const std::string& path) {
  AtomicFile file;  // removed on every early return below
  Status st = file.Reserve(path);
  if (!st.ok()) return st;
  {
    SqliteDb db;
    if (st = db.Open(file.temp_path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE); !st.ok()) return st;
    if (st = db.Exec(kSchema); !st.ok()) return st;
    if (st = db.Exec("BEGIN"); !st.ok()) return st;
    SqliteStmt meta, entry, name;
    if (st = meta.Prepare(db.get(), "INSERT INTO meta VALUES (?, ?)"); !st.ok()) return st;
    if (st = entry.Prepare(db.get(), "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?)"); !st.ok()) return st;
    if (st = name.Prepare(db.get(), "INSERT INTO names VALUES (?, ?, ?, ?, ?, ?)"); !st.ok()) return st;
    std::vector<std::pair<std::string, std::string>> m = {
        {"format", kFormat}, {"format_version", std::to_string(kFormatVersion)}, {"normalizer", NormalizerVersion()}, {"created_at", Now()}};
    for (size_t i = 0; i < sources.size(); ++i) {
      std::string text;
      if (st = ReadWholeFile(sources[i], kMaxWholeFileBytes, &text); !st.ok()) return st;
      m.emplace_back(fmt::format("source.{}", i), fmt::format("{} sha256:{}", sources[i], Sha256Hex(text)));
    }
    for (const auto& [k, v] : m) {
      meta.BindText(1, k);
      meta.BindText(2, v);
      if (meta.Step() != SQLITE_DONE) return db.Error("writing the index");
      meta.Reset();
    }
    // The normalised form of each indexed name, by (list, entry, alias).
    std::map<std::tuple<uint32_t, uint32_t, uint32_t>, const ScreeningIndex::Name*> indexed;
    for (const ScreeningIndex::Name& n : index.names()) indexed[{n.list, n.entry, n.alias}] = &n;
    int64_t id = 0;
    for (uint32_t l = 0; l < index.lists().size(); ++l) {
      const WatchList& list = index.lists()[l];
      for (uint32_t e = 0; e < list.entries.size(); ++e) {
        const WatchEntry& x = list.entries[e];
        ++id;
        entry.BindInt(1, id);
        entry.BindText(2, list.list_id);
        entry.BindText(3, list.source);
        entry.BindText(4, x.entry_id);
        entry.BindText(5, x.entry_type);
        entry.BindText(6, x.country);
        entry.BindText(7, x.birth_date);
        entry.BindText(8, x.program);
        if (entry.Step() != SQLITE_DONE) return db.Error("writing the index");
        entry.Reset();
        for (uint32_t a = 0; a < x.names.size(); ++a) {
          auto it = indexed.find({l, e, a});
          std::string tokens;
          uint16_t steps = 0;
          if (it != indexed.end()) {  // names that normalise to nothing keep no tokens
            const uint32_t* t = index.name_tokens(*it->second);
            for (uint32_t k = 0; k < it->second->token_count; ++k) tokens += (k ? " " : "") + std::string(index.token(t[k]));
            steps = it->second->steps;
          }
          name.BindInt(1, id);
          name.BindInt(2, a);
          name.BindText(3, x.names[a].text);
          name.BindInt(4, static_cast<int64_t>(x.names[a].source));
          name.BindInt(5, steps);
          name.BindText(6, tokens);
          if (name.Step() != SQLITE_DONE) return db.Error("writing the index");
          name.Reset();
        }
      }
    }
    std::string hash;
    if (st = HashIndex(db, &hash); !st.ok()) return st;
    meta.BindText(1, "content_hash");
    meta.BindText(2, hash);
    if (meta.Step() != SQLITE_DONE) return db.Error("writing the index");
    if (st = db.Exec("COMMIT"); !st.ok()) return st;
  }
  return file.Commit();
}

Status LoadSavedLists(const std::string& path, std::vector<WatchList>* out) {
  SqliteDb db;
  Status st = db.Open(path, SQLITE_OPEN_READONLY);
  if (!st.ok()) return st;
  std::map<std::string, std::string> meta;
  {
    SqliteStmt q;
    if (q.Prepare(db.get(), "SELECT key, value FROM meta").ok()) {
      while (q.Step() == SQLITE_ROW) meta[q.Text(0)] = q.Text(1);
    }
  }
  if (meta["format"] != kFormat) return Status::InvalidArgument(fmt::format("{}: a SQLite file, but not a saved screening index", path));
  if (meta["format_version"] != std::to_string(kFormatVersion)) {
    return Status::InvalidArgument(fmt::format("{}: screening index format version {}; this decree reads version {}: save it again",
                                               path, meta["format_version"], kFormatVersion));
  }
  if (meta["normalizer"] != NormalizerVersion()) {
    return Status::InvalidArgument(fmt::format(
        "{}: built with {}, but this decree normalises with {}: names would compare differently; save it again "
        "(decree screen --list … --save-index {})",
        path, meta["normalizer"], NormalizerVersion(), path));
  }
  std::string hash;
  if (st = HashIndex(db, &hash); !st.ok()) return Status::Corruption(fmt::format("{}: {}", path, st.message()));
  if (meta["content_hash"].empty()) {
    return Status::Corruption(fmt::format("{}: the index has no content hash (saved by an older decree): save it again", path));
  }
  if (hash != meta["content_hash"]) {
    return Status::Corruption(fmt::format("{}: the index's content does not match its hash (sha256 {} recorded, {} now): it was "
                                          "modified after it was saved; save it again from the lists",
                                          path, meta["content_hash"], hash));
  }
  SqliteStmt q;
  if (st = q.Prepare(db.get(),
                     "SELECT e.id, e.list_id, e.source, e.entry_id, e.entry_type, e.country, e.birth_date, e.program, "
                     "n.text, n.source, n.steps, n.tokens FROM entries e JOIN names n ON n.entry = e.id "
                     "ORDER BY e.id, n.position");
      !st.ok()) {
    return st;
  }
  const size_t first = out->size();
  int64_t last_entry = -1;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    const std::string list_id = q.Text(1);
    if (q.Int(0) != last_entry) {
      if (out->size() == first || out->back().list_id != list_id) {
        out->emplace_back();
        out->back().list_id = list_id;
        out->back().source = fmt::format("{} (saved from {})", path, q.Text(2));
      }
      WatchEntry e;
      e.entry_id = q.Text(3);
      e.entry_type = q.Text(4);
      e.country = q.Text(5);
      e.birth_date = q.Text(6);
      e.program = q.Text(7);
      out->back().entries.push_back(std::move(e));
      last_entry = q.Int(0);
    }
    ListName n;
    n.text = q.Text(8);
    int64_t source = q.Int(9);
    if (source < 0 || source > static_cast<int64_t>(NameSource::kCommercialCode)) {
      return Status::Corruption(fmt::format("{}: entry {}: unknown name source {}", path, q.Text(3), source));
    }
    n.source = static_cast<NameSource>(source);
    n.normalized = true;
    n.steps = static_cast<uint16_t>(q.Int(10));
    const std::string tokens = q.Text(11);
    for (size_t p = 0, s; p < tokens.size(); p = s + 1) {
      s = tokens.find(' ', p);
      if (s == std::string::npos) s = tokens.size();
      if (s > p) n.tokens.push_back(tokens.substr(p, s - p));
    }
    out->back().entries.back().names.push_back(std::move(n));
  }
  if (rc != SQLITE_DONE) return db.Error(path);
  return Status::Ok();
}

}  // namespace decree::screen
