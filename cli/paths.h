// No output replaces an input: the files a command reads and writes, compared before anything
// is read.
//
//   PathGuard g;
//   g.Input("--input", "t.csv");
//   g.Output("--out", "t.csv");
//   Status s = g.Check();  // InvalidArgument: "--out t.csv is the same file as --input t.csv …"
//
// Two names are the same file when they reach the same device and inode, or, for a file that
// does not exist yet, the same path once symbolic links are followed.  Standard input and
// output ("-") and outputs that are devices or pipes (/dev/null) never collide: writing them
// replaces nothing.
#pragma once

#include <string>
#include <vector>

#include "decree/status.h"

namespace decree {

class PathGuard {
 public:
  // `role` names the option the user wrote ("--input", "the library", "source").
  void Input(std::string role, std::string path);
  void Output(std::string role, std::string path);
  // NotFound naming an input that does not exist; InvalidArgument naming both files when an
  // output is an input or another output.
  Status Check() const;

 private:
  struct Entry {
    std::string role, path;
    bool output;
  };
  std::vector<Entry> entries_;
};

// True when `path` exists and is a device, a pipe or a socket (not a regular file).
bool IsSpecialFile(const std::string& path);

}  // namespace decree
