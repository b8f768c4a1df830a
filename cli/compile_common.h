// Helpers shared by the verbs that compile Decree sources (check, build, fmt, test).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "paths.h"
#include "decree/library.h"
#include "driver/compilation.h"

namespace decree::cli {

// Prints the compilation's diagnostics: text to stderr (with carets), or a JSON document to
// stdout (with `analysis_json`, an object, as its "analysis" member when given).  Returns the
// number of errors (load errors included).
size_t PrintDiagnostics(Compilation& c, const std::string& format, bool color, const std::string& analysis_json = "");

// Number of rules of the files named on the command line.
size_t CountRules(const ir::Program& p);

// The library a verb runs: `paths` is one .dlib file, or Decree sources (files or folders),
// which are compiled and built into a temporary library that is opened and removed — so a run
// from sources records the same content hash as a run of the built library.  On failure
// prints the reason (compile errors with their carets) and returns the exit status to use;
// returns 0 on success.
int OpenOrCompile(const std::string& verb, const std::vector<std::string>& paths, bool color,
                  std::unique_ptr<Library>* lib);

// Opens the rule library `path`; on failure prints why and returns the exit status (2: a file
// that does not exist or is not a library cannot be run), else 0.
int OpenLibraryFile(const std::string& verb, const std::string& path, std::unique_ptr<Library>* lib);

// Registers the library or source paths a verb reads as inputs of `guard` (a folder: every
// .decree file in it).
void GuardSources(const std::vector<std::string>& paths, PathGuard* guard);
// Checks `guard`; on a collision prints it and returns the usage exit status, else 0.
int CheckPaths(const std::string& verb, const PathGuard& guard);

}  // namespace decree::cli
