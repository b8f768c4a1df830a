#include "decree/version.h"

#include <fmt/format.h>
#include <libxml/xmlversion.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <unicode/uversion.h>

#include "ir/library_format.h"

namespace decree {

const char* RuntimeVersion() { return DECREE_VERSION; }

int LibraryFormatVersion() { return ir::kLibraryFormatVersion; }

std::string ComponentVersions() {
  UVersionInfo icu;
  u_getVersion(icu);
  char icu_text[U_MAX_VERSION_STRING_LENGTH];
  u_versionToString(icu, icu_text);
  return fmt::format("ICU {}, SQLite {}, libxml2 {}, simdjson {}.{}.{}, fmt {}.{}.{}", icu_text, sqlite3_libversion(),
                     LIBXML_DOTTED_VERSION, static_cast<int>(simdjson::SIMDJSON_VERSION_MAJOR),
                     static_cast<int>(simdjson::SIMDJSON_VERSION_MINOR), static_cast<int>(simdjson::SIMDJSON_VERSION_REVISION),
                     FMT_VERSION / 10000, FMT_VERSION / 100 % 100,
                     FMT_VERSION % 100);
}

}  // namespace decree
