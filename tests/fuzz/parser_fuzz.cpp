// libFuzzer target: the Decree front end.  Any input must produce diagnostics or a program,
// never a crash, a hang or a sanitizer report.  When the input parses cleanly, the formatter's
// output must parse back to the same AST (the `decree fmt` contract).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "driver/compilation.h"
#include "syntax/parser.h"
#include "syntax/printer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  {
    decree::SourceManager sm;
    decree::DiagnosticEngine diags(&sm);
    int id = sm.Add("fuzz.decree", text);
    auto m = decree::ParseModule(sm, id, &diags);
    if (!diags.has_errors()) {
      std::string formatted = decree::FormatModule(*m);
      decree::SourceManager sm2;
      decree::DiagnosticEngine diags2(&sm2);
      int id2 = sm2.Add("fuzz.decree", formatted);
      auto m2 = decree::ParseModule(sm2, id2, &diags2);
      if (diags2.has_errors() || decree::ast::Dump(*m) != decree::ast::Dump(*m2)) {
        std::abort();  // the formatter changed the meaning, or produced invalid syntax
      }
    }
  }
  // The whole front end, sema included.
  decree::CompileOptions o;
  o.inline_sources.emplace_back("fuzz.decree", text);
  decree::Compilation c(o);
  c.Run();
  return 0;
}
