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
    "decree sql [options] LIBRARY|PATH... --dialect clickhouse|duckdb --ddl",
    "Print the CREATE TABLE statements for a library's input and declared tables (ClickHouse or DuckDB).",
    "With --ddl, prints the input table of the layout the rules read, with the layout's column\n"
    "names (money as its amount and currency columns), and every table the library declares.\n"
    "For ClickHouse: a local MergeTree table to create on every shard, the Distributed table over\n"
    "them sharded by cityHash64 of the field every grouped rule keys on (customer_id in the\n"
    "canonical layout), and the declared tables to create and fill on every shard.  Timestamps\n"
    "and booleans are String in ClickHouse, as written in the CSV (18.16's DateTime has no\n"
    "fractions of a second, and it has no Bool).\n\n"
    "Printing the rules themselves as SQL (and running them with `decree run --engine`) is not\n"
    "built yet: without --ddl the verb says so and exits 2.\n\n"
    "Exit status: 0 printed; 1 compile errors; 2 could not start (bad option, missing library, no --ddl).",
    {
        {"dialect", 0, "NAME", "clickhouse or duckdb (required)"},
        {"ddl", 0, "", "print the tables' CREATE TABLE statements"},
        {"layout", 0, "NAME", "the input's layout, when the library's rules read several"},
        {"database", 0, "NAME", "ClickHouse: the database the Distributed table reads (default: default)"},
        {"cluster", 0, "NAME", "ClickHouse: the cluster the Distributed table spans (default: decree)"},
    },
    {"decree sql rulesets/cn-pboc-lvtr --dialect clickhouse --ddl",
     "decree sql lvtr.dlib --dialect duckdb --ddl -o tables.sql"},
    1,
    -1,
};

int Sql(const Args& args) {
  SqlOptions options;
  if (!args.Has("dialect")) return UsageError("sql", "missing --dialect clickhouse|duckdb");
  if (Status st = ParseSqlDialect(args.Get("dialect"), &options.dialect); !st.ok()) return UsageError("sql", st.message());
  if (!args.Has("ddl")) {
    return UsageError("sql", "printing the rules as SQL is not built yet; --ddl prints the tables they read (docs/scale-out.md)");
  }
  options.layout = args.Get("layout");
  options.database = args.Get("database", "default");
  options.cluster = args.Get("cluster", "decree");
  std::unique_ptr<Library> lib;
  if (int code = OpenOrCompile("sql", args.positionals(), args.Color(stderr), &lib); code != 0) return code;
  std::string out;
  if (Status st = SqlDdl(lib->program(), options, &out); !st.ok()) {
    fmt::print(stderr, "decree sql: {}\n", st.message());
    return kExitUsage;
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return kExitOk;
}

}  // namespace

const Verb& SqlVerb() {
  static const Verb v{&kSpec, Sql};
  return v;
}

}  // namespace decree::cli
