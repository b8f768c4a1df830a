// Source files and ranges.
//
// A SourceRange is a half-open span of code points [begin, end) in one file, with the 1-based
// line and column (in code points) of both ends.  Every AST node carries one, so that every
// diagnostic can point at the exact text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decree {

struct SourceRange {
  int file = -1;
  uint32_t begin = 0;  // code point offsets
  uint32_t end = 0;
  int line = 0;  // 1-based, of `begin`
  int col = 0;   // 1-based, in code points
  int end_line = 0;
  int end_col = 0;  // column just past the last code point

  bool valid() const { return file >= 0 && line > 0; }
  // The smallest range covering both.
  static SourceRange Join(const SourceRange& a, const SourceRange& b);
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  // The name the rule library records: relative to the root of the sources compiled together,
  // so one set of sources has one content hash whatever path named it.  path() until set.
  const std::string& library_path() const { return library_path_.empty() ? path_ : library_path_; }
  void set_library_path(std::string p) { library_path_ = std::move(p); }
  const std::string& text() const { return text_; }
  int line_count() const { return static_cast<int>(line_starts_.size()); }
  // Line `line` (1-based) without its line terminator.
  std::string_view Line(int line) const;
  // Byte offset of code point `cp` (clamped to the end of the text).
  size_t ByteOffset(uint32_t cp) const;
  std::string_view Slice(const SourceRange& r) const;

 private:
  std::string path_;
  std::string library_path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;  // byte offsets
  std::vector<uint32_t> checkpoints_;  // byte offset of every kCheckpoint-th code point
  static constexpr uint32_t kCheckpoint = 64;
};

class SourceManager {
 public:
  int Add(std::string path, std::string text);
  const SourceFile& file(int id) const { return files_[id]; }
  SourceFile& mutable_file(int id) { return files_[id]; }
  int count() const { return static_cast<int>(files_.size()); }
  // The file added under `path` (or recorded in a library as `path`); -1 when none.
  int Find(const std::string& path) const;

 private:
  std::vector<SourceFile> files_;
};

}  // namespace decree
