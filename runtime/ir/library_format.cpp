#include "ir/library_format.h"

#include <unistd.h>

#include <cstdio>
#include <fmt/format.h>

#include <filesystem>

#include "decree/atomic_file.h"
#include "common/civil.h"
#include "common/codes.h"
#include "ir/ir_codec.h"
#include "decree/sha256.h"
#include "common/sqlite_util.h"
#include "decree/json.h"

namespace decree::ir {

namespace {

struct TableSpec {
  const char* name;
  const char* columns;  // DDL column list
  const char* order_by; // primary key: the order rows are hashed and read in
  int since = 1;        // the format version that added the table
};

// The schema, in hashing order.  Changing anything here is a format change: bump
// kLibraryFormatVersion and document it in docs/library-format.md.
constexpr TableSpec kTables[] = {
    {"rulesets",
     "id TEXT NOT NULL PRIMARY KEY, is_module INTEGER NOT NULL, title TEXT NOT NULL, source TEXT NOT NULL, "
     "version TEXT NOT NULL, effective_from TEXT, effective_until TEXT, timezone TEXT NOT NULL, "
     "home_currency TEXT, file TEXT NOT NULL",
     "id"},
    {"enums", "enum_id INTEGER NOT NULL, code INTEGER NOT NULL, value TEXT NOT NULL, PRIMARY KEY(enum_id, code)",
     "enum_id, code"},
    {"layouts",
     "name TEXT NOT NULL PRIMARY KEY, module TEXT NOT NULL, format TEXT NOT NULL, id_field TEXT, time_field TEXT, "
     "file TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL, record TEXT",
     "name"},
    {"layout_fields",
     "layout TEXT NOT NULL, ordinal INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL, "
     "column_name TEXT NOT NULL, currency_column TEXT, positive INTEGER NOT NULL, PRIMARY KEY(layout, ordinal)",
     "layout, ordinal"},
    {"tables",
     "name TEXT NOT NULL PRIMARY KEY, module TEXT NOT NULL, format TEXT NOT NULL, file TEXT NOT NULL, "
     "line INTEGER NOT NULL, col INTEGER NOT NULL",
     "name"},
    {"table_columns",
     "table_name TEXT NOT NULL, ordinal INTEGER NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL, "
     "type TEXT NOT NULL, column_name TEXT NOT NULL, currency_column TEXT, positive INTEGER NOT NULL, "
     "PRIMARY KEY(table_name, ordinal)",
     "table_name, ordinal"},
    {"constants", "name TEXT NOT NULL PRIMARY KEY, type TEXT NOT NULL, value TEXT NOT NULL", "name"},
    {"rules",
     "id TEXT NOT NULL, version INTEGER NOT NULL, ordinal INTEGER NOT NULL, ruleset TEXT NOT NULL, "
     "name TEXT NOT NULL, kind TEXT NOT NULL, citation TEXT NOT NULL, layout TEXT NOT NULL, "
     "effective_from TEXT, effective_until TEXT, file TEXT NOT NULL, line INTEGER NOT NULL, col INTEGER NOT NULL, "
     "end_line INTEGER NOT NULL, end_col INTEGER NOT NULL, source_text TEXT NOT NULL, verdicts TEXT NOT NULL, "
     "ir TEXT NOT NULL, rule_hash TEXT NOT NULL, PRIMARY KEY(id, version)",
     "id, version"},
    {"decisions",
     "id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, ruleset TEXT NOT NULL, citation TEXT NOT NULL, "
     "layout TEXT NOT NULL, exhaustive INTEGER NOT NULL, branches TEXT NOT NULL, file TEXT NOT NULL, "
     "line INTEGER NOT NULL, col INTEGER NOT NULL",
     "id"},
    {"tests",
     "ruleset TEXT NOT NULL, ordinal INTEGER NOT NULL, name TEXT NOT NULL, ir TEXT NOT NULL, "
     "PRIMARY KEY(ruleset, ordinal)",
     "ruleset, ordinal"},
    {"sources", "path TEXT NOT NULL PRIMARY KEY, sha256 TEXT NOT NULL, text TEXT NOT NULL", "path"},
    // Rows shipped with a table (`table t from csv "file.csv" …`): the file they were read from,
    // and each row as a JSON array of encoded values (keys then values).
    {"table_data", "table_name TEXT NOT NULL PRIMARY KEY, file TEXT NOT NULL, sha256 TEXT NOT NULL", "table_name", 3},
    {"table_rows", "table_name TEXT NOT NULL, ordinal INTEGER NOT NULL, row TEXT NOT NULL, PRIMARY KEY(table_name, ordinal)",
     "table_name, ordinal", 3},
};

void BindDate(SqliteStmt* s, int i, int32_t d) {
  if (d == kNoDate) {
    s->BindNull(i);
  } else {
    s->BindText(i, FormatDate(d));
  }
}

bool ReadDate(const SqliteStmt& s, int i, int32_t* out) {
  if (s.IsNull(i)) {
    *out = kNoDate;
    return true;
  }
  return ParseDate(s.Text(i), out);
}

void BindOptText(SqliteStmt* s, int i, const std::string& v) {
  if (v.empty()) {
    s->BindNull(i);
  } else {
    s->BindText(i, v);
  }
}

std::string VerdictSummary(const Rule& r) {
  std::string out;
  for (const Verdict& v : r.verdicts) {
    if (!out.empty()) out += " and ";
    out += VerdictKindName(v.kind);
    if (!v.name.empty()) out += " " + v.name;
    if (v.kind == VerdictKind::kClassify) out += " as " + v.value;
    if (v.within >= 0) out += fmt::format(" within {} {}days", v.within, v.business ? "business " : "");
  }
  return out;
}

Status StepDone(SqliteDb& db, SqliteStmt& s, const char* what) {
  if (s.Step() != SQLITE_DONE) return db.Error(what);
  s.Reset();
  return Status::Ok();
}

Status InsertFields(SqliteDb& db, const char* sql, const std::string& owner, const std::vector<Field>& fields,
                    int ordinal_base, const char* role) {
  SqliteStmt s;
  Status st = s.Prepare(db.get(), sql);
  if (!st.ok()) return st;
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    int c = 1;
    s.BindText(c++, owner);
    s.BindInt(c++, ordinal_base + static_cast<int>(i));
    if (role != nullptr) s.BindText(c++, role);
    s.BindText(c++, f.name);
    s.BindText(c++, TypeToString(f.type));
    s.BindText(c++, f.column);
    BindOptText(&s, c++, f.currency_column);
    s.BindInt(c++, f.positive ? 1 : 0);
    st = StepDone(db, s, "writing fields");
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status WriteTableRows(SqliteDb& db, const Program& p) {
  SqliteStmt data, rows;
  Status st = data.Prepare(db.get(), "INSERT INTO table_data VALUES(?,?,?)");
  if (st.ok()) st = rows.Prepare(db.get(), "INSERT INTO table_rows VALUES(?,?,?)");
  if (!st.ok()) return st;
  for (const TableDecl& t : p.tables) {
    if (t.data_file.empty()) continue;
    data.BindText(1, t.name);
    data.BindText(2, t.data_file);
    data.BindText(3, t.data_sha256);
    if (!(st = StepDone(db, data, "writing table_data")).ok()) return st;
    for (size_t i = 0; i < t.rows.size(); ++i) {
      std::string row;
      JsonWriter j(&row);
      j.BeginArray();
      for (const Value& v : t.rows[i]) j.String(EncodeValue(v));
      j.EndArray();
      rows.BindText(1, t.name);
      rows.BindInt(2, static_cast<int64_t>(i));
      rows.BindText(3, row);
      if (!(st = StepDone(db, rows, "writing table_rows")).ok()) return st;
    }
  }
  return Status::Ok();
}

Status ReadTableRows(sqlite3* db, Program* p) {
  SqliteStmt s;
  Status st = s.Prepare(db, "SELECT table_name, file, sha256 FROM table_data ORDER BY table_name");
  if (!st.ok()) return st;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    TableDecl* t = nullptr;
    for (TableDecl& x : p->tables) {
      if (x.name == s.Text(0)) t = &x;
    }
    if (t == nullptr) return Status::Corruption("table_data names an unknown table " + s.Text(0));
    t->data_file = s.Text(1);
    t->data_sha256 = s.Text(2);
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));
  if (!(st = s.Prepare(db, "SELECT table_name, ordinal, row FROM table_rows ORDER BY table_name, ordinal")).ok()) return st;
  while ((rc = s.Step()) == SQLITE_ROW) {
    TableDecl* t = nullptr;
    for (TableDecl& x : p->tables) {
      if (x.name == s.Text(0)) t = &x;
    }
    if (t == nullptr || t->data_file.empty()) return Status::Corruption("table_rows names a table without data: " + s.Text(0));
    JsonValue doc;
    size_t off;
    std::string err;
    if (!ParseJson(s.Text(2), &doc, &off, &err) || doc.items.size() != t->keys.size() + t->values.size()) {
      return Status::Corruption(fmt::format("bad row {} of table {}", s.Int(1), t->name));
    }
    std::vector<Value> row;
    for (const JsonValue& v : doc.items) {
      Value value;
      if (!DecodeValue(v.text, &value)) return Status::Corruption(fmt::format("bad value in row {} of table {}", s.Int(1), t->name));
      row.push_back(std::move(value));
    }
    t->rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));
  return Status::Ok();
}

