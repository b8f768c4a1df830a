#include "decree/library.h"

#include "ir/ir.h"
#include "ir/library_format.h"

namespace decree {

Library::Library() : program_(std::make_unique<ir::Program>()) {}
Library::~Library() = default;

Status Library::Open(const std::string& path, std::unique_ptr<Library>* out) {
  std::unique_ptr<Library> lib(new Library());
  ir::LibraryInfo info;
  Status st = ir::ReadLibrary(path, lib->program_.get(), &info);
  if (!st.ok()) return st;
  lib->path_ = path;
  lib->content_hash_ = info.content_hash;
  lib->generator_ = info.generator;
  lib->format_version_ = info.format_version;
  *out = std::move(lib);
  return Status::Ok();
}

}  // namespace decree
