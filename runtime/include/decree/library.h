// A compiled rule library (.dlib), loaded for evaluation.
//
//   std::unique_ptr<decree::Library> lib;
//   decree::Status s = decree::Library::Open("lvtr.dlib", &lib);
//   if (!s.ok()) { ... s.ToString() names the file and what is wrong ... }
//
// Opening verifies the format version and the content hash; a corrupt, truncated, modified or
// newer-format library is an error, never a partial load.
#pragma once

#include <memory>
#include <string>

#include "decree/status.h"

namespace decree {

namespace ir {
struct Program;
}

class Library {
 public:
  static Status Open(const std::string& path, std::unique_ptr<Library>* out);
  ~Library();

  const std::string& path() const { return path_; }
  // SHA-256 of the library's content: what a filing cites as "checked by".
  const std::string& content_hash() const { return content_hash_; }
  int format_version() const { return format_version_; }
  const std::string& generator() const { return generator_; }
  const ir::Program& program() const { return *program_; }

 private:
  Library();
  std::string path_;
  std::string content_hash_;
  std::string generator_;
  int format_version_ = 0;
  std::unique_ptr<ir::Program> program_;
};

}  // namespace decree
