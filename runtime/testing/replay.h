// Evaluating records held in memory, as a batch: what `test` blocks and the analysis's witness
// replay run (for the runtime and the compiler; embedders run files and buffers, decree/run.h).
#pragma once

#include <string>
#include <vector>

#include "decree/run.h"
#include "decree/status.h"
#include "exec/table_file.h"
#include "ir/value.h"

namespace decree {

// Evaluates in-memory records of one layout (each the layout's field values in field order)
// as a batch, with these table rows (tables not given are empty): what `test` blocks and the
// analysis's witness replay run.  One thread; findings kept in the result.
// `only_rules`: evaluate just these rules (and every exemption), as RunOptions::only_rules.
Status RunRecords(const ir::Program& program, const std::string& layout, std::vector<std::vector<ir::Value>> records,
                  const std::vector<TableRows>& tables, RunResult* result, const std::vector<std::string>& only_rules = {});

}  // namespace decree
