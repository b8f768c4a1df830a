// A CSV batch into the engine: read by the native reader (its rejects, with the native
// reasons and positions), its accepted records uploaded to the run's input table with their
// input position, so that the records a finding needs can be read again from the file, by
// position, and evaluated natively exactly as they were read.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/run.h"
#include "io/input_file.h"
#include "io/source.h"
#include "sql/ddl.h"
#include "sql/engine_session.h"

namespace decree::sql {

// The columns the run's input table has beyond the layout's: the record's input position, and
// (for a batch that is not CSV) the record as CSV text, to be evaluated natively again.
inline constexpr const char* kPosColumn = "_decree_pos";        // UInt64
inline constexpr const char* kRecordColumn = "_decree_record";  // String

struct Upload {
  std::unique_ptr<io::RowSource> source;  // labels the rejects' positions
  std::unique_ptr<io::InputFile> file;    // a CSV batch, open: records are read again from it
  bool records = false;                   // not CSV: the table holds each record's CSV text
  std::string header;                     // their CSV header (the layout's columns)
  uint64_t rows_read = 0, blank_lines = 0, multiline_rows = 0, extra_lines = 0;
  std::vector<io::Reject> rejects;  // the reader's, in input order
};

// Reads `input` with the native reader and inserts every accepted record into `table` (columns
// `columns`, the position, the record column) in blocks.  A CSV batch's record column is left
// empty (its records are read again from the file); a batch in another format (JSON Lines,
// SQLite, XML) gets its values as the CSV text the native reader reads back as the same values,
// in both.  `progress` sees the bytes read.
Status UploadInput(const ir::Program& program, const ir::Layout& layout, const InputSpec& input, const std::vector<SqlColumn>& columns,
                 ClickHouse& engine, const std::string& table, const std::function<void(const RunProgress&)>& progress, Upload* out);

// Appends to *csv the record of `file` at each position (ascending), each ending in a line
// break; *offsets gets where each starts in *csv.
Status ReadRecords(const io::InputFile& file, const std::vector<uint64_t>& positions, std::string* csv, std::vector<uint64_t>* offsets);

// A declared table's CSV file into `table` on every shard (columns by header name).
Status UploadTableCsv(const std::string& path, const std::vector<SqlColumn>& columns, EngineSession& session, const std::string& table);

}  // namespace decree::sql
