// What a batch is read from: the file, its format and the reader's limits.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "decree/status.h"

namespace decree {

enum class InputFormat { kAuto, kCsv, kJsonl, kSqlite, kXml };

struct InputSpec {
  std::string path;  // "-" reads standard input (CSV)
  InputFormat format = InputFormat::kAuto;  // kAuto: by extension, then by content
  std::string sqlite_table;  // kSqlite: default the layout's name, then "transactions"
  // The longest record (a line, a header, an XML filing) read: a longer one stops the read
  // with an error naming its position, so no input can exhaust memory.
  uint64_t max_record_bytes = uint64_t{64} << 20;
  // CSV: accept RFC 4180 line breaks inside quoted fields.  By default a record that spans
  // several lines is rejected with its line range (a stray quote swallows the lines after it).
  bool multiline_records = false;
  // CSV and JSON Lines: when set, the input's bytes, held in memory (an embedder's batch, one
  // record decided online); `path` then only names it in messages.
  std::shared_ptr<const std::string> bytes;
};

// "auto", "csv", "jsonl", "sqlite" or "xml"; anything else is an InvalidArgument naming them.
Status ParseInputFormat(const std::string& name, InputFormat* out);

// The format kAuto reads `path` as: by extension (.csv, .jsonl/.ndjson, .db/.sqlite/.sqlite3,
// .xml), else by the first bytes (SQLite header, '{', '<'), else CSV.
InputFormat DetectInputFormat(const std::string& path);

// One record of a batch as text: its position ("line N") and its fields in order.
struct RecordText {
  std::string id, position;
  std::vector<std::pair<std::string, std::string>> fields;
};

// The records of a CSV or JSON Lines batch whose `id_field` (e.g. txn_id) is one of `ids`, in
// batch order, as text, without evaluating them (for explanations).  Malformed records are
// skipped here: `decree run` is what reports them.  The batch is read a segment at a time
// (memory bounded by the segment and the longest record, not the batch).
Status FindRecords(const InputSpec& input, const std::string& id_field, const std::set<std::string>& ids, std::vector<RecordText>* out);

// Calls `fn` with every record of a CSV or JSON Lines batch, in file order (records the
// batch reader would reject as malformed are skipped): fund-flow pictures read the batch so.
Status ForEachRecord(const InputSpec& input, const std::string& id_field, const std::function<void(RecordText&&)>& fn);

}  // namespace decree
