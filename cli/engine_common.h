// What `decree serve` and `decree stream` share: the engine's options from the command line
// and the library they decide with.
#pragma once

#include <memory>
#include <string>

#include "cli.h"
#include "decree/engine.h"

namespace decree::cli {

// The options every engine verb takes (tables, lists, layout, lateness, state).
std::vector<OptionSpec> EngineOptionSpecs();

// Reads them; on a usage error prints it and returns the exit status, else 0.
int ParseEngineOptions(const std::string& verb, const Args& args, EngineOptions* out);

// Opens (or compiles) the library and the engine over it; prints why not and returns the exit
// status, else 0.
int OpenEngine(const std::string& verb, const Args& args, const EngineOptions& options, std::unique_ptr<Engine>* out);

// Opens (or compiles) the library alone, for a reload.
Status LoadLibraryForReload(const Args& args, std::shared_ptr<const Library>* out);

}  // namespace decree::cli