Status WriteContent(SqliteDb& db, const Program& p) {
  std::string ddl;
  ddl += "CREATE TABLE decree_meta(key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL);\n";
  for (const TableSpec& t : kTables) ddl += fmt::format("CREATE TABLE {}({});\n", t.name, t.columns);
  Status st = db.Exec(ddl);
  if (!st.ok()) return st;

  SqliteStmt s;
  st = s.Prepare(db.get(), "INSERT INTO rulesets VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!st.ok()) return st;
  for (const RulesetInfo& r : p.rulesets) {
    s.BindText(1, r.id);
    s.BindInt(2, r.is_module);
    s.BindText(3, r.title);
    s.BindText(4, r.source);
    s.BindText(5, r.version);
    BindDate(&s, 6, r.effective_from);
    BindDate(&s, 7, r.effective_until);
    s.BindText(8, r.timezone);
    if (r.home_currency >= 0) {
      s.BindText(9, CurrencyCode(static_cast<CurrencyId>(r.home_currency)));
    } else {
      s.BindNull(9);
    }
    s.BindText(10, r.file);
    if (!(st = StepDone(db, s, "writing rulesets")).ok()) return st;
  }

  if (!(st = s.Prepare(db.get(), "INSERT INTO enums VALUES(?,?,?)")).ok()) return st;
  for (size_t e = 0; e < p.enums.size(); ++e) {
    for (size_t c = 0; c < p.enums[e].values.size(); ++c) {
      s.BindInt(1, static_cast<int64_t>(e));
      s.BindInt(2, static_cast<int64_t>(c));
      s.BindText(3, p.enums[e].values[c]);
      if (!(st = StepDone(db, s, "writing enums")).ok()) return st;
    }
  }

  if (!(st = s.Prepare(db.get(), "INSERT INTO layouts VALUES(?,?,?,?,?,?,?,?,?)")).ok()) return st;
  for (const Layout& l : p.layouts) {
    s.BindText(1, l.name);
    s.BindText(2, l.module);
    s.BindText(3, l.format);
    BindOptText(&s, 4, l.id_field >= 0 ? l.fields[l.id_field].name : "");
    BindOptText(&s, 5, l.time_field >= 0 ? l.fields[l.time_field].name : "");
    s.BindText(6, l.loc.file);
    s.BindInt(7, l.loc.line);
    s.BindInt(8, l.loc.col);
    BindOptText(&s, 9, l.record);
    if (!(st = StepDone(db, s, "writing layouts")).ok()) return st;
    st = InsertFields(db, "INSERT INTO layout_fields VALUES(?,?,?,?,?,?,?)", l.name, l.fields, 0, nullptr);
    if (!st.ok()) return st;
  }

  if (!(st = s.Prepare(db.get(), "INSERT INTO tables VALUES(?,?,?,?,?,?)")).ok()) return st;
  for (const TableDecl& t : p.tables) {
    s.BindText(1, t.name);
    s.BindText(2, t.module);
    s.BindText(3, t.format);
    s.BindText(4, t.loc.file);
    s.BindInt(5, t.loc.line);
    s.BindInt(6, t.loc.col);
    if (!(st = StepDone(db, s, "writing tables")).ok()) return st;
    const char* sql = "INSERT INTO table_columns VALUES(?,?,?,?,?,?,?,?)";
    if (!(st = InsertFields(db, sql, t.name, t.keys, 0, "key")).ok()) return st;
    if (!(st = InsertFields(db, sql, t.name, t.values, static_cast<int>(t.keys.size()), "value")).ok()) return st;
  }
  if (!(st = WriteTableRows(db, p)).ok()) return st;

  if (!(st = s.Prepare(db.get(), "INSERT INTO constants VALUES(?,?,?)")).ok()) return st;
  for (const Constant& c : p.constants) {
    s.BindText(1, c.name);
    s.BindText(2, TypeToString(c.type));
    s.BindText(3, EncodeValue(c.value));
    if (!(st = StepDone(db, s, "writing constants")).ok()) return st;
  }

  if (!(st = s.Prepare(db.get(), "INSERT INTO rules VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")).ok()) return st;
  for (size_t i = 0; i < p.rules.size(); ++i) {
    const Rule& r = p.rules[i];
    s.BindText(1, r.id);
    s.BindInt(2, r.version);
    s.BindInt(3, static_cast<int64_t>(i));
    s.BindText(4, r.ruleset);
    s.BindText(5, r.name);
    s.BindText(6, RuleKindName(r.kind));
    s.BindText(7, r.citation);
    s.BindText(8, r.layout);
    BindDate(&s, 9, r.effective_from);
    BindDate(&s, 10, r.effective_until);
    s.BindText(11, r.loc.file);
    s.BindInt(12, r.loc.line);
    s.BindInt(13, r.loc.col);
    s.BindInt(14, r.loc.end_line);
    s.BindInt(15, r.loc.end_col);
    s.BindText(16, r.source_text);
    s.BindText(17, VerdictSummary(r));
    s.BindText(18, EncodeRuleBody(r));
    s.BindText(19, r.hash);
    if (!(st = StepDone(db, s, "writing rules")).ok()) return st;
  }

  if (!(st = s.Prepare(db.get(), "INSERT INTO decisions VALUES(?,?,?,?,?,?,?,?,?,?)")).ok()) return st;
  for (const Decision& d : p.decisions) {
    SExpr branches = SExpr::List();
    for (const std::string& b : d.branches) branches.Add(SExpr::Str(b));
    s.BindText(1, d.id);
    s.BindText(2, d.name);
    s.BindText(3, d.ruleset);
    s.BindText(4, d.citation);
    s.BindText(5, d.layout);
    s.BindInt(6, d.exhaustive);
    s.BindText(7, PrintSExpr(branches));
    s.BindText(8, d.loc.file);
    s.BindInt(9, d.loc.line);
    s.BindInt(10, d.loc.col);
    if (!(st = StepDone(db, s, "writing decisions")).ok()) return st;
  }

  if (!(st = s.Prepare(db.get(), "INSERT INTO tests VALUES(?,?,?,?)")).ok()) return st;
  for (size_t i = 0; i < p.tests.size(); ++i) {
    s.BindText(1, p.tests[i].ruleset);
    s.BindInt(2, static_cast<int64_t>(i));
    s.BindText(3, p.tests[i].name);
    s.BindText(4, EncodeTest(p.tests[i]));
    if (!(st = StepDone(db, s, "writing tests")).ok()) return st;
  }

  if (!(st = s.Prepare(db.get(), "INSERT INTO sources VALUES(?,?,?)")).ok()) return st;
  for (const SourceFile& f : p.sources) {
    s.BindText(1, f.path);
    s.BindText(2, f.sha256);
    s.BindText(3, f.text);
    if (!(st = StepDone(db, s, "writing sources")).ok()) return st;
  }
  return Status::Ok();
}

Status Corrupt(const std::string& path, const std::string& what) {
  return Status::Corruption(fmt::format("{}: {}", path, what));
}

Status ReadFields(sqlite3* db, const std::string& sql, const std::string& owner, std::vector<Field>* keys,
                  std::vector<Field>* values) {
  SqliteStmt s;
  Status st = s.Prepare(db, sql);
  if (!st.ok()) return st;
  s.BindText(1, owner);
  int rc;
  bool has_role = values != nullptr;
  while ((rc = s.Step()) == SQLITE_ROW) {
    int c = 0;
    std::string role = has_role ? s.Text(c++) : "key";
    Field f;
    f.name = s.Text(c++);
    if (!ParseType(s.Text(c++), &f.type)) return Status::Corruption("bad field type for " + owner + "." + f.name);
    f.column = s.Text(c++);
    f.currency_column = s.Text(c++);
    f.positive = s.Int(c++) != 0;
    if (role == "key") {
      keys->push_back(std::move(f));
    } else if (role == "value") {
      values->push_back(std::move(f));
    } else {
      return Status::Corruption("bad column role for " + owner);
    }
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));
  return Status::Ok();
}

