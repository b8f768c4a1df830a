// Running over any RowSource with tables already in memory: the parts of Run() that the test
// runner, report and filing validation reuse.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "decree/run.h"
#include "exec/tables.h"
#include "io/source.h"

namespace decree::exec {

Status SelectLayout(const ir::Program& program, const std::string& name, const ir::Layout** out);
Status LoadTables(const ir::Program& program, const std::map<std::string, std::string>& files, Tables* tables);
// Loads the watch lists in `files` (any format screen/watchlist.h reads) and indexes them for
// the program's screen() calls; nothing is loaded when no rule screens.  Fails naming a list
// a rule screens against that no file provides.  `allow_partial`: see RunOptions; what the
// load must tell the user goes to *notes.
Status LoadWatchLists(const ir::Program& program, const std::vector<std::string>& files, bool allow_partial, Tables* tables,
                      std::vector<std::string>* notes);
Status RunSource(const ir::Program& program, const ir::Layout& layout, io::RowSource& source, const Tables& tables,
                 const RunOptions& options, RunResult* result);

}  // namespace decree::exec
