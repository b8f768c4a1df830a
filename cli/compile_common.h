// Helpers shared by the verbs that compile Decree sources (check, build, fmt, test).
#pragma once

#include <string>

#include "driver/compilation.h"

namespace decree::cli {

// Prints the compilation's diagnostics: text to stderr (with carets), or a JSON document to
// stdout.  Returns the number of errors (load errors included).
size_t PrintDiagnostics(Compilation& c, const std::string& format, bool color);

// Number of rules of the files named on the command line.
size_t CountRules(const ir::Program& p);

}  // namespace decree::cli