// The declarations: rulesets, enums, layouts, tables (with their shipped rows).
Status ReadDeclarations(sqlite3* db, int format_version, Program* p) {
  SqliteStmt s;
  Status st = s.Prepare(db, "SELECT id, is_module, title, source, version, effective_from, effective_until, "
                            "timezone, home_currency, file FROM rulesets ORDER BY id");
  if (!st.ok()) return st;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    RulesetInfo r;
    r.id = s.Text(0);
    r.is_module = s.Int(1) != 0;
    r.title = s.Text(2);
    r.source = s.Text(3);
    r.version = s.Text(4);
    if (!ReadDate(s, 5, &r.effective_from) || !ReadDate(s, 6, &r.effective_until)) {
      return Status::Corruption("bad effective date in ruleset " + r.id);
    }
    r.timezone = s.Text(7);
    if (!s.IsNull(8)) {
      CurrencyId c = LookupCurrency(s.Text(8));
      if (c == kNoCurrency) return Status::Corruption("bad home currency in ruleset " + r.id);
      r.home_currency = c;
    }
    r.file = s.Text(9);
    p->rulesets.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));

  if (!(st = s.Prepare(db, "SELECT enum_id, code, value FROM enums ORDER BY enum_id, code")).ok()) return st;
  while ((rc = s.Step()) == SQLITE_ROW) {
    int64_t id = s.Int(0), code = s.Int(1);
    if (id != static_cast<int64_t>(p->enums.size()) && id != static_cast<int64_t>(p->enums.size()) - 1) {
      return Status::Corruption("enum ids are not dense");
    }
    if (id == static_cast<int64_t>(p->enums.size())) p->enums.emplace_back();
    if (code != static_cast<int64_t>(p->enums.back().values.size())) return Status::Corruption("enum codes are not dense");
    p->enums.back().values.push_back(s.Text(2));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));

  if (!(st = s.Prepare(db, format_version >= 2 ? "SELECT name, module, format, id_field, time_field, file, line, col, record FROM layouts ORDER BY name"
                                                 : "SELECT name, module, format, id_field, time_field, file, line, col, NULL FROM layouts ORDER BY name")).ok()) {
    return st;
  }
  while ((rc = s.Step()) == SQLITE_ROW) {
    Layout l;
    l.name = s.Text(0);
    l.module = s.Text(1);
    l.format = s.Text(2);
    std::string id_field = s.Text(3), time_field = s.Text(4);
    l.loc.file = s.Text(5);
    l.loc.line = static_cast<int>(s.Int(6));
    l.loc.col = static_cast<int>(s.Int(7));
    l.record = s.IsNull(8) ? "" : s.Text(8);
    st = ReadFields(db, "SELECT name, type, column_name, currency_column, positive FROM layout_fields "
                        "WHERE layout = ? ORDER BY ordinal",
                    l.name, &l.fields, nullptr);
    if (!st.ok()) return st;
    l.id_field = id_field.empty() ? -1 : l.FieldIndex(id_field);
    l.time_field = time_field.empty() ? -1 : l.FieldIndex(time_field);
    if ((!id_field.empty() && l.id_field < 0) || (!time_field.empty() && l.time_field < 0)) {
      return Status::Corruption("layout " + l.name + " names a missing id or time field");
    }
    p->layouts.push_back(std::move(l));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));

  if (!(st = s.Prepare(db, "SELECT name, module, format, file, line, col FROM tables ORDER BY name")).ok()) return st;
  while ((rc = s.Step()) == SQLITE_ROW) {
    TableDecl t;
    t.name = s.Text(0);
    t.module = s.Text(1);
    t.format = s.Text(2);
    t.loc.file = s.Text(3);
    t.loc.line = static_cast<int>(s.Int(4));
    t.loc.col = static_cast<int>(s.Int(5));
    st = ReadFields(db, "SELECT role, name, type, column_name, currency_column, positive FROM table_columns "
                        "WHERE table_name = ? ORDER BY ordinal",
                    t.name, &t.keys, &t.values);
    if (!st.ok()) return st;
    if (t.keys.empty()) return Status::Corruption("table " + t.name + " has no key");
    p->tables.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));
  if (format_version >= 3 && !(st = ReadTableRows(db, p)).ok()) return st;
  return Status::Ok();
}

