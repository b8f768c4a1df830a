#include "diag/diagnostic.h"

#include <fmt/format.h>
#include <unicode/uchar.h>

#include <algorithm>
#include <tuple>

#include "decree/json.h"
#include "common/utf8.h"

namespace decree {

int DisplayWidth(uint32_t cp) {
  if (cp == '\t') return 4;
  int ea = u_getIntPropertyValue(static_cast<UChar32>(cp), UCHAR_EAST_ASIAN_WIDTH);
  if (ea == U_EA_WIDE || ea == U_EA_FULLWIDTH) return 2;
  int8_t type = u_charType(static_cast<UChar32>(cp));
  if (type == U_NON_SPACING_MARK || type == U_ENCLOSING_MARK) return 0;
  return 1;
}

Diagnostic& DiagnosticEngine::Add(Severity s, std::string code, const SourceRange& range, std::string message) {
  if (s == Severity::kError) {
    if (errors_ >= max_errors_) {
      ++errors_;
      overflow_ = Diagnostic();
      return overflow_;
    }
    ++errors_;
  } else {
    ++warnings_;
  }
  Diagnostic d;
  d.code = std::move(code);
  d.severity = s;
  d.range = range;
  d.message = std::move(message);
  diags_.push_back(std::move(d));
  return diags_.back();
}

Diagnostic& DiagnosticEngine::Error(std::string code, const SourceRange& range, std::string message) {
  return Add(Severity::kError, std::move(code), range, std::move(message));
}

Diagnostic& DiagnosticEngine::Warning(std::string code, const SourceRange& range, std::string message) {
  return Add(Severity::kWarning, std::move(code), range, std::move(message));
}

std::vector<Diagnostic> DiagnosticEngine::Sorted() const {
  std::vector<Diagnostic> out = diags_;
  auto key = [this](const Diagnostic& d) {
    std::string path = d.range.file >= 0 ? sources_->file(d.range.file).path() : std::string();
    return std::make_tuple(path, d.range.line, d.range.col, d.code, d.message);
  };
  std::stable_sort(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  out.erase(std::unique(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) { return key(a) == key(b); }),
            out.end());
  if (errors_ > max_errors_) {
    Diagnostic d;
    d.code = "E0106";
    d.message = fmt::format("too many errors: {} more not shown", errors_ - max_errors_);
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kNote: return "note";
  }
  return "error";
}

// Renders the source line of `r` and a caret line under it.
void RenderSnippet(const SourceManager& sm, const SourceRange& r, bool color, std::string* out) {
  if (!r.valid() || r.file >= sm.count()) return;
  const SourceFile& f = sm.file(r.file);
  std::string_view line = f.Line(r.line);
  std::string num = std::to_string(r.line);
  std::string pad(num.size(), ' ');
  // Long lines (a 10 MB one-liner) are cut around the caret.
  constexpr size_t kMaxShown = 160;
  size_t pos = 0;
  int col = 1;
  std::string shown, carets;
  int caret_end_col = r.end_line == r.line ? std::max(r.end_col, r.col + 1) : r.col + 1;
  if (r.end_line > r.line) caret_end_col = static_cast<int>(CountCodePoints(line)) + 1;
  int first_shown_col = std::max(1, r.col - 60);
  bool truncated_left = first_shown_col > 1;
  while (pos < line.size()) {
    size_t start = pos;
    uint32_t cp;
    if (!DecodeUtf8(line, &pos, &cp)) cp = 0xFFFD;
    if (col >= first_shown_col) {
      if (shown.size() >= kMaxShown) {
        shown += " ...";
        break;
      }
      int w = DisplayWidth(cp);
      if (cp == '\t') {
        shown += "    ";
      } else if (cp < 0x20 || cp == 0xFFFD) {
        shown += "?";
        w = 1;
      } else {
        shown.append(line.substr(start, pos - start));
      }
      char mark = (col >= r.col && col < caret_end_col) ? '^' : ' ';
      if (col < r.col || mark == '^') carets.append(static_cast<size_t>(w), mark);
    }
    ++col;
  }
  if (col <= r.col) carets.append(static_cast<size_t>(r.col - std::max(col, first_shown_col)), ' ');
  if (carets.find('^') == std::string::npos) carets += "^";
  std::string prefix = truncated_left ? "..." : "";
  std::string caret_prefix = truncated_left ? "   " : "";
  const char* blue = color ? "\x1b[1;34m" : "";
  const char* red = color ? "\x1b[1;31m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  *out += fmt::format("{} {}|{}\n", pad, blue, reset);
  *out += fmt::format("{}{} |{} {}{}\n", blue, num, reset, prefix, shown);
  *out += fmt::format("{} {}|{} {}{}{}{}\n", pad, blue, reset, caret_prefix, red, carets, reset);
}

std::string Location(const SourceManager& sm, const SourceRange& r) {
  if (!r.valid() || r.file >= sm.count()) return "";
  return fmt::format("{}:{}:{}", sm.file(r.file).path(), r.line, r.col);
}

}  // namespace

std::string DiagnosticEngine::RenderText(const Diagnostic& d, bool color) const {
  std::string out;
  const char* sev_color = !color ? "" : d.severity == Severity::kError ? "\x1b[1;31m" : "\x1b[1;33m";
  const char* bold = color ? "\x1b[1m" : "";
  const char* reset = color ? "\x1b[0m" : "";
  out += fmt::format("{}{}[{}]{}: {}{}{}\n", sev_color, SeverityName(d.severity), d.code, reset, bold, d.message, reset);
  std::string loc = Location(*sources_, d.range);
  if (!loc.empty()) {
    out += fmt::format("  --> {}\n", loc);
    RenderSnippet(*sources_, d.range, color, &out);
  }
  for (const DiagnosticNote& n : d.notes) {
    std::string nloc = Location(*sources_, n.range);
    if (nloc.empty()) {
      out += fmt::format("  = note: {}\n", n.message);
    } else {
      out += fmt::format("  = note: {} ({})\n", n.message, nloc);
      RenderSnippet(*sources_, n.range, color, &out);
    }
  }
  if (!d.help.empty()) out += fmt::format("  = help: {}\n", d.help);
  return out;
}

std::string DiagnosticEngine::RenderJson(const Diagnostic& d) const {
  std::string out;
  JsonWriter w(&out);
  auto put_range = [&](const SourceRange& r) {
    if (r.valid() && r.file < sources_->count()) {
      w.Field("file", sources_->file(r.file).path());
      w.Field("line", r.line).Field("column", r.col).Field("end_line", r.end_line).Field("end_column", r.end_col);
    }
  };
  w.BeginObject();
  w.Field("code", d.code).Field("severity", SeverityName(d.severity)).Field("message", d.message);
  put_range(d.range);
  if (!d.notes.empty()) {
    w.Key("notes").BeginArray();
    for (const DiagnosticNote& n : d.notes) {
      w.BeginObject().Field("message", n.message);
      put_range(n.range);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!d.help.empty()) w.Field("help", d.help);
  w.EndObject();
  return out;
}

}  // namespace decree
