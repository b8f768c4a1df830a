// Text encoding of IR pieces inside the rule library (see docs/library-format.md, "IR").
//
// Expressions:  (<op> "<type>" [(i <index>)] [(n "<name>")] [(v "<value>")] [(t "<text>")] <kid>*)
// Rules, tests and their parts are tagged lists documented next to Encode*.
// Decoding validates structure (arity, indices, kinds) so that a loaded Program satisfies the
// invariants stated in ir.h; a violation is a Corruption status naming what is wrong.
#pragma once

#include <string>

#include "decree/status.h"
#include "ir/ir.h"
#include "ir/sexpr.h"

namespace decree::ir {

SExpr EncodeExpr(const Expr& e);
Status DecodeExpr(const SExpr& s, ExprPtr* out);

// The semantic part of a rule (everything but id, citation, location and source text, which
// the library keeps in columns of their own).
std::string EncodeRuleBody(const Rule& r);
Status DecodeRuleBody(const std::string& text, Rule* r);

std::string EncodeTest(const Test& t);
Status DecodeTest(const std::string& text, Test* t);

// Checks a rule's expressions against its layout and the program's tables: arity, index
// ranges, row-level vs group-level references, boolean guards.
Status ValidateRule(const Program& p, const Rule& r);

// SHA-256 over everything that determines what a rule means: its IR, effective dates, layout
// fields and the ruleset's time zone.  The analysis cache is keyed by it.
std::string ComputeRuleHash(const Program& p, const Rule& r);

}  // namespace decree::ir
