// Running the `test` blocks of a rule library through the runtime: each test's records and
// table rows are evaluated exactly as a batch would be, and its expectations checked.
#pragma once

#include <string>
#include <vector>

#include "decree/status.h"

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

}  // namespace decree
