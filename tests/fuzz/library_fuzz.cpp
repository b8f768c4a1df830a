// libFuzzer target: the rule-library loader.  An input that starts with the SQLite header is a
// whole library file (Library::Open: format, version, content hash, every table); any other
// input is the IR text a library stores for a rule or a test (DecodeRuleBody + ValidateRule
// against the PBoC program, DecodeTest), which the content hash would otherwise keep a
// mutation from reaching.  Anything must load or be refused with a reason, never crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "decree/library.h"
#include "fuzz_support.h"
#include "ir/ir_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static decree::fuzz::CompiledRuleset rules("cn-pboc-lvtr");
  static const std::string path = decree::fuzz::TempPath("library", ".dlib");
  if (size >= 16 && std::memcmp(data, "SQLite format 3", 16) == 0) {
    decree::fuzz::WriteInput(path, data, size);
    std::unique_ptr<decree::Library> lib;
    if (decree::Library::Open(path, &lib).ok() && lib->content_hash().size() != 64) std::abort();
    return 0;
  }
  std::string text(reinterpret_cast<const char*>(data), size);
  const decree::ir::Program& program = rules.program();
  decree::ir::Rule rule;
  if (decree::ir::DecodeRuleBody(text, &rule).ok()) {
    rule.layout = program.layouts.front().name;
    (void)decree::ir::ValidateRule(program, rule);
  }
  decree::ir::Test test;
  (void)decree::ir::DecodeTest(text, &test);
  return 0;
}
