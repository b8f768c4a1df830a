// Diagnostics: user mistakes reported with a stable code, a message, a location, the source
// line with a caret, and related notes.  Passes report into a DiagnosticEngine and keep going;
// the driver sorts and prints all of them at the end (docs/diagnostics.md lists the codes).
#pragma once

#include <string>
#include <vector>

#include "diag/source.h"

namespace decree {

enum class Severity { kError, kWarning, kNote };

struct DiagnosticNote {
  SourceRange range;  // may be invalid: a note without a location
  std::string message;
};

struct Diagnostic {
  std::string code;  // "E0301"
  Severity severity = Severity::kError;
  std::string message;
  SourceRange range;
  std::vector<DiagnosticNote> notes;
  std::string help;  // a suggestion, printed as "help: ..."

  Diagnostic& Note(const SourceRange& r, std::string m) { notes.push_back({r, std::move(m)}); return *this; }
  Diagnostic& Note(std::string m) { notes.push_back({SourceRange(), std::move(m)}); return *this; }
  Diagnostic& Help(std::string h) { help = std::move(h); return *this; }
};

class DiagnosticEngine {
 public:
  explicit DiagnosticEngine(const SourceManager* sources, size_t max_errors = 200)
      : sources_(sources), max_errors_(max_errors) {}

  Diagnostic& Error(std::string code, const SourceRange& range, std::string message);
  Diagnostic& Warning(std::string code, const SourceRange& range, std::string message);

  size_t error_count() const { return errors_; }
  size_t warning_count() const { return warnings_; }
  bool has_errors() const { return errors_ > 0; }
  // True once max_errors errors were reported; later ones are counted but not kept.
  bool saturated() const { return errors_ >= max_errors_; }

  // Sorted by file, line, column, code; duplicates (same code, place and message) removed.
  std::vector<Diagnostic> Sorted() const;

  // "error[E0301]: message\n  --> file:line:col\n  | source\n  | ^^^^\n  = note: ...\n"
  std::string RenderText(const Diagnostic& d, bool color) const;
  // {"code":..., "severity":..., "message":..., "file":..., "line":..., "column":..., ...}
  std::string RenderJson(const Diagnostic& d) const;

  const SourceManager* sources() const { return sources_; }

 private:
  Diagnostic& Add(Severity s, std::string code, const SourceRange& range, std::string message);

  const SourceManager* sources_;
  size_t max_errors_;
  std::vector<Diagnostic> diags_;
  Diagnostic overflow_;  // returned once saturated, then discarded
  size_t errors_ = 0;
  size_t warnings_ = 0;
};

// Display width of a code point in a terminal: 2 for East Asian wide and full-width
// characters, 0 for combining marks, else 1.
int DisplayWidth(uint32_t cp);

}  // namespace decree
