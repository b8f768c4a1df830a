// RFC 4180 CSV records: fields separated by commas, records by LF or CRLF; a field may be
// quoted ("…"), and then hold commas, line breaks and doubled quotes ("").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vector/vector.h"

namespace decree::io {

struct CsvField {
  const char* data;
  uint32_t size;
  bool escaped;  // quoted with doubled quotes inside: Unescape() before use
};

enum class CsvError { kNone, kUnterminatedQuote, kCharAfterQuote, kQuoteInField };

const char* CsvErrorText(CsvError e);

// Reads the record starting at `*pos` (< end) and advances past its line ending.  A malformed
// record is consumed up to the end of its line and reported in *error.  A blank line yields a
// record with one empty field.
void NextCsvRecord(const char* base, size_t end, size_t* pos, std::vector<CsvField>* fields, CsvError* error);

// The field's text, with "" collapsed (into `arena`) when needed.
std::string_view CsvText(const CsvField& f, Arena* arena);

// Counts occurrences of byte `c` in [p, p + n).
uint64_t CountByte(const char* p, size_t n, char c);

// Reads records from [begin, end) of a buffer, classifying 64 bytes at a time (SSE2) into a
// bit mask of the bytes that matter (, " \r \n) and walking it: unquoted fields cost a few
// instructions each instead of a branch per byte.  Quoted fields take NextCsvRecord's path.
// Produces exactly what NextCsvRecord produces for the same bytes (tests check this).
class CsvScanner {
 public:
  CsvScanner(const char* base, size_t begin, size_t end) : base_(base), pos_(begin), end_(end) {}
  bool done() const { return pos_ >= end_; }
  size_t pos() const { return pos_; }
  // Like NextCsvRecord from pos().
  void Next(std::vector<CsvField>* fields, CsvError* error);
  // Whether the record Next() returned had a quoted field (only such a record can hold a line
  // break before its end).
  bool quoted() const { return quoted_; }

 private:
  // Position of the first special byte at or after `from` (end_ when none).
  size_t NextSpecial(size_t from);
  void LoadBlock(size_t block_start);

  const char* base_;
  size_t pos_, end_;
  size_t block_ = SIZE_MAX;  // start of the 64-byte block whose mask is cached
  uint64_t mask_ = 0;        // specials of that block
  bool quoted_ = false;
  std::vector<CsvField> rest_;
};

}  // namespace decree::io
