// A CSV batch into the engine: read by the native reader (its rejects, with the native
// reasons and positions), its accepted records uploaded to the run's input table with their
// input position and their text, so that the records a finding needs can be fetched back and
// evaluated natively exactly as they were read.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/run.h"
#include "io/source.h"
#include "sql/ddl.h"
#include "sql/engine_session.h"

namespace decree::sql {

// The two columns the run's input table has beyond the layout's.
inline constexpr const char* kPosColumn = "_decree_pos";        // UInt64: the record's input position
inline constexpr const char* kRecordColumn = "_decree_record";  // String: the record's CSV text

struct Upload {
  std::unique_ptr<io::RowSource> source;  // labels the rejects' positions
  std::string header;                     // the CSV's header bytes (with its line break)
  uint64_t rows_read = 0, accepted = 0, blank_lines = 0, multiline_rows = 0, extra_lines = 0;
  std::vector<io::Reject> rejects;  // the reader's, in input order
};

// Reads `input` (CSV) with the native reader and inserts every accepted record into `table`
// (columns `columns`, then the two above) in blocks.  `progress` sees the bytes read.
Status UploadCsv(const ir::Program& program, const ir::Layout& layout, const InputSpec& input, const std::vector<SqlColumn>& columns,
                 ClickHouse& engine, const std::string& table, const std::function<void(const RunProgress&)>& progress, Upload* out);

// A declared table's CSV file into `table` on every shard (columns by header name).
Status UploadTableCsv(const std::string& path, const std::vector<SqlColumn>& columns, EngineSession& session, const std::string& table);

}  // namespace decree::sql
