// Watch lists: the entries screening compares names against, loaded from the formats
// institutions receive them in (docs/screening.md):
//   - the UN Security Council consolidated list (XML, sc-sanctions.xsd);
//   - OFAC's SDN list in its legacy CSV form (sdn.csv, with alt.csv aliases and add.csv
//     addresses picked up from the same folder; no header; "-0-" is null);
//   - the project's own watchlist.csv: list_id,entry_id,entry_type,name,aliases,country,
//     birth_date,program (aliases separated by '|').
// Loading either succeeds whole or fails naming the file and line; nothing is skipped silently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "decree/status.h"

namespace decree::screen {

// Where a name of an entry came from: what an analyst is shown next to a hit.
enum class NameSource : uint8_t {
  kPrimary,         // the entry's name
  kAlias,           // a listed alias (a.k.a., f.k.a., good/low quality)
  kOriginalScript,  // UN NAME_ORIGINAL_SCRIPT
  kCommercialCode,  // decoded from a Chinese Commercial Code in OFAC remarks
};
const char* NameSourceName(NameSource s);

struct ListName {
  std::string text;
  NameSource source = NameSource::kPrimary;
  // Set when the name comes from a saved screening index (screen/index_file.h): its
  // normalised tokens and steps, so the index is built without normalising again.
  bool normalized = false;
  uint16_t steps = 0;
  std::vector<std::string> tokens = {};
};

struct WatchEntry {
  std::string entry_id;    // as the list gives it: UN REFERENCE_NUMBER, OFAC ent_num
  std::string entry_type;  // individual, entity, vessel, aircraft
  std::string country;
  std::string birth_date;
  std::string program;
  std::vector<ListName> names;  // names[0] is the primary name
};

struct WatchList {
  std::string list_id;  // "un-sc", "ofac-sdn", or a watchlist.csv list_id
  std::string source;   // the file it was loaded from
  std::vector<WatchEntry> entries;
};

enum class ListFormat { kUnXml, kOfacSdnCsv, kWatchlistCsv, kSavedIndex };

// Detects the format from the file's first bytes (XML root element, the watchlist.csv header,
// OFAC's numeric first field, or the SQLite header of a saved screening index).
Status DetectListFormat(const std::string& path, ListFormat* format);

struct ListLoadOptions {
  // OFAC's sdn.csv is loaded only with its alt.csv (aliases, more than half the names) and
  // add.csv (countries) beside it; this waives that, and the load then says so in *notes.
  bool allow_partial = false;
};

// Loads a list.  A watchlist.csv may hold several list_ids: each becomes its own WatchList.
// A list loads whole or not at all: no entries, an entry id given twice, invalid UTF-8, or an
// OFAC sdn.csv without its companions (unless waived) is an error naming the file and line.
// Loading notes (a waived companion) are appended to *notes.
Status LoadWatchLists(const std::string& path, std::vector<WatchList>* out, const ListLoadOptions& options = {},
                      std::vector<std::string>* notes = nullptr);
// Loads several files, one after the other, and checks them together: the same file (or the
// same content) given twice, or one entry (list id, entry id) in two files, is an error.
Status LoadListFiles(const std::vector<std::string>& paths, const ListLoadOptions& options, std::vector<WatchList>* out,
                     std::vector<std::string>* notes);
Status LoadUnXml(std::string_view text, const std::string& source, WatchList* out);
// OFAC's three files; `alt.text` and `add.text` may be empty (no aliases / countries then).
struct OfacFile {
  std::string_view text;
  std::string path;  // named in errors
};
Status LoadOfacSdn(const OfacFile& sdn, const OfacFile& alt, const OfacFile& add, WatchList* out);
Status LoadWatchlistCsv(std::string_view text, const std::string& source, std::vector<WatchList>* out);
// Appends the aliases of a watchlist.csv `aliases` field ("a|b", each trimmed; empty ones
// skipped) to e->names as NameSource::kAlias.
void AddAliases(std::string_view aliases, WatchEntry* e);

// The Han characters of a Chinese Commercial Code sequence ("1728 4320" → "张磊"); false when
// a code is unknown.  Table: Unihan kMainlandTelegraph, compiled in at build time.
bool DecodeCommercialCode(std::string_view digits, std::string* han);
// Every "Chinese Commercial Code dddd dddd …" in a remarks text, decoded.
std::vector<std::string> CommercialCodeNames(std::string_view remarks);

}  // namespace decree::screen
