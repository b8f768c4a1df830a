#include "io/csv_records.h"

#include <fmt/format.h>

namespace decree::io {

bool CsvRecords::Next(std::vector<std::string_view>* fields, Status* error) {
  for (;;) {
    if (pos_ >= text_.size()) return false;
    size_t start = pos_;
    line_ += static_cast<size_t>(CountByte(text_.data() + counted_, start - counted_, '\n'));
    counted_ = start;
    CsvError e = CsvError::kNone;
    NextCsvRecord(text_.data(), text_.size(), &pos_, &raw_, &e);
    if (e != CsvError::kNone) {
      *error = Status::Corruption(fmt::format("{}:{}: {}", source_, line_, CsvErrorText(e)));
      return true;
    }
    if (raw_.size() == 1 && (raw_[0].size == 0 || (raw_[0].size == 1 && raw_[0].data[0] == '\x1a'))) continue;  // blank / SUB
    arena_.Reset();
    fields->clear();
    for (const CsvField& f : raw_) fields->push_back(CsvText(f, &arena_));
    return true;
  }
}

std::string CsvRecords::Where() const { return fmt::format("{}:{}", source_, line_); }

}  // namespace decree::io
