#include "analysis/cache.h"

#include <fmt/format.h>

#include <filesystem>
#include <vector>
#include <sqlite3.h>

#include <cstdio>

#include "decree/json.h"
#include "ir/value.h"

namespace decree::analysis {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS decree_analysis_cache(key TEXT PRIMARY KEY, result INTEGER NOT NULL, witness TEXT)";

std::string EncodeWitness(const Witness& w) {
  std::string out;
  JsonWriter j(&out);
  j.BeginObject().Field("layout", w.layout).FieldBool("replayable", w.replayable).Field("not_replayable", w.not_replayable);
  j.Key("record").BeginArray();
  for (const ir::Value& v : w.record) j.String(ir::EncodeValue(v));
  j.EndArray();
  j.Key("group").BeginArray();
  for (const std::vector<ir::Value>& rec : w.group) {
    j.BeginArray();
    for (const ir::Value& v : rec) j.String(ir::EncodeValue(v));
    j.EndArray();
  }
  j.EndArray();
  j.Key("aggregates").BeginArray();
  for (const auto& [k, v] : w.aggregates) j.BeginArray().String(k).String(v).EndArray();
  j.EndArray();
  j.Key("tables").BeginArray();
  for (const TableRow& r : w.tables) {
    j.BeginObject().Field("table", r.table).Key("values").BeginArray();
    for (const ir::Value& v : r.values) j.String(ir::EncodeValue(v));
    j.EndArray().EndObject();
  }
  j.EndArray().EndObject();
  return out;
}

bool DecodeWitness(const std::string& text, Witness* w) {
  JsonValue doc;
  size_t off;
  std::string err;
  if (!ParseJson(text, &doc, &off, &err)) return false;
  const JsonValue* layout = doc.Get("layout");
  const JsonValue* replayable = doc.Get("replayable");
  const JsonValue* record = doc.Get("record");
  const JsonValue* aggs = doc.Get("aggregates");
  const JsonValue* tables = doc.Get("tables");
  if (layout == nullptr || replayable == nullptr || record == nullptr || aggs == nullptr || tables == nullptr) return false;
  w->layout = layout->text;
  w->replayable = replayable->b;
  if (const JsonValue* why = doc.Get("not_replayable")) w->not_replayable = why->text;
  for (const JsonValue& v : record->items) {
    ir::Value value;
    if (!ir::DecodeValue(v.text, &value)) return false;
    w->record.push_back(value);
  }
  if (const JsonValue* group = doc.Get("group")) {
    for (const JsonValue& rec : group->items) {
      std::vector<ir::Value> values;
      for (const JsonValue& v : rec.items) {
        ir::Value value;
        if (!ir::DecodeValue(v.text, &value)) return false;
        values.push_back(value);
      }
      w->group.push_back(std::move(values));
    }
  }
  for (const JsonValue& a : aggs->items) {
    if (a.items.size() != 2) return false;
    w->aggregates.emplace_back(a.items[0].text, a.items[1].text);
  }
  for (const JsonValue& t : tables->items) {
    TableRow row;
    const JsonValue* name = t.Get("table");
    const JsonValue* values = t.Get("values");
    if (name == nullptr || values == nullptr) return false;
    row.table = name->text;
    for (const JsonValue& v : values->items) {
      ir::Value value;
      if (!ir::DecodeValue(v.text, &value)) return false;
      row.values.push_back(value);
    }
    w->tables.push_back(std::move(row));
  }
  return true;
}

}  // namespace

namespace {

// An error unless `path` is absent, empty, or an analysis cache: the cache file is replaced
// when damaged, so it must never be some other file.
Status CheckCacheFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return Status::Ok();
  if (!std::filesystem::is_regular_file(path, ec)) return Status::InvalidArgument(path + ": not a regular file, so not an analysis cache");
  SqliteDb db;
  std::vector<std::string> tables;
  if (db.Open(path, SQLITE_OPEN_READONLY).ok()) {
    SqliteStmt t;
    if (t.Prepare(db.get(), "SELECT name FROM sqlite_master WHERE type = 'table'").ok()) {
      while (t.Step() == SQLITE_ROW) tables.push_back(t.Text(0));
      if (tables == std::vector<std::string>{"decree_analysis_cache"}) return Status::Ok();
    }
  }
  return Status::InvalidArgument(fmt::format(
      "{}: not an analysis cache ({}): the cache option needs a cache file of its own or a new one", path,
      tables.empty() ? "not a SQLite database the cache wrote" : fmt::format("a database with the tables {}", fmt::join(tables, ", "))));
}

}  // namespace

Status Cache::Open(const std::string& path) {
  if (Status c = CheckCacheFile(path); !c.ok()) return c;
  Status st = db_.Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (st.ok()) st = db_.Exec(kSchema);
  if (!st.ok()) {
    // Not a cache we can use (damaged, or some other database): start a new one.
    db_.Close();
    std::remove(path.c_str());
    st = db_.Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (st.ok()) st = db_.Exec(kSchema);
    if (!st.ok()) return Status::IoError(fmt::format("analysis cache {}: {}", path, st.message()));
  }
  db_.Exec("PRAGMA journal_mode=WAL");
  db_.Exec("PRAGMA synchronous=NORMAL");
  if (!get_.Prepare(db_.get(), "SELECT result, witness FROM decree_analysis_cache WHERE key = ?").ok() ||
      !put_.Prepare(db_.get(), "INSERT OR REPLACE INTO decree_analysis_cache VALUES(?, ?, ?)").ok()) {
    return db_.Error("analysis cache");
  }
  return Status::Ok();
}

bool Cache::Get(const std::string& key, int* result, bool* has_witness, Witness* witness) {
  get_.Reset();
  get_.BindText(1, key);
  if (get_.Step() != SQLITE_ROW) return false;
  *result = static_cast<int>(get_.Int(0));
  *has_witness = !get_.IsNull(1);
  if (*has_witness && !DecodeWitness(get_.Text(1), witness)) return false;
  return true;
}

void Cache::Put(const std::string& key, int result, bool has_witness, const Witness& witness) {
  put_.Reset();
  put_.BindText(1, key);
  put_.BindInt(2, result);
  if (has_witness) {
    put_.BindText(3, EncodeWitness(witness));
  } else {
    put_.BindNull(3);
  }
  put_.Step();
}

}  // namespace decree::analysis
