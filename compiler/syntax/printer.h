// The canonical formatter behind `decree fmt`.
//
// Contract: FormatModule is a function of the AST and its comments only, so formatting is
// idempotent (fmt(fmt(x)) == fmt(x)), re-parsing its output yields the same AST (ast::Dump),
// and every comment of the input appears in the output (comments inside a clause move to the
// line before the next clause).
#pragma once

#include <string>

#include "syntax/ast.h"

namespace decree {

std::string FormatModule(const ast::Module& m);
std::string FormatExpr(const ast::Expr& e);

}  // namespace decree
