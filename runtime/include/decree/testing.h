// Running the `test` blocks of a rule library through the runtime: each test's records and
// table rows are evaluated exactly as a batch would be, and its expectations checked.
#pragma once

#include <string>
#include <vector>

#include "decree/run.h"
#include "decree/status.h"
#include "decree/tables.h"
#include "ir/value.h"

namespace decree {

namespace ir {
struct Program;
}

struct TestOutcome {
  std::string ruleset;
  std::string name;
  std::string file;
  int line = 0;
  bool passed = false;
  std::vector<std::string> failures;  // one line per unmet expectation
};

// Runs every test of `program` (or those whose name contains `filter`).  A Status error means
// a test could not run at all (e.g. a record of a layout no rule reads).
Status RunTests(const ir::Program& program, const std::string& filter, std::vector<TestOutcome>* out);

// Evaluates in-memory records of one layout (each the layout's field values in field order)
// as a batch, with these table rows (tables not given are empty): what `test` blocks and the
// analysis's witness replay run.  One thread; findings kept in the result.
// `only_rules`: evaluate just these rules (and every exemption), as RunOptions::only_rules.
Status RunRecords(const ir::Program& program, const std::string& layout, std::vector<std::vector<ir::Value>> records,
                  const std::vector<TableRows>& tables, RunResult* result, const std::vector<std::string>& only_rules = {});

}  // namespace decree
