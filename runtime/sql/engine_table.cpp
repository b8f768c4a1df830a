#include "sql/engine_table.h"

#include <fmt/format.h>

#include <map>

#include "common/codes.h"
#include "sql/clickhouse.h"
#include "sql/ddl.h"

namespace decree::sql {

namespace {

std::string Quoted(const std::string& name) { return "`" + name + "`"; }

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= text.size()) {
    size_t e = text.find(sep, at);
    if (e == std::string::npos) e = text.size();
    if (e > at || sep != '\n') out.push_back(text.substr(at, e - at));
    at = e + 1;
  }
  return out;
}

std::string List(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + ChString(v);
  return "(" + out + ")";
}

std::vector<std::string> Countries() {
  std::vector<std::string> out;
  for (char a = 'A'; a <= 'Z'; ++a) {
    for (char b = 'A'; b <= 'Z'; ++b) {
      std::string c{a, b};
      if (IsCountryCode(c)) out.push_back(c);
    }
  }
  return out;
}

// Every currency code, and each one's minor units, as ClickHouse arrays.
void Currencies(std::string* codes, std::string* minors) {
  std::vector<std::string> c, m;
  for (int i = 0; i < CurrencyCount(); ++i) {
    c.push_back(ChString(std::string(CurrencyCode(static_cast<CurrencyId>(i)))));
    m.push_back(std::to_string(CurrencyMinorUnits(static_cast<CurrencyId>(i))));
  }
  *codes = fmt::format("[{}]", fmt::join(c, ", "));
  *minors = fmt::format("[{}]", fmt::join(m, ", "));
}

// The column's text as the native reader would see it in a CSV ('' for null), from its type in
// the table: Decimals without trailing zeros ("100.0000" is 100, as a CSV would give it).
std::string Text(const std::string& col, const std::string& type) {
  std::string base = type.rfind("Nullable(", 0) == 0 ? type.substr(9, type.size() - 10) : type;
  std::string t = Quoted(col);
  if (base.rfind("Decimal", 0) == 0) {
    t = fmt::format("replaceRegexpOne(replaceRegexpOne(toString({}), '0+$', ''), '\\\\.$', '')", t);
  } else if (base != "String") {
    t = fmt::format("toString({})", t);
  }
  return fmt::format("ifNull({}, '')", t);
}

// True for a text the native reader may reject as a value of `f` (a superset of its checks).
std::string Suspect(const ir::Program& program, const ir::Field& f, const std::string& t, const std::string& cur) {
  using ir::TypeKind;
  const TypeKind k = f.type.kind;
  std::vector<std::string> any;
  if (k != TypeKind::kText && !f.type.optional) any.push_back(fmt::format("{} = ''", t));
  std::string v = fmt::format("{} != ''", t);  // checks below apply to a value
  auto add = [&](const std::string& c) { any.push_back(fmt::format("({} AND ({}))", v, c)); };
  switch (k) {
    case TypeKind::kText:
    case TypeKind::kId: add(fmt::format("convertCharset({0}, 'UTF-8', 'UTF-8') != {0}", t)); break;
    case TypeKind::kCountry: add(fmt::format("{} NOT IN {}", t, List(Countries()))); break;
    case TypeKind::kEnum: {
      std::vector<std::string> values;
      if (f.type.ref >= 0 && f.type.ref < static_cast<int>(program.enums.size())) values = program.enums[f.type.ref].values;
      add(values.empty() ? "1" : fmt::format("{} NOT IN {}", t, List(values)));
      break;
    }
    case TypeKind::kBool: add(fmt::format("{} NOT IN ('true', 'false')", t)); break;
    case TypeKind::kInteger:
    case TypeKind::kDuration: add(fmt::format("NOT match({}, '^[0-9]{{1,17}}$') OR NOT match({}, '[1-9]')", t, t)); break;
    case TypeKind::kDecimal:
    case TypeKind::kRate:
      add(fmt::format("NOT match({0}, '^[0-9]{{1,14}}(\\\\.[0-9]{{1,{1}}})?$') OR NOT match({0}, '[1-9]')", t, std::max<int>(f.type.scale, 1)));
      break;
    case TypeKind::kMoney: {
      std::string codes, minors;
      Currencies(&codes, &minors);
      add(fmt::format("NOT match({0}, '^[0-9]{{1,14}}(\\\\.[0-9]+)?$') OR NOT match({0}, '[1-9]') OR "
                      "length(extract({0}, '\\\\.([0-9]*)$')) > transform({1}, {2}, {3}, -1)",
                      t, cur.empty() ? "''" : cur, codes, minors));
      if (!cur.empty()) any.push_back(fmt::format("NOT has({}, {})", codes, cur));
      break;
    }
    case TypeKind::kCurrency: {
      std::string codes, minors;
      Currencies(&codes, &minors);
      add(fmt::format("NOT has({}, {})", codes, t));
      break;
    }
    case TypeKind::kDate:
      add(fmt::format("toString(toDateOrNull({0})) != {0} OR toYear(toDateOrNull({0})) < 1971 OR toYear(toDateOrNull({0})) > 2100", t));
      break;
    case TypeKind::kTimestamp:
      add(fmt::format("NOT match({0}, '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(Z|[+-][0-9]{{2}}:[0-9]{{2}})$') "
                      "OR toString(toDateOrNull(substring({0}, 1, 10))) != substring({0}, 1, 10) "
                      "OR toYear(toDateOrNull(substring({0}, 1, 10))) < 1971 OR toYear(toDateOrNull(substring({0}, 1, 10))) > 2100 "
                      "OR toUInt8OrZero(substring({0}, 12, 2)) > 23 OR toUInt8OrZero(substring({0}, 15, 2)) > 59 "
                      "OR toUInt8OrZero(substring({0}, 18, 2)) > 59 OR toUInt8OrZero(substring({0}, 21, 2)) > 14",
                      t));
      break;
    default: add("1");
  }
  return any.empty() ? "0" : fmt::format("({})", fmt::join(any, " OR "));
}

