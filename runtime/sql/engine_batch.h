// The batch of one RunOnEngine in the engine: uploaded from a CSV file into Decree's own
// tables, or a table already there (--input-table); how its rows read back as CSV records for
// the native evaluation; the rows left out of the rules' input because the native runtime
// rejects them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "decree/input.h"
#include "decree/run.h"
#include "io/input_file.h"
#include "io/source.h"
#include "ir/ir.h"
#include "sql/engine_session.h"

namespace decree::sql {

struct Batch {
  std::string table;          // read through the initiator: Distributed, or the one server's table
  std::string local;          // each shard's local table, when the plan is shard-local ("" if not)
  std::string columns = "*";  // the SELECT list the rules read (the --ddl types)
  std::string record, pos;    // a row as a CSV record ("": read from `file`), and its input position (expressions)
  std::string order;          // the order rows read back in (input order, else by id)
  std::string header;         // the CSV header of those records (with its line break)
  std::string name;           // for messages ("batch.csv", "table Transaction")
  bool multiline = false;     // records read back may span lines (a table's texts)
  std::vector<std::string> excluded;  // ids of rows the native runtime rejects
  int views = 0;                      // the rules' inputs built over it (each a table of its own)
  // What the reader found (decree::RunResult's counts).
  std::vector<io::Reject> rejects;
  std::unique_ptr<io::RowSource> source;  // an uploaded file's reader (its labeler reads it)
  std::unique_ptr<io::InputFile> file;    // an uploaded file, its records read again by position
  std::unique_ptr<io::PositionLabeler> labeler;
  uint64_t rows_read = 0, lines_read = 0, blank_lines = 0, multiline_rows = 0;
  std::string format;
};

// Records fetched back from the engine, in input order, as CSV after the batch's header.
struct Fetched {
  std::shared_ptr<std::string> csv = std::make_shared<std::string>();
  std::vector<uint64_t> positions;  // each record's input position
  std::vector<uint64_t> offsets;    // where it starts in *csv
};

// Reads `input` (CSV) natively and uploads its accepted records to tables of the session's
// (sharded by the key every grouped rule keys on, so the plan can be shard-local).
Status UploadBatch(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const InputSpec& input,
                   const RunOptions& options, Batch* out);
// The table `table` of the engine as the batch: the rows the native reader would reject (SQL
// finds a superset, the native reader decides) are rejects named by the table and their id.
Status TableBatch(EngineSession& session, const ir::Program& program, const ir::Layout& layout, const std::string& table,
                  const RunOptions& options, const std::vector<std::string>& rules, Batch* out);

// The batch's rows that pass `where` ("WHERE …" or empty).
Status Fetch(EngineSession& session, const Batch& batch, const std::string& where, Fetched* out);
// The options of a native run inside RunOnEngine: the caller's tables, lists, threads and
// memory bounds, over `layout`, for `rules` only; findings and rejects kept (no files).
RunOptions NativeOptions(const ir::Layout& layout, const RunOptions& options, const std::vector<std::string>& rules);
// The native evaluation (decree::Run) of fetched records, rejects kept; findings kept, or
// handed to `on_finding` in their sorted order when it is set.
Status EvaluateNatively(const ir::Program& program, const ir::Layout& layout, const Batch& batch, const InputSpec& input,
                        const RunOptions& options, const std::vector<std::string>& rules, const Fetched& fetched, RunResult* out,
                        std::function<void(Finding&&)> on_finding = nullptr);
// The native evaluation's rejects, at their input positions.
Status MapRejects(const RunResult& native, const Fetched& fetched, std::vector<io::Reject>* out);
// A Memory table `table` holding `ids` on the initiator (and `table`_local on every shard when
// `everywhere`: the initiator may be a shard too).
Status IdTable(EngineSession& session, const std::string& table, const std::vector<std::string>& ids, bool everywhere = false);

}  // namespace decree::sql
