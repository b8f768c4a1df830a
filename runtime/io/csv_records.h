// CSV records of a whole text held in memory (watch lists, allow-lists, screening batches),
// each with its line number for messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/arena.h"
#include "decree/status.h"
#include "io/csv.h"
#include "io/input_file.h"

namespace decree::io {

// CSV records of a whole text with their 1-based line numbers; a malformed record is an error
// naming its line.  Blank lines, and a lone SUB (0x1A, DOS end of file, as OFAC's files end),
// are skipped.
class CsvRecords {
 public:
  CsvRecords(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  // false at the end; *error set when the record at hand is malformed.  The fields stay valid
  // until the next call.
  bool Next(std::vector<std::string_view>* fields, Status* error);
  size_t line() const { return line_; }
  std::string Where() const;  // "source:line"

 private:
  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0, counted_ = 0, line_ = 1;
  std::vector<CsvField> raw_;
  Arena arena_;
};

// The header row of a CSV file: read on until it is complete (a line break outside quotes) or
// the file ends, at most `max_record` bytes; *names receives the column names and *pos where
// the records start (after a UTF-8 byte order mark and the header).  Errors name `path`:
// an empty file, a header past `max_record`, a malformed header, invalid UTF-8.
Status ReadCsvHeader(const InputFile& file, const std::string& path, uint64_t max_record, std::vector<std::string>* names,
                     size_t* pos);

}  // namespace decree::io
