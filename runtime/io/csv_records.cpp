#include "io/csv_records.h"

#include <fmt/format.h>

#include "common/utf8.h"
#include "decree/files.h"

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

Status ReadCsvHeader(const InputFile& file, const std::string& path, uint64_t max_record, std::vector<std::string>* names,
                     size_t* pos) {
  std::string head;
  bool inside = false, complete = false;
  for (size_t scan = 0; !complete && head.size() < file.size();) {
    if (head.size() > max_record) {
      return Status::InvalidArgument(fmt::format("{}: line 1: the header row runs past {} without ending{}", path, FormatBytes(max_record),
                                                 inside ? " (inside a quoted field)" : ""));
    }
    if (Status st = file.ReadAt(head.size(), 64 << 10, &head); !st.ok()) return st;
    for (; scan < head.size() && !complete; ++scan) {
      if (head[scan] == '"') inside = !inside;
      complete = head[scan] == '\n' && !inside;
    }
  }
  size_t header_end = complete ? head.find('\n') : head.size();
  for (size_t q = 0, at = 0; complete && at < head.size(); ++at) {  // the line break that ends the header
    if (head[at] == '"') q ^= 1;
    if (head[at] == '\n' && q == 0) {
      header_end = at;
      break;
    }
  }
  if (header_end > max_record) {
    return Status::InvalidArgument(fmt::format("{}: line 1: the header row runs past {} without ending", path, FormatBytes(max_record)));
  }
  *pos = head.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // UTF-8 byte order mark
  if (*pos >= head.size()) return Status::InvalidArgument(path + ": empty input: no header row");
  std::vector<CsvField> header;
  CsvError error;
  NextCsvRecord(head.data(), head.size(), pos, &header, &error);
  if (error != CsvError::kNone) return Status::InvalidArgument(fmt::format("{}: header row: {}", path, CsvErrorText(error)));
  Arena arena;
  names->clear();
  for (const CsvField& f : header) {
    std::string_view name = CsvText(f, &arena);
    if (!IsValidUtf8(name)) return Status::InvalidArgument(path + ": header row: invalid UTF-8");
    names->emplace_back(name);
  }
  return Status::Ok();
}

}  // namespace decree::io
