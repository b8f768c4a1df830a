// Sema: the bind and type-check stage.  AST (syntax/ast.h) in, typed IR (runtime/ir/ir.h) out.
//
// Resolves names across a file and the modules it imports, checks types (including units:
// money carries its currency, and mixing currencies without a declared conversion is an
// error), extracts aggregates from group guards, inlines `let` helpers, folds constants, links
// exemptions and precedence, and turns test blocks into test records.  Reports every problem
// it finds (codes E02xx names, E03xx types, E04xx structure) and keeps going.
#pragma once

#include <vector>

#include "diag/diagnostic.h"
#include "ir/ir.h"
#include "syntax/ast.h"

namespace decree {

struct SemaModule {
  const ast::Module* ast = nullptr;
  std::vector<int> imports;  // indices into the SemaModule list, resolved by the driver
};

// Appends everything it binds to `program`.  The program is meaningful only when no error was
// reported.
void RunSema(const std::vector<SemaModule>& modules, const SourceManager& sources, ir::Program* program,
             DiagnosticEngine* diags);

}  // namespace decree
