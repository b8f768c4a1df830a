// Output files that appear complete or not at all.
//
// An AtomicFile is written under a temporary name beside its target ("<path>.tmp.<pid>": the
// same directory, so the final rename is atomic), flushed to disk, then renamed over the
// target.  A failure at any point — a full disk, a file-size limit, an error of the writer —
// leaves the target as it was and removes the temporary file; a process killed mid-write leaves
// at most the temporary file, never a partial file under the target's name, and the next
// AtomicFile for that target removes temporary files whose process no longer exists.  Every output decree
// writes goes through here: findings, rejects, reports, validation results, rule libraries,
// saved screening indexes.
//
// A symbolic link is written through: the file it points to is replaced, the link stays.  A
// target that is a device or a pipe (/dev/null, /dev/stdout) is written directly (nothing to
// rename over); Commit() then only closes it.  Reserve() refuses such targets (SQLite writers
// need a regular file).
#pragma once

#include <string>
#include <string_view>

#include "decree/status.h"

namespace decree {

class AtomicFile {
 public:
  AtomicFile() = default;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // abandons an uncommitted file

  // Creates the temporary file for `path`, open for writing (fd()).
  Status Open(const std::string& path);
  // Reserves the temporary name for a writer that creates the file itself (SQLite); nothing is
  // opened.  Commit() then flushes what the writer left there.
  Status Reserve(const std::string& path);

  // The file replaced on Commit (a link's target); the name given for messages.
  const std::string& path() const { return path_; }
  const std::string& target() const { return target_; }
  const std::string& temp_path() const { return temp_; }
  int fd() const { return fd_; }

  // Writes all of `data` at the end of the file; an error names the target and errno's text.
  Status Write(std::string_view data);
  // fsync, close, rename over the target.  After a failure the temporary file is gone.
  Status Commit();
  // Closes and removes the temporary file.
  void Abandon();

 private:
  Status Fail(const char* what, int err);
  Status Prepare(const std::string& path);
  std::string path_, target_, temp_;
  int fd_ = -1;
  bool active_ = false;
  bool direct_ = false;  // a device or pipe, written in place
};

// `data` to `path` through an AtomicFile; "-" writes standard output (flushed, checked).
Status WriteFileAtomically(const std::string& path, std::string_view data);

// Follows symbolic links from `path` (at most 40) to the file they name, which need not exist.
Status ResolveLinks(const std::string& path, std::string* out);

}  // namespace decree
