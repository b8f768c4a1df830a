// libFuzzer target: the rule-library loader.  An input that starts with the SQLite header is a
// whole library file (Library::Open: format, version, content hash, every table); any other
// input is the IR text a library stores for a rule or a test (DecodeRuleBody + ValidateRule
// against the PBoC program, DecodeTest), which the content hash would otherwise keep a
// mutation from reaching.  Anything must load or be refused with a reason, never crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "decree/library.h"
#include "driver/compilation.h"
#include "ir/ir_codec.h"

namespace {

struct Setup {
  decree::Compilation compilation{decree::CompileOptions{{DECREE_SOURCE_DIR "/rulesets/cn-pboc-lvtr"}, {}}};
  std::string path;
  Setup() {
    if (!compilation.Run()) std::abort();
    path = "/tmp/decree-fuzz-library-" + std::to_string(getpid()) + ".dlib";
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Setup setup;
  if (size >= 16 && std::memcmp(data, "SQLite format 3", 16) == 0) {
    FILE* f = std::fopen(setup.path.c_str(), "wb");
    if (f == nullptr) std::abort();
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    std::unique_ptr<decree::Library> lib;
    if (decree::Library::Open(setup.path, &lib).ok() && lib->content_hash().size() != 64) std::abort();
    return 0;
  }
  std::string text(reinterpret_cast<const char*>(data), size);
  const decree::ir::Program& program = setup.compilation.program();
  decree::ir::Rule rule;
  if (decree::ir::DecodeRuleBody(text, &rule).ok()) {
    rule.layout = program.layouts.front().name;
    (void)decree::ir::ValidateRule(program, rule);
  }
  decree::ir::Test test;
  (void)decree::ir::DecodeTest(text, &test);
  return 0;
}
