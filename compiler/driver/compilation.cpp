#include "driver/compilation.h"

#include "ir/library_format.h"

#include <pthread.h>

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "decree/files.h"
#include "syntax/parser.h"

namespace decree {

namespace fs = std::filesystem;

extern const char* const kCanonicalModuleText;  // generated from compiler/std/canonical.decree

const char* BuiltinModuleText(const std::string& name) {
  if (name == "decree.canonical") return kCanonicalModuleText;
  return nullptr;
}

namespace {

constexpr size_t kFrontEndStack = 512u << 20;
// The largest Decree source read (a ruleset is kilobytes; this bounds a mistaken path).
constexpr uint64_t kMaxSourceBytes = 16u << 20;

struct StackCall {
  const std::function<void()>* fn;
};

void* StackTrampoline(void* arg) {
  (*static_cast<StackCall*>(arg)->fn)();
  return nullptr;
}

// A Decree source: a regular file of at most kMaxSourceBytes, checked before it is read.
bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    *error = fmt::format("{}: cannot open the file", path);
    return false;
  }
  if (!fs::is_regular_file(st)) {
    *error = fmt::format("{}: not a regular file (a Decree source is a file)", path);
    return false;
  }
  Status s = ReadWholeFile(path, kMaxSourceBytes, out, "source");
  if (!s.ok()) *error = s.message();
  return s.ok();
}

}  // namespace

void RunOnLargeStack(size_t bytes, const std::function<void()>& fn) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t thread;
  StackCall call{&fn};
  if (pthread_create(&thread, &attr, StackTrampoline, &call) != 0) {
    fn();  // fall back to the current stack
  } else {
    pthread_join(thread, nullptr);
  }
  pthread_attr_destroy(&attr);
}

bool CollectSourceFiles(const std::vector<std::string>& paths, std::vector<std::string>* files,
                        std::vector<std::string>* errors) {
  for (const std::string& p : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      errors->push_back(fmt::format("{}: no such file or directory", p));
      continue;
    }
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".decree") found.push_back(it->path().lexically_normal().string());
      }
      if (found.empty()) errors->push_back(fmt::format("{}: no .decree files in this folder", p));
      std::sort(found.begin(), found.end());
      files->insert(files->end(), found.begin(), found.end());
    } else {
      files->push_back(fs::path(p).lexically_normal().string());
    }
  }
  std::sort(files->begin(), files->end());
  files->erase(std::unique(files->begin(), files->end()), files->end());
  return errors->empty();
}

Compilation::Compilation(CompileOptions options) : options_(std::move(options)), diags_(&sources_) {}

int LoadAndParse(Compilation& c, const std::string& path, std::string text) {
  int id = c.sources_.Add(path, std::move(text));
  c.modules_.push_back(ParseModule(c.sources_, id, &c.diags_));
  return id;
}

namespace {

class LoadSourcesPass : public Pass {
 public:
  const char* name() const override { return "load"; }
  bool Run(Compilation& c) override {
    std::vector<std::string> files;
    CollectSourceFiles(c.options_.paths, &files, &c.load_errors_);
    for (const std::string& f : files) {
      std::string text, error;
      if (!ReadFile(f, &text, &error)) {
        c.load_errors_.push_back(error);
        continue;
      }
      c.root_files_.push_back(LoadAndParse(c, f, std::move(text)));
    }
    for (const auto& [path, text] : c.options_.inline_sources) c.root_files_.push_back(LoadAndParse(c, path, text));
    return !c.root_files_.empty();
  }
};

class ResolveImportsPass : public Pass {
 public:
  const char* name() const override { return "imports"; }
  bool Run(Compilation& c) override {
    c.sema_modules_.clear();
    // Modules may be appended while we go (imports load more files).
    for (size_t m = 0; m < c.modules_.size(); ++m) {
      std::vector<int> imports;
      const ast::Module* mod = c.modules_[m].get();
      for (const ast::Declaration& d : mod->decls) {
        const auto* imp = std::get_if<ast::ImportDecl>(&d);
        if (imp == nullptr) continue;
        int target = imp->is_path ? ByPath(c, static_cast<int>(m), *imp) : ByName(c, *imp);
        if (target < 0) continue;
        if (target == static_cast<int>(m)) {
          c.diags_.Error("E0208", imp->range, "a file cannot import itself");
          continue;
        }
        if (std::find(imports.begin(), imports.end(), target) == imports.end()) imports.push_back(target);
      }
      c.sema_modules_.push_back(SemaModule{c.modules_[m].get(), imports});
    }
    return true;
  }

