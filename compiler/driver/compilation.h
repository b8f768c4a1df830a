// The compilation pipeline: source paths in, a checked ir::Program and diagnostics out.
//
//   LoadSourcesPass (read + parse) -> ResolveImportsPass (loads imported files) -> SemaPass
//
// Each pass is a small class; the pipeline runs them in order and keeps going after errors so
// that one run reports all of them.  The front end runs on a thread with a large stack: the
// parser and the passes are recursive, and their inputs are bounded (syntax/parser.h) but may
// still be deep.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "diag/diagnostic.h"
#include "decree/status.h"
#include "ir/ir.h"
#include "sema/sema.h"
#include "syntax/ast.h"

namespace decree {

struct CompileOptions {
  std::vector<std::string> paths;  // files, or folders searched recursively for *.decree
  // In-memory sources (path, text), compiled as if read from those paths (tests, tools).
  std::vector<std::pair<std::string, std::string>> inline_sources;
};

class Compilation {
 public:
  explicit Compilation(CompileOptions options);

  // Runs the pipeline.  Returns false when errors were reported (or no source was found).
  bool Run();

  const SourceManager& sources() const { return sources_; }
  DiagnosticEngine& diags() { return diags_; }
  ir::Program& program() { return program_; }
  const std::vector<std::unique_ptr<ast::Module>>& modules() const { return modules_; }
  // Files named on the command line (not the ones pulled in by imports).
  const std::vector<int>& root_files() const { return root_files_; }

  // Shared state the passes work on.
  CompileOptions options_;
  SourceManager sources_;
  DiagnosticEngine diags_;
  std::vector<std::unique_ptr<ast::Module>> modules_;  // parallel to sources_
  std::vector<int> root_files_;
  std::vector<SemaModule> sema_modules_;
  ir::Program program_;
  std::vector<std::string> load_errors_;
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual const char* name() const = 0;
  // Returns false when later passes cannot run at all (not merely because of errors).
  virtual bool Run(Compilation& c) = 0;
};

// Reads and parses one more source file (an import).  Returns its index, or -1.
int LoadAndParse(Compilation& c, const std::string& path, std::string text);

// Text of a built-in module (`import decree.canonical`), or nullptr.
const char* BuiltinModuleText(const std::string& name);

// Runs `fn` on a thread with a `bytes`-sized stack and waits for it.
void RunOnLargeStack(size_t bytes, const std::function<void()>& fn);

// Writes the compiled program as a rule library at `path`, atomically (ir::WriteLibrary);
// `*content_hash` receives the library's hash.
Status WriteRuleLibrary(Compilation& c, const std::string& path, const std::string& generator, std::string* content_hash);

// Ok when `path` does not exist, is empty, or is a rule library a build may replace; an error
// naming what it is otherwise (ir::CheckLibraryFile).
Status CheckReplaceableLibrary(const std::string& path);

// Lists the .decree files under each path (files as given, folders recursively), sorted.
bool CollectSourceFiles(const std::vector<std::string>& paths, std::vector<std::string>* files,
                        std::vector<std::string>* errors);

}  // namespace decree