Status ReadContent(sqlite3* db, int format_version, Program* p) {
  Status st = ReadDeclarations(db, format_version, p);
  if (!st.ok()) return st;
  SqliteStmt s;
  int rc;
  if (!(st = s.Prepare(db, "SELECT name, type, value FROM constants ORDER BY name")).ok()) return st;
  while ((rc = s.Step()) == SQLITE_ROW) {
    Constant c;
    c.name = s.Text(0);
    if (!ParseType(s.Text(1), &c.type) || !DecodeValue(s.Text(2), &c.value)) {
      return Status::Corruption("bad constant " + c.name);
    }
    p->constants.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));

  if (!(st = s.Prepare(db, "SELECT id, version, ruleset, name, citation, layout, effective_from, effective_until, "
                           "file, line, col, end_line, end_col, source_text, ir, rule_hash FROM rules "
                           "ORDER BY ordinal")).ok()) {
    return st;
  }
  while ((rc = s.Step()) == SQLITE_ROW) {
    Rule r;
    r.id = s.Text(0);
    r.version = static_cast<int>(s.Int(1));
    r.ruleset = s.Text(2);
    r.name = s.Text(3);
    r.citation = s.Text(4);
    std::string layout = s.Text(5);
    if (!ReadDate(s, 6, &r.effective_from) || !ReadDate(s, 7, &r.effective_until)) {
      return Status::Corruption("bad effective date in rule " + r.id);
    }
    r.loc.file = s.Text(8);
    r.loc.line = static_cast<int>(s.Int(9));
    r.loc.col = static_cast<int>(s.Int(10));
    r.loc.end_line = static_cast<int>(s.Int(11));
    r.loc.end_col = static_cast<int>(s.Int(12));
    r.source_text = s.Text(13);
    st = DecodeRuleBody(s.Text(14), &r);
    if (!st.ok()) return Status::Corruption("rule " + r.id + ": " + st.message());
    if (r.layout != layout) return Status::Corruption("rule " + r.id + ": layout column disagrees with its IR");
    r.hash = s.Text(15);
    p->rules.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));

  if (!(st = s.Prepare(db, "SELECT id, name, ruleset, citation, layout, exhaustive, branches, file, line, col "
                           "FROM decisions ORDER BY id")).ok()) {
    return st;
  }
  while ((rc = s.Step()) == SQLITE_ROW) {
    Decision d;
    d.id = s.Text(0);
    d.name = s.Text(1);
    d.ruleset = s.Text(2);
    d.citation = s.Text(3);
    d.layout = s.Text(4);
    d.exhaustive = s.Int(5) != 0;
    SExpr b;
    std::string err;
    if (!ParseSExpr(s.Text(6), &b, &err) || !b.is_list()) return Status::Corruption("decision " + d.id + ": " + err);
    for (const SExpr& x : b.items) {
      if (x.kind != SExpr::Kind::kString) return Status::Corruption("decision " + d.id + ": bad branch list");
      d.branches.push_back(x.text);
    }
    d.loc.file = s.Text(7);
    d.loc.line = static_cast<int>(s.Int(8));
    d.loc.col = static_cast<int>(s.Int(9));
    p->decisions.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));

  if (!(st = s.Prepare(db, "SELECT ruleset, ir FROM tests ORDER BY ruleset, ordinal")).ok()) return st;
  while ((rc = s.Step()) == SQLITE_ROW) {
    Test t;
    t.ruleset = s.Text(0);
    st = DecodeTest(s.Text(1), &t);
    if (!st.ok()) return st;
    p->tests.push_back(std::move(t));
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));

  if (!(st = s.Prepare(db, "SELECT path, sha256, text FROM sources ORDER BY path")).ok()) return st;
  while ((rc = s.Step()) == SQLITE_ROW) {
    p->sources.push_back(SourceFile{s.Text(0), s.Text(1), s.Text(2)});
  }
  if (rc != SQLITE_DONE) return Status::Corruption(sqlite3_errmsg(db));

  for (const Rule& r : p->rules) {
    st = ValidateRule(*p, r);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace

Status ComputeContentHash(sqlite3* db, std::string* hex, int format_version) {
  Sha256 h;
  h.UpdateField(kLibraryFormatName);
  auto hash_query = [&](const std::string& table, const std::string& sql) -> Status {
    SqliteStmt s;
    Status st = s.Prepare(db, sql);
    if (!st.ok()) return Status::Corruption("table " + table + ": " + st.message());
    h.UpdateField(table);
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      h.Update("R", 1);
      for (int i = 0; i < s.ColumnCount(); ++i) {
        switch (sqlite3_column_type(s.get(), i)) {
          case SQLITE_NULL: h.Update("n", 1); break;
          case SQLITE_INTEGER:
            h.Update("i", 1);
            h.UpdateField(std::to_string(s.Int(i)));
            break;
          default: {
            h.Update("t", 1);
            const void* blob = sqlite3_column_blob(s.get(), i);
            int n = sqlite3_column_bytes(s.get(), i);
            h.UpdateField(std::string_view(static_cast<const char*>(blob), static_cast<size_t>(n)));
          }
        }
      }
    }
    if (rc != SQLITE_DONE) return Status::Corruption("table " + table + ": " + sqlite3_errmsg(db));
    return Status::Ok();
  };
  Status st = hash_query("decree_meta", "SELECT key, value FROM decree_meta WHERE key <> 'content_hash' ORDER BY key");
  if (!st.ok()) return st;
  for (const TableSpec& t : kTables) {
    if (t.since > format_version) continue;  // an older library has no such table
    st = hash_query(t.name, fmt::format("SELECT * FROM {} ORDER BY {}", t.name, t.order_by));
    if (!st.ok()) return st;
  }
  *hex = h.FinishHex();
  return Status::Ok();
}