 private:
  static int ByName(Compilation& c, const ast::ImportDecl& imp) {
    for (size_t i = 0; i < c.modules_.size(); ++i) {
      const auto& h = c.modules_[i]->header;
      if (h && h->name.name == imp.target) return static_cast<int>(i);
    }
    if (const char* text = BuiltinModuleText(imp.target)) {
      return LoadAndParse(c, "<builtin>/" + imp.target + ".decree", text);
    }
    c.diags_.Error("E0208", imp.range, fmt::format("unknown module `{}`", imp.target))
        .Help("import a file by path (`import \"common.decree\"`), a module named in the files given, or decree.canonical");
    return -1;
  }

  static int ByPath(Compilation& c, int from, const ast::ImportDecl& imp) {
    fs::path base = fs::path(c.sources_.file(c.modules_[from]->file).path()).parent_path();
    std::string path = (base / imp.target).lexically_normal().string();
    int existing = c.sources_.Find(path);
    if (existing >= 0) return existing;
    // Only Decree sources are imported: another file's text is never parsed, so never shown.
    if (fs::path(path).extension() != ".decree") {
      c.diags_.Error("E0208", imp.range, fmt::format("cannot import \"{}\": only .decree files can be imported", imp.target));
      return -1;
    }
    std::string text, error;
    if (!ReadFile(path, &text, &error)) {
      std::error_code ec;
      c.diags_.Error("E0208", imp.range,
                     fs::exists(path, ec) ? fmt::format("cannot import \"{}\": {}", imp.target, error)
                                          : fmt::format("cannot import \"{}\": {} not found", imp.target, path));
      return -1;
    }
    return LoadAndParse(c, path, std::move(text));
  }
};

// Names each source as the library records it: relative to the deepest folder holding every
// file given (a folder given is that folder), however the files were named.
class LibraryPathsPass : public Pass {
 public:
  const char* name() const override { return "library paths"; }
  bool Run(Compilation& c) override {
    std::error_code ec;
    std::vector<fs::path> roots;
    for (int id : c.root_files_) {
      const std::string& p = c.sources_.file(id).path();
      if (p.starts_with("<")) continue;
      roots.push_back(fs::weakly_canonical(fs::absolute(p, ec), ec).parent_path());
    }
    if (roots.empty()) return true;
    fs::path root = roots.front();
    for (const fs::path& r : roots) {
      fs::path common;
      auto a = root.begin(), b = r.begin();
      for (; a != root.end() && b != r.end() && *a == *b; ++a, ++b) common /= *a;
      root = common;
    }
    for (int id = 0; id < c.sources_.count(); ++id) {
      SourceFile& f = c.sources_.mutable_file(id);
      if (f.path().starts_with("<")) continue;
      fs::path abs = fs::weakly_canonical(fs::absolute(f.path(), ec), ec);
      f.set_library_path(abs.lexically_relative(root).generic_string());
    }
    return true;
  }
};

class SemaPass : public Pass {
 public:
  const char* name() const override { return "sema"; }
  bool Run(Compilation& c) override {
    RunSema(c.sema_modules_, c.sources_, &c.program_, &c.diags_);
    return true;
  }
};

}  // namespace

bool Compilation::Run() {
  std::vector<std::unique_ptr<Pass>> pipeline;
  pipeline.push_back(std::make_unique<LoadSourcesPass>());
  pipeline.push_back(std::make_unique<ResolveImportsPass>());
  pipeline.push_back(std::make_unique<LibraryPathsPass>());
  pipeline.push_back(std::make_unique<SemaPass>());
  bool completed = true;
  RunOnLargeStack(kFrontEndStack, [&]() {
    for (const auto& pass : pipeline) {
      if (!pass->Run(*this)) {
        completed = false;
        return;
      }
    }
  });
  return completed && load_errors_.empty() && !diags_.has_errors();
}

Status WriteRuleLibrary(Compilation& c, const std::string& path, const std::string& generator, std::string* content_hash) {
  return ir::WriteLibrary(&c.program(), path, generator, content_hash);
}

Status CheckReplaceableLibrary(const std::string& path) { return ir::CheckLibraryFile(path); }

}  // namespace decree
