#include "paths.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>

#include "decree/atomic_file.h"

namespace decree {

namespace {

struct Identity {
  bool exists = false;
  bool special = false;
  dev_t dev = 0;
  ino_t ino = 0;
  std::string resolved;  // links followed, made absolute

  bool Same(const Identity& o) const {
    if (exists && o.exists) return dev == o.dev && ino == o.ino;
    return resolved == o.resolved;
  }
};

Identity Identify(const std::string& path) {
  namespace fs = std::filesystem;
  Identity id;
  struct stat sb;
  if (stat(path.c_str(), &sb) == 0) {
    id.exists = true;
    id.special = !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
    id.dev = sb.st_dev;
    id.ino = sb.st_ino;
  }
  std::string target = path;
  if (!ResolveLinks(path, &target).ok()) target = path;
  std::error_code ec;
  fs::path abs = fs::absolute(target, ec);
  fs::path parent = fs::weakly_canonical(abs.parent_path(), ec);
  id.resolved = (ec ? abs : parent / abs.filename()).lexically_normal().string();
  return id;
}

}  // namespace

void PathGuard::Input(std::string role, std::string path) {
  if (!path.empty() && path != "-") entries_.push_back(Entry{std::move(role), std::move(path), false});
}

void PathGuard::Output(std::string role, std::string path) {
  if (!path.empty() && path != "-") entries_.push_back(Entry{std::move(role), std::move(path), true});
}

Status PathGuard::Check() const {
  std::vector<Identity> ids;
  ids.reserve(entries_.size());
  for (const Entry& e : entries_) {
    ids.push_back(Identify(e.path));
    if (!e.output && !ids.back().exists) return Status::NotFound(fmt::format("{} {}: no such file or directory", e.role, e.path));
  }
  for (size_t o = 0; o < entries_.size(); ++o) {
    if (!entries_[o].output || ids[o].special) continue;
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (i == o || (entries_[i].output && i > o) || !ids[o].Same(ids[i])) continue;
      const Entry& out = entries_[o];
      const Entry& in = entries_[i];
      if (in.output) {
        return Status::InvalidArgument(fmt::format("{} {} and {} {} are the same file: each output needs a file of its own",
                                                   in.role, in.path, out.role, out.path));
      }
      return Status::InvalidArgument(fmt::format(
          "{} {} is the same file as {} {}: an output never replaces an input; write it somewhere else", out.role, out.path,
          in.role, in.path));
    }
  }
  return Status::Ok();
}

bool IsSpecialFile(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode);
}

}  // namespace decree