Status CheckLibraryFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) return Status::Ok();
  SqliteDb db;
  std::string format;
  if (std::filesystem::is_regular_file(path, ec) && db.Open(path, SQLITE_OPEN_READONLY).ok()) {
    SqliteStmt q;
    if (q.Prepare(db.get(), "SELECT value FROM decree_meta WHERE key = 'format'").ok() && q.Step() == SQLITE_ROW) format = q.Text(0);
  }
  if (format == kLibraryFormatName) return Status::Ok();
  return Status::InvalidArgument(path + ": exists and is not a rule library: a library is written to a new file or over an "
                                        "older library, never over another file");
}

Status WriteLibrary(Program* program, const std::string& path, const std::string& generator,
                    std::string* content_hash) {
  for (Rule& r : program->rules) r.hash = ComputeRuleHash(*program, r);
  AtomicFile file;
  Status st = file.Reserve(path);
  if (!st.ok()) return st;
  {
    SqliteDb db;
    st = db.Open(file.temp_path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!st.ok()) return st;
    st = db.Exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;");
    if (st.ok()) st = WriteContent(db, *program);
    if (st.ok()) {
      SqliteStmt s;
      st = s.Prepare(db.get(), "INSERT INTO decree_meta VALUES(?,?)");
      const std::pair<const char*, std::string> meta[] = {
          {"format", kLibraryFormatName},
          {"format_version", std::to_string(kLibraryFormatVersion)},
          {"generator", generator},
          {"specification", "docs/library-format.md in the Decree repository"}};
      for (const auto& [k, v] : meta) {
        if (!st.ok()) break;
        s.BindText(1, k);
        s.BindText(2, v);
        st = StepDone(db, s, "writing decree_meta");
      }
      if (st.ok()) st = ComputeContentHash(db.get(), content_hash, kLibraryFormatVersion);
      if (st.ok()) {
        s.BindText(1, "content_hash");
        s.BindText(2, *content_hash);
        st = StepDone(db, s, "writing decree_meta");
      }
    }
    if (st.ok()) st = db.Exec("COMMIT;");
  }
  if (st.ok()) st = file.Commit();  // else the temporary file is removed
  return st;
}

