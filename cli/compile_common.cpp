#include "compile_common.h"

#include <fmt/format.h>

#include "ir/json.h"

namespace decree::cli {

size_t PrintDiagnostics(Compilation& c, const std::string& format, bool color) {
  std::vector<Diagnostic> diags = c.diags().Sorted();
  size_t errors = c.load_errors_.size() + c.diags().error_count();
  if (format == "json") {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    w.Key("files").BeginArray();
    for (int f : c.root_files()) w.String(c.sources().file(f).path());
    w.EndArray();
    w.Field("rules", static_cast<int64_t>(CountRules(c.program())));
    w.Field("errors", static_cast<int64_t>(errors));
    w.Field("warnings", static_cast<int64_t>(c.diags().warning_count()));
    w.Key("diagnostics").BeginArray();
    for (const std::string& e : c.load_errors_) {
      w.BeginObject().Field("code", "E0500").Field("severity", "error").Field("message", e).EndObject();
    }
    for (const Diagnostic& d : diags) w.Raw(c.diags().RenderJson(d));
    w.EndArray();
    w.EndObject();
    fmt::print("{}\n", out);
    return errors;
  }
  for (const std::string& e : c.load_errors_) {
    fmt::print(stderr, "{}error[E0500]{}: {}\n", color ? "\x1b[1;31m" : "", color ? "\x1b[0m" : "", e);
  }
  for (const Diagnostic& d : diags) fmt::print(stderr, "{}\n", c.diags().RenderText(d, color));
  return errors;
}

size_t CountRules(const ir::Program& p) {
  size_t n = 0;
  for (const ir::Rule& r : p.rules) n += r.kind != ir::RuleKind::kExempt;
  return n;
}

}  // namespace decree::cli
