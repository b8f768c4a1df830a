// Decree in a distributed SQL engine (docs/scale-out.md): the tables a rule library reads, as
// the engine's DDL, and (partly) its rules as SQL.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/status.h"

namespace decree {

namespace ir {
struct Program;
}

enum class SqlDialect { kClickHouse, kDuckDb };

struct SqlOptions {
  SqlDialect dialect = SqlDialect::kClickHouse;
  std::string layout;               // the batch's layout (short or qualified); empty: the rules' one
  std::string database = "default";
  std::string cluster = "decree";   // ClickHouse: the cluster the Distributed table spans
  std::vector<std::string> rules;   // SqlRules: only these rule ids (empty: all)
  // The engine's name of a table, by short name (the layout's input table, a declared table),
  // or a parenthesized subquery standing for it; a table not in the map is named by its short name.
  std::map<std::string, std::string> table_names;
};

// "clickhouse" or "duckdb"; anything else is an InvalidArgument naming both.
Status ParseSqlDialect(const std::string& name, SqlDialect* out);

// The CREATE TABLE statements for the layout's input table and for the library's declared
// tables, with the layout's column names, each preceded by a comment.  ClickHouse: the input
// as a local MergeTree table `<name>_local` on every shard and a Distributed table `<name>`
// over it, sharded by cityHash64(<key>) where <key> is the field every grouped rule keys on
// (customer_id in the canonical layout; rand() when there is none); declared tables as local
// tables, to be created and filled on every shard.  DuckDB: plain tables.
Status SqlDdl(const ir::Program& program, const SqlOptions& options, std::string* out);

// The layout's rules as SELECTs in the dialect (ClickHouse or DuckDB) over the tables SqlDdl
// prints, each commented with its id and citation, in rule order: each gives one row (rule,
// key, txn_ids) per finding — the key's values joined by '|', the sorted ids joined by ','.
// Row rules, `per` groups and sliding windows (docs/scale-out.md has the mapping); a rule using
// anything else is left out and named in *refused with the construct ("aml.round_trip: a path
// rule (fund flows across accounts) is not lowered yet").  Totals, due dates and explanations
// are not produced.
Status SqlRules(const ir::Program& program, const SqlOptions& options, std::string* out, std::vector<std::string>* refused);

struct RunOptions;
struct RunResult;

// Where and how RunOnEngine runs.
struct EngineTarget {
  // clickhouse://HOST:PORT/DATABASE: the server whose HTTP interface runs the queries.
  std::string url;
  std::string cluster = "decree";  // its cluster of shards (system.clusters); absent: one server
  // The batch already in the engine: a table of the URL's database (local or Distributed) with
  // the layout's columns typed as SqlDdl prints them.  Empty: the batch is `input`, uploaded.
  std::string input_table;
  int timeout_seconds = 600;       // per query; a longer one is an error
  // Rules that are not lowered run natively over the batch (a file), their findings merged in
  // order; without it they make the run an error.
  bool native_fallback = false;
};

// Whether `url` is clickhouse://HOST:PORT/DATABASE; an InvalidArgument saying what is wrong.
Status CheckEngineUrl(const std::string& url);

// Runs `program`'s rules over a batch inside ClickHouse (docs/scale-out.md, "decree run
// --engine") and writes what decree::Run would: the engine finds which findings exist (the
// queries of SqlRules); Decree fetches back the records of the groups those findings belong
// to and renders them with the native evaluation, after checking both agree finding for
// finding.  `input` (CSV) is read by the native reader, its rejects reported as decree::Run
// reports them, and its accepted records uploaded to tables of Decree's own that are dropped
// afterwards (or the batch is target.input_table); `options.tables` likewise, to every shard.
// Rules that are not lowered make it an error naming them (leave them out with
// options.skip_rules, or run them natively with target.native_fallback).  An unreachable shard, a
// refused or timed-out query is an error, and then no findings file is written.
Status RunOnEngine(const ir::Program& program, const InputSpec& input, const EngineTarget& target, const RunOptions& options,
                   RunResult* result);

}  // namespace decree
