// A batch already in the engine (decree run --engine … --input-table NAME): a table of the
// URL's database, local or Distributed, with the layout's columns typed as `decree sql --ddl`
// prints them or as String.  Each row can be written as the CSV record the native reader would
// read, so that its checks and its evaluation stay the native ones.
#pragma once

#include <string>
#include <vector>

#include "decree/status.h"
#include "ir/ir.h"
#include "sql/engine_session.h"

namespace decree::sql {

struct TableInput {
  std::string name;         // the table, as given
  std::string local;        // a Distributed table's local table on the shards ("" otherwise)
  bool shard_local = false;  // Distributed, sharded by cityHash64 of the key every grouped rule keys on
  std::string header;       // the CSV header of the records below (with its line break)
  std::string record;       // a row as a CSV record (an expression)
  std::string typed;        // the columns as `decree sql --ddl` types them (a SELECT list)
  std::string suspect;      // true for a row the native reader may reject (a superset)
  std::string id;           // the id column
  uint64_t rows = 0;
};

// Reads the table's columns and engine: every layout column must be there, typed as --ddl
// prints it (Nullable or not) or as String; an error names the column otherwise.
Status OpenTableInput(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const std::string& table,
                      TableInput* out);

}  // namespace decree::sql
