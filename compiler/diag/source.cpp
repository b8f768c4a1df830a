#include "diag/source.h"

#include <algorithm>

namespace decree {

SourceRange SourceRange::Join(const SourceRange& a, const SourceRange& b) {
  if (!a.valid()) return b;
  if (!b.valid()) return a;
  SourceRange r = a;
  if (b.begin < r.begin) {
    r.begin = b.begin;
    r.line = b.line;
    r.col = b.col;
  }
  if (b.end > r.end) {
    r.end = b.end;
    r.end_line = b.end_line;
    r.end_col = b.end_col;
  }
  return r;
}

SourceFile::SourceFile(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  uint32_t cp = 0;
  for (size_t i = 0; i < text_.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text_[i]);
    if ((c & 0xC0) != 0x80) {
      if (cp % kCheckpoint == 0) checkpoints_.push_back(static_cast<uint32_t>(i));
      ++cp;
    }
    if (c == '\n') line_starts_.push_back(static_cast<uint32_t>(i + 1));
  }
}

std::string_view SourceFile::Line(int line) const {
  if (line < 1 || line > line_count()) return {};
  size_t b = line_starts_[line - 1];
  size_t e = line < line_count() ? line_starts_[line] : text_.size();
  std::string_view s(text_.data() + b, e - b);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

size_t SourceFile::ByteOffset(uint32_t cp) const {
  size_t k = cp / kCheckpoint;
  if (k >= checkpoints_.size()) return text_.size();
  size_t i = checkpoints_[k];
  uint32_t left = cp % kCheckpoint;
  while (left > 0 && i < text_.size()) {
    ++i;
    while (i < text_.size() && (static_cast<unsigned char>(text_[i]) & 0xC0) == 0x80) ++i;
    --left;
  }
  return std::min(i, text_.size());
}

std::string_view SourceFile::Slice(const SourceRange& r) const {
  size_t b = ByteOffset(r.begin);
  size_t e = ByteOffset(r.end);
  if (e < b) e = b;
  return std::string_view(text_).substr(b, e - b);
}

int SourceManager::Add(std::string path, std::string text) {
  files_.emplace_back(std::move(path), std::move(text));
  return static_cast<int>(files_.size()) - 1;
}

int SourceManager::Find(const std::string& path) const {
  for (size_t i = 0; i < files_.size(); ++i) {
    if (files_[i].path() == path) return static_cast<int>(i);
  }
  for (size_t i = 0; i < files_.size(); ++i) {
    if (files_[i].library_path() == path) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace decree
