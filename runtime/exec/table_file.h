// Reference tables (for the runtime and the compiler; not part of the public API, which
// takes tables as files) (`table usd_rate from csv key (…) value …`): reading a table's rows from a
// file, as a run does for `--table NAME=FILE` and the compiler does for rows shipped in a
// library (`table work_calendar from csv "work-calendar.csv" …`).
#pragma once

#include <string>
#include <vector>

#include "decree/status.h"
#include "ir/value.h"

namespace decree {

namespace ir {
struct Program;
}

// Rows of one table, each the table's keys then values in declaration order.
struct TableRows {
  std::string table;  // qualified or short name
  std::vector<std::vector<ir::Value>> rows;
};

// Reads every row of `path` (CSV, JSON Lines or SQLite, as a run's input) as rows of
// program.tables[table].  Any bad row, a duplicated key, or a file changed while read is an
// error naming the file and the row's position (up to five rows shown): nothing is skipped.
Status ReadTableFile(const ir::Program& program, int table, const std::string& path, TableRows* out);

}  // namespace decree
