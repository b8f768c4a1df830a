// Versions: of the runtime, of the rule-library format it reads and writes, and of the
// libraries it was built with (what a bug report or an audit trail records).
#pragma once

#include <string>

namespace decree {

// "0.1.0".
const char* RuntimeVersion();
// The newest rule-library format this runtime reads and the one it writes.
int LibraryFormatVersion();
// "ICU 72.1, SQLite 3.40.1, libxml2 2.9.14, simdjson 3.6.0, fmt 9.1.0": the versions loaded
// at run time where the library reports them, else those built against.
std::string ComponentVersions();

}  // namespace decree