// "Distributed(cluster, db, local, key)" → its parts.
bool ParseDistributed(const std::string& engine_full, std::vector<std::string>* parts) {
  size_t open = engine_full.find('('), close = engine_full.rfind(')');
  if (engine_full.rfind("Distributed(", 0) != 0 || close == std::string::npos) return false;
  std::string args = engine_full.substr(open + 1, close - open - 1);
  int depth = 0;
  std::string cur;
  for (char c : args) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts->push_back(cur);
      cur.clear();
    } else if (c != ' ' && c != '`' && c != '\'') {
      cur.push_back(c);
    }
  }
  parts->push_back(cur);
  return parts->size() >= 3;
}

}  // namespace

Status OpenTableInput(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const std::string& table,
                      TableInput* out) {
  out->name = table;
  if (table.empty() || table.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != std::string::npos) {
    return Status::InvalidArgument(fmt::format("--input-table '{}': a table name is letters, digits and _ (the URL names the database)", table));
  }
  std::string answer;
  Status st = session.initiator().Query(fmt::format("SELECT name, type FROM system.columns WHERE database = {} AND table = {} FORMAT TabSeparated",
                                                    ChString(session.database()), ChString(table)),
                                        &answer);
  if (!st.ok()) return st;
  std::map<std::string, std::string> types;
  for (const std::string& line : Split(answer, '\n')) {
    std::vector<std::string> v = SplitTsv(line);
    if (v.size() == 2) types[v[0]] = v[1];
  }
  if (types.empty()) return Status::InvalidArgument(fmt::format("--input-table: no table {}.{} in the engine", session.database(), table));
  std::map<std::string, const ir::Field*> field_of, currency_of;
  for (const ir::Field& f : layout.fields) {
    field_of.emplace(f.column, &f);
    if (!f.currency_column.empty()) currency_of.emplace(f.currency_column, &f);
  }
  std::vector<std::string> records, typed, suspects;
  for (const SqlColumn& c : InputColumns(layout, SqlDialect::kClickHouse)) {
    auto it = types.find(c.name);
    if (it == types.end()) return Status::InvalidArgument(fmt::format("--input-table {}: no column {}", table, c.name));
    const std::string& have = it->second;
    std::string base = c.type.rfind("Nullable(", 0) == 0 ? c.type.substr(9, c.type.size() - 10) : c.type;
    bool as_ddl = have == base || have == "Nullable(" + base + ")";
    bool as_text = have == "String" || have == "Nullable(String)";
    if (!as_ddl && !as_text) {
      return Status::InvalidArgument(fmt::format("--input-table {}: column {} is {}; expected {} (as decree sql --ddl prints it) or String",
                                                 table, c.name, have, c.type));
    }
    const std::string text = Text(c.name, have);
    records.push_back(fmt::format("concat('\"', replaceAll({}, '\"', '\"\"'), '\"')", text));
    out->header += (out->header.empty() ? "" : ",") + c.name;
    // The rules read the --ddl types: a String column is cast (after the checks, so it parses).
    if (as_ddl || base == "String") {
      typed.push_back(Quoted(c.name));
    } else if (c.optional) {
      typed.push_back(fmt::format("CAST(NULLIF({}, '') AS {}) AS {}", Quoted(c.name), c.type, Quoted(c.name)));
    } else {
      typed.push_back(fmt::format("CAST({} AS {}) AS {}", Quoted(c.name), c.type, Quoted(c.name)));
    }
    if (auto f = field_of.find(c.name); f != field_of.end()) {
      std::string cur;
      if (!f->second->currency_column.empty()) cur = Text(f->second->currency_column, types[f->second->currency_column]);
      suspects.push_back(Suspect(program, *f->second, text, cur));
    } else if (currency_of.find(c.name) == currency_of.end()) {
      return Status::Internal("a column of no field: " + c.name);
    }
  }
  out->header += "\n";
  out->record = fmt::format("arrayStringConcat([{}], ',')", fmt::join(records, ", "));
  out->typed = fmt::format("{}", fmt::join(typed, ", "));
  out->suspect = fmt::format("({})", fmt::join(suspects, " OR "));
  out->id = Quoted(layout.fields[layout.id_field].column);
  st = session.initiator().Query(fmt::format("SELECT engine_full FROM system.tables WHERE database = {} AND name = {} FORMAT TabSeparated",
                                             ChString(session.database()), ChString(table)),
                                 &answer);
  if (!st.ok()) return st;
  std::vector<std::string> parts;
  if (session.distributed() && ParseDistributed(SplitTsv(Split(answer, '\n').empty() ? "" : Split(answer, '\n')[0])[0], &parts)) {
    out->local = parts[2];
    int k = ir::SharedKeyField(program, layout.name);
    out->shard_local = parts[0] == session.cluster() && parts[1] == session.database() && (k == ir::kNoGroupedRules ||
                                                         (k >= 0 && parts.size() == 4 && parts[3] == "cityHash64(" + layout.fields[k].column + ")"));
  }
  st = session.initiator().Query(fmt::format("SELECT count() FROM {} FORMAT TabSeparated", Quoted(table)), &answer);
  if (!st.ok()) return st;
  out->rows = std::strtoull(answer.c_str(), nullptr, 10);
  return Status::Ok();
}

}  // namespace decree::sql
