// decree::SqlDdl: a library's tables as ClickHouse or DuckDB DDL (decree/sql.h).
#include <fmt/format.h>

#include <set>

#include "decree/sql.h"
#include "sql/ddl.h"
#include "exec/run_source.h"
#include "ir/ir.h"

namespace decree {

namespace {

// The engine's type for a field of Decree type `t`.  Money is the amount (its currency is a
// column of its own).  ClickHouse 18.16 keeps timestamps as the input's ISO 8601 text (its
// DateTime has no fractions of a second) and booleans as their text (it has no Bool).
std::string SqlType(const ir::Type& t, SqlDialect d) {
  bool ch = d == SqlDialect::kClickHouse;
  std::string base;
  switch (t.kind) {
    case ir::TypeKind::kBool: base = ch ? "String" : "BOOLEAN"; break;
    case ir::TypeKind::kInteger: base = ch ? "Int64" : "BIGINT"; break;
    case ir::TypeKind::kDuration: base = ch ? "Int64" : "BIGINT"; break;  // microseconds
    case ir::TypeKind::kDecimal:
    case ir::TypeKind::kMoney:
    case ir::TypeKind::kRate: {
      int scale = t.scale > 0 ? t.scale : (t.kind == ir::TypeKind::kRate ? 10 : 6);
      base = ch ? fmt::format("Decimal(38, {})", scale) : fmt::format("DECIMAL(38, {})", scale);
      break;
    }
    case ir::TypeKind::kDate: base = ch ? "Date" : "DATE"; break;
    case ir::TypeKind::kTimestamp: base = ch ? "String" : "TIMESTAMPTZ"; break;
    default: base = ch ? "String" : "VARCHAR"; break;  // id, text, enum, country, currency
  }
  if (!t.optional) return base;
  return ch ? "Nullable(" + base + ")" : base;
}

}  // namespace

namespace sql {

std::string QuoteName(const std::string& name, SqlDialect d) {
  return d == SqlDialect::kClickHouse ? "`" + name + "`" : "\"" + name + "\"";
}

std::string CreateTableSql(const std::string& name, const std::vector<SqlColumn>& columns, const std::string& order_by, SqlDialect d) {
  std::string out = fmt::format("CREATE TABLE {} (\n", QuoteName(name, d));
  for (size_t i = 0; i < columns.size(); ++i) {
    out += fmt::format("  {} {}{}\n", QuoteName(columns[i].name, d), columns[i].type, i + 1 < columns.size() ? "," : "");
  }
  out += d == SqlDialect::kClickHouse ? fmt::format(") ENGINE = MergeTree ORDER BY {};\n", order_by) : ");\n";
  return out;
}

std::vector<SqlColumn> InputColumns(const ir::Layout& layout, SqlDialect d) {
  std::vector<SqlColumn> columns;
  std::set<std::string> seen;
  for (const ir::Field& f : layout.fields) {
    if (seen.insert(f.column).second) columns.push_back({f.column, SqlType(f.type, d), f.type.optional});
    if (!f.currency_column.empty() && seen.insert(f.currency_column).second) {
      ir::Type cur = ir::Type::Of(ir::TypeKind::kCurrency);
      cur.optional = f.type.optional;
      columns.push_back({f.currency_column, SqlType(cur, d), cur.optional});
    }
  }
  return columns;
}

std::vector<SqlColumn> DeclaredColumns(const ir::TableDecl& t, SqlDialect d, std::string* order_by) {
  std::vector<SqlColumn> cols;
  std::string keys;
  for (const ir::Field& f : t.keys) {
    cols.push_back({f.column.empty() ? f.name : f.column, SqlType(f.type, d), f.type.optional});
    keys += (keys.empty() ? "" : ", ") + QuoteName(cols.back().name, d);
  }
  for (const ir::Field& f : t.values) cols.push_back({f.column.empty() ? f.name : f.column, SqlType(f.type, d), f.type.optional});
  *order_by = keys.empty() ? "tuple()" : "(" + keys + ")";
  return cols;
}

}  // namespace sql

Status ParseSqlDialect(const std::string& name, SqlDialect* out) {
  if (name == "clickhouse") *out = SqlDialect::kClickHouse;
  else if (name == "duckdb") *out = SqlDialect::kDuckDb;
  else return Status::InvalidArgument(fmt::format("unknown SQL dialect '{}' (clickhouse or duckdb)", name));
  return Status::Ok();
}

Status SqlDdl(const ir::Program& program, const SqlOptions& options, std::string* out) {
  const ir::Layout* layout = nullptr;
  if (Status st = exec::SelectLayout(program, options.layout, &layout); !st.ok()) return st;
  const SqlDialect d = options.dialect;
  const bool ch = d == SqlDialect::kClickHouse;
  std::string name = layout->name.substr(layout->name.rfind('.') + 1);
  std::vector<sql::SqlColumn> columns = sql::InputColumns(*layout, d);
  std::string order_by = layout->id_field >= 0 ? sql::QuoteName(layout->fields[layout->id_field].column, d) : "tuple()";
  int shard = ir::SharedKeyField(program, layout->name);  // < 0: none
  std::string shard_key = shard >= 0 ? fmt::format("cityHash64({})", sql::QuoteName(layout->fields[shard].column, d)) : "rand()";
  *out += fmt::format("-- The input table of layout {} ({} columns, named as in the CSV).\n", layout->name, columns.size());
  if (ch) {
    *out += fmt::format("-- On every shard of cluster {}: the local table.\n", options.cluster);
    *out += sql::CreateTableSql(name + "_local", columns, order_by, d) + "\n";
    *out += fmt::format("-- Once: the Distributed table over them, sharded by {}{}.\n", shard_key,
                        shard >= 0 ? " (every grouped rule keys on it, so groups are shard-local)" : "");
    *out += fmt::format("CREATE TABLE {} AS {} ENGINE = Distributed({}, {}, {}, {});\n\n", sql::QuoteName(name, d), sql::QuoteName(name + "_local", d),
                        options.cluster, options.database, name + "_local", shard_key);
  } else {
    *out += sql::CreateTableSql(name, columns, order_by, d) + "\n";
  }
  for (const ir::TableDecl& t : program.tables) {
    std::string tname = t.name.substr(t.name.rfind('.') + 1);
    std::string keys;
    std::vector<sql::SqlColumn> cols = sql::DeclaredColumns(t, d, &keys);
    *out += fmt::format("-- Table {}{}.\n", t.name, ch ? ": on every shard, with the same rows" : "");
    *out += sql::CreateTableSql(tname, cols, keys, d) + "\n";
  }
  return Status::Ok();
}

}  // namespace decree
