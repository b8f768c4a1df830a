#include "screen/text_file.h"

#include <fmt/format.h>

#include "common/files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace decree::screen {

Status ReadFile(const std::string& path, std::string* out) { return ReadWholeFile(path, kMaxWholeFileBytes, out); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool CsvRecords::Next(std::vector<std::string_view>* fields, Status* error) {
  for (;;) {
    if (pos_ >= text_.size()) return false;
    size_t start = pos_;
    line_ += static_cast<size_t>(io::CountByte(text_.data() + counted_, start - counted_, '\n'));
    counted_ = start;
    io::CsvError e = io::CsvError::kNone;
    io::NextCsvRecord(text_.data(), text_.size(), &pos_, &raw_, &e);
    if (e != io::CsvError::kNone) {
      *error = Status::Corruption(fmt::format("{}:{}: {}", source_, line_, io::CsvErrorText(e)));
      return true;
    }
    if (raw_.size() == 1 && (raw_[0].size == 0 || (raw_[0].size == 1 && raw_[0].data[0] == '\x1a'))) continue;  // blank / SUB
    arena_.Reset();
    fields->clear();
    for (const io::CsvField& f : raw_) fields->push_back(io::CsvText(f, &arena_));
    return true;
  }
}

std::string CsvRecords::Where() const { return fmt::format("{}:{}", source_, line_); }

}  // namespace decree::screen
