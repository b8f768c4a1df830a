// A saved screening index: the watch lists and every name's normalised form in one SQLite
// file, so a run loads them without parsing the list formats or normalising again
// (`decree screen --list un.xml --list sdn.csv --save-index lists.dsx`; then `--list lists.dsx`
// wherever a list is accepted, e.g. beside the rule library).
//
// The file is self-describing: table `meta` (format, version, the normaliser it was built
// with, when, and each source file with its SHA-256), `entries` and `names`.  A file built with
// another ICU or normaliser version is refused (its names would compare differently), naming
// both versions; nothing is rebuilt silently.
#pragma once

#include <string>
#include <vector>

#include "decree/status.h"
#include "screen/index.h"
#include "screen/watchlist.h"

namespace decree::screen {

// What the normalisation of names depends on: ICU's version and this code's.
std::string NormalizerVersion();

// Writes `index` (its lists, entries and normalised names) to `path`, replacing it atomically.
// Ok when `path` does not exist, is empty, or is a saved screening index (which a save may
// replace); an error otherwise.
Status CheckIndexFile(const std::string& path);
Status SaveIndex(const ScreeningIndex& index, const std::vector<std::string>& sources, const std::string& path);

// Appends the lists of a saved index, their names marked normalised (ListName::normalized).
Status LoadSavedLists(const std::string& path, std::vector<WatchList>* out);

}  // namespace decree::screen
