#include "compile_common.h"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli.h"
#include "decree/json.h"

namespace decree::cli {

size_t PrintDiagnostics(Compilation& c, const std::string& format, bool color, const std::string& analysis_json) {
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
    if (!analysis_json.empty()) w.Key("analysis").Raw(analysis_json);
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

int OpenOrCompile(const std::string& verb, const std::vector<std::string>& paths, bool color,
                  std::unique_ptr<Library>* lib) {
  if (paths.size() == 1 && paths[0].ends_with(".dlib")) return OpenLibraryFile(verb, paths[0], lib);
  CompileOptions options;
  options.paths = paths;
  Compilation c(options);
  bool ok = c.Run();
  for (const std::string& e : c.load_errors_) {
    if (e.find("no such file") != std::string::npos) return UsageError(verb, e);
  }
  if (!ok) {
    size_t errors = PrintDiagnostics(c, "text", color);
    fmt::print(stderr, "decree {}: {} compile error{}; nothing run\n", verb, errors, errors == 1 ? "" : "s");
    return kExitFailure;
  }
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = ".";
  std::string tmp = (dir / fmt::format("decree-{}-{}.dlib", verb, static_cast<long>(getpid()))).string();
  std::string hash;
  Status st = WriteRuleLibrary(c, tmp, "decree " DECREE_VERSION, &hash);
  if (st.ok()) st = Library::Open(tmp, lib);
  std::remove(tmp.c_str());
  if (!st.ok()) {
    fmt::print(stderr, "decree {}: cannot build the library: {}\n", verb, st.ToString());
    return kExitFailure;
  }
  return 0;
}

int OpenLibraryFile(const std::string& verb, const std::string& path, std::unique_ptr<Library>* lib) {
  Status st = Library::Open(path, lib);
  if (st.ok()) return 0;
  fmt::print(stderr, "decree {}: {}\n", verb, st.ToString());
  return kExitUsage;
}

void GuardSources(const std::vector<std::string>& paths, PathGuard* guard) {
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) {
      guard->Input(p.ends_with(".dlib") ? "the library" : "the source", p);
      continue;
    }
    std::vector<std::string> files, errors;
    CollectSourceFiles({p}, &files, &errors);
    for (const std::string& f : files) guard->Input("the source", f);
  }
}

int CheckPaths(const std::string& verb, const PathGuard& guard) {
  Status st = guard.Check();
  if (st.ok()) return 0;
  fmt::print(stderr, "decree {}: {}\n", verb, st.message());
  return ExitFor(st);
}

}  // namespace decree::cli
