// Pieces shared by the fuzz targets that run their input through the runtime as a file: a
// shipped ruleset compiled once, and the input written to a per-process temporary file.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "driver/compilation.h"

namespace decree::fuzz {

// A shipped ruleset (a folder under rulesets/), compiled at first use; aborts if it does not
// compile, since every input would then test nothing.
struct CompiledRuleset {
  Compilation compilation;
  explicit CompiledRuleset(const char* folder)
      : compilation(CompileOptions{{std::string(DECREE_SOURCE_DIR) + "/rulesets/" + folder}, {}}) {
    if (!compilation.Run()) std::abort();
  }
  const ir::Program& program() { return compilation.program(); }
};

// "/tmp/decree-fuzz-<tag>-<pid><ext>": one file per fuzzing process, rewritten for each input.
inline std::string TempPath(const char* tag, const char* ext) {
  return "/tmp/decree-fuzz-" + std::string(tag) + "-" + std::to_string(getpid()) + ext;
}

// Writes the input to `path`; aborts when it cannot (the target would silently test nothing).
inline void WriteInput(const std::string& path, const void* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) std::abort();
  std::fwrite(data, 1, size, f);
  std::fclose(f);
}

}  // namespace decree::fuzz