Status ReadLibrary(const std::string& path, Program* program, LibraryInfo* info) {
  if (access(path.c_str(), R_OK) != 0) return Status::NotFound(path + ": cannot read the file");
  SqliteDb db;
  Status st = db.Open(path, SQLITE_OPEN_READONLY);
  if (!st.ok()) return st;
  SqliteStmt s;
  st = s.Prepare(db.get(), "SELECT key, value FROM decree_meta");
  if (!st.ok()) return Corrupt(path, "not a Decree rule library (" + st.message() + ")");
  std::string format, version, stored_hash;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    std::string k = s.Text(0);
    if (k == "format") format = s.Text(1);
    if (k == "format_version") version = s.Text(1);
    if (k == "generator") info->generator = s.Text(1);
    if (k == "content_hash") stored_hash = s.Text(1);
  }
  if (rc != SQLITE_DONE) return Corrupt(path, std::string("unreadable (") + sqlite3_errmsg(db.get()) + ")");
  if (format != kLibraryFormatName) return Corrupt(path, "not a Decree rule library (format is '" + format + "')");
  int v = 0;
  for (char c : version) {
    if (c < '0' || c > '9' || v > 100000) return Corrupt(path, "bad format version '" + version + "'");
    v = v * 10 + (c - '0');
  }
  if (version.empty()) return Corrupt(path, "missing format version");
  if (v > kLibraryFormatVersion) {
    return Status::NotSupported(fmt::format(
        "{}: library format version {} is newer than this decree reads ({}); upgrade decree", path, v,
        kLibraryFormatVersion));
  }
  info->format_version = v;
  std::string actual;
  st = ComputeContentHash(db.get(), &actual, v);
  if (!st.ok()) return Corrupt(path, st.message());
  if (actual != stored_hash) {
    return Corrupt(path, fmt::format("content hash mismatch: recorded {}, computed {} (the file was modified or damaged)",
                                     stored_hash.empty() ? "(none)" : stored_hash, actual));
  }
  info->content_hash = actual;
  st = ReadContent(db.get(), v, program);
  if (!st.ok()) return Corrupt(path, st.message());
  return Status::Ok();
}

}  // namespace decree::ir
