// decree sql: a library's tables as the DDL of a distributed SQL engine (docs/scale-out.md).
#include <fmt/format.h>

#include <cstdio>

#include "cli.h"
#include "compile_common.h"
#include "decree/library.h"
#include "decree/sql.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "sql",
    "decree sql [options] LIBRARY|PATH... --dialect clickhouse|duckdb [--ddl]",
    "Print a library's rules as SQL (ClickHouse or DuckDB), or with --ddl the tables they read.",
    "With --ddl, prints the input table of the layout the rules read, with the layout's column\n"
    "names (money as its amount and currency columns), and every table the library declares.\n"
    "For ClickHouse: a local MergeTree table to create on every shard, the Distributed table over\n"
    "them sharded by cityHash64 of the field every grouped rule keys on (customer_id in the\n"
    "canonical layout), and the declared tables to create and fill on every shard.  Timestamps\n"
    "and booleans are String in ClickHouse, as written in the CSV (18.16's DateTime has no\n"
    "fractions of a second, and it has no Bool); DuckDB gets TIMESTAMPTZ and BOOLEAN.\n\n"
    "Without --ddl, prints each rule as a SELECT over those tables, commented with its id and\n"
    "citation, giving one row (rule, key, txn_ids) per finding: row rules, `per` groups, sliding\n"
    "windows, decisions, lookups and conversions through a rate table, exemptions, `unless`,\n"
    "effective periods, `require` rules, matches() with a pattern ICU and RE2 read alike\n"
    "(docs/scale-out.md has the mapping).  A rule using anything else (screen(), overrides, path\n"
    "rules, matches() with `.` or `\\d`, …) is left out and named on standard error with the\n"
    "construct, and the exit status is 1.  Totals, due dates and explanations are not produced\n"
    "here: `decree run --engine clickhouse://…` runs these queries and writes the native\n"
    "findings.jsonl (docs/scale-out.md).\n\n"
    "Exit status: 0 printed; 1 compile errors, or rules that could not be lowered; 2 could not\n"
    "start (bad option, missing library, an unknown dialect).",
    {
        {"dialect", 0, "NAME", "clickhouse or duckdb (required)"},
        {"ddl", 0, "", "print the tables' CREATE TABLE statements"},
        {"layout", 0, "NAME", "the input's layout, when the library's rules read several"},
        {"database", 0, "NAME", "ClickHouse: the database the Distributed table reads (default: default)"},
        {"cluster", 0, "NAME", "ClickHouse: the cluster the Distributed table spans (default: decree)"},
        {"rule", 0, "ID", "only this rule (repeatable)", true},
    },
    {"decree sql rulesets/cn-pboc-lvtr --dialect clickhouse --ddl",
     "decree sql rulesets/cn-pboc-lvtr --dialect clickhouse -o lvtr.sql",
     "decree sql lvtr.dlib --dialect duckdb --ddl -o tables.sql",
     "decree sql lvtr.dlib --dialect duckdb -o lvtr.duckdb.sql"},
    1,
    -1,
};

int Sql(const Args& args) {
  SqlOptions options;
  if (!args.Has("dialect")) return UsageError("sql", "missing --dialect clickhouse|duckdb");
  if (Status st = ParseSqlDialect(args.Get("dialect"), &options.dialect); !st.ok()) return UsageError("sql", st.message());
  options.layout = args.Get("layout");
  options.database = args.Get("database", "default");
  options.cluster = args.Get("cluster", "decree");
  options.rules = args.GetAll("rule");
  std::unique_ptr<Library> lib;
  if (int code = OpenOrCompile("sql", args.positionals(), args.Color(stderr), &lib); code != 0) return code;
  std::string out;
  std::vector<std::string> refused;
  Status st = args.Has("ddl") ? SqlDdl(lib->program(), options, &out) : SqlRules(lib->program(), options, &out, &refused);
  if (!st.ok()) {
    fmt::print(stderr, "decree sql: {}\n", st.message());
    return kExitUsage;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  for (const std::string& r : refused) fmt::print(stderr, "decree sql: not lowered: {}\n", r);
  return refused.empty() ? kExitOk : kExitFailure;
}

}  // namespace

const Verb& SqlVerb() {
  static const Verb v{&kSpec, Sql};
  return v;
}

}  // namespace decree::cli
