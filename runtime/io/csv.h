// RFC 4180 CSV records: fields separated by commas, records by LF or CRLF; a field may be
// quoted ("…"), and then hold commas, line breaks and doubled quotes ("").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exec/vector.h"

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
std::string_view CsvText(const CsvField& f, exec::Arena* arena);

// Counts occurrences of byte `c` in [p, p + n), eight bytes at a time.
uint64_t CountByte(const char* p, size_t n, char c);

}  // namespace decree::io
