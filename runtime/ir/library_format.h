// The rule library (.dlib): one SQLite file holding a compiled Program.
//
// docs/library-format.md specifies it.  In short: table `decree_meta` names the format and its
// version and holds `content_hash`, a SHA-256 over every other row of every table, in primary
// key order, each value length-prefixed and type-tagged (ComputeContentHash).  Readers refuse a
// library whose format version is newer than kLibraryFormatVersion or whose hash does not
// match, so a filing can state exactly which library checked it.
#pragma once

#include <string>

#include "decree/status.h"
#include "ir/ir.h"

struct sqlite3;

namespace decree::ir {

inline constexpr int kLibraryFormatVersion = 3;
inline constexpr const char* kLibraryFormatName = "decree-rule-library";

// Writes `program` to `path` atomically (a temporary file renamed into place).  Sets each
// rule's hash.  `*content_hash` receives the library's hash.
Status WriteLibrary(Program* program, const std::string& path, const std::string& generator,
                    std::string* content_hash);

struct LibraryInfo {
  int format_version = 0;
  std::string generator;
  std::string content_hash;
};

// Reads and validates a library: format, version, hash, every rule's IR.
// Ok when `path` does not exist, is empty, or is a rule library (which a build may replace);
// an error otherwise: a build never writes over a file that is not a library.
Status CheckLibraryFile(const std::string& path);
Status ReadLibrary(const std::string& path, Program* program, LibraryInfo* info);

// SHA-256 over the library's content (everything but decree_meta.content_hash), for a library
// of `format_version` (its tables).
Status ComputeContentHash(sqlite3* db, std::string* hex, int format_version = kLibraryFormatVersion);

}  // namespace decree::ir
