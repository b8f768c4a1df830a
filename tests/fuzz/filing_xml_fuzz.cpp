// libFuzzer target: XML filings as `decree validate` reads them — the XML reader, the XML
// record source (record paths, fields looked up through ancestors, "../"), the filing-checks
// require rules over what it yields, and the record labels validate points violations at.
// Any input must be read or refused with a reason, never crash, hang or trip a sanitizer, and
// every record must be evaluated or rejected (rows_read = evaluated + rejected).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "decree/run.h"
#include "fuzz_support.h"
#include "io/source.h"
#include "io/xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static decree::fuzz::CompiledRuleset rules("filing-checks");
  static const std::string path = decree::fuzz::TempPath("filing", ".xml");
  std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<decree::io::XmlElement> doc;
  (void)decree::io::ParseXmlDocument(text, &doc);
  decree::fuzz::WriteInput(path, data, size);
  const decree::ir::Program& program = rules.program();
  for (const decree::ir::Layout& layout : program.layouts) {
    if (layout.record.empty()) continue;
    decree::InputSpec input;
    input.path = path;
    input.format = decree::InputFormat::kXml;
    decree::RunOptions options;
    options.layout = layout.name;
    options.threads = 1;
    decree::RunResult result;
    if (decree::Run(program, input, options, &result).ok()) {
      if (result.rows_read != result.rows_evaluated + result.rows_rejected) std::abort();
      std::vector<std::pair<std::string, std::string>> labels;
      if (!decree::io::RecordLabels(input, program, layout, &labels).ok()) std::abort();
      if (labels.size() != result.rows_evaluated) std::abort();
    }
  }
  return 0;
}
