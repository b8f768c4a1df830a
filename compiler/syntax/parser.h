// The parse stage: Decree source text -> AST (syntax/ast.h).
//
// Reports lexical and syntax errors (codes E01xx) with locations into the DiagnosticEngine and
// always returns a Module: after errors it holds what could be recovered, with ExprKind-less
// gaps filled by placeholder expressions, so later passes can still report what they find.
// Bounded: files over kMaxSourceBytes, more than kMaxTokens tokens, or nesting deeper than
// kMaxNesting are rejected with a diagnostic before the parser runs (no stack overflow, no
// pathological parse times).
#pragma once

#include <cstddef>
#include <memory>

#include "diag/diagnostic.h"
#include "syntax/ast.h"

namespace decree {

inline constexpr size_t kMaxSourceBytes = 16u << 20;
inline constexpr size_t kMaxTokens = 4000000;
inline constexpr int kMaxNesting = 256;
inline constexpr size_t kMaxStringBytes = 1u << 20;
inline constexpr int kMaxSyntaxErrors = 25;

std::unique_ptr<ast::Module> ParseModule(const SourceManager& sources, int file, DiagnosticEngine* diags);

}  // namespace decree
