// ExprChecker: one expression of the AST to typed IR in an environment (names, members,
// operators, calls, conversions, aggregates), with diagnostics.  Its definitions are split by
// kind: sema_expr.cpp (literals, names, members, keys) and sema_expr_ops.cpp (operators,
// conversions, calls, aggregates).  Internal to compiler/sema.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ir/ir_codec.h"
#include "ir/sexpr.h"
#include "sema/sema_internal.h"

namespace decree::sema {

using ir::Op;
using ir::Type;
using ir::TypeKind;

inline ir::ExprPtr Node(Op op, Type t) {
  auto e = std::make_unique<ir::Expr>();
  e->op = op;
  e->type = t;
  return e;
}

inline ir::ExprPtr ErrorNode() { return Node(Op::kConst, Type::Of(TypeKind::kError)); }

inline bool Bad(const ir::ExprPtr& e) { return e->type.is_error(); }

inline std::string Encode(const ir::Expr& e) { return PrintSExpr(ir::EncodeExpr(e)); }

inline bool IsTextKind(TypeKind k) { return k == TypeKind::kText || k == TypeKind::kId || k == TypeKind::kCountry; }
inline bool IsNumKind(TypeKind k) { return k == TypeKind::kInteger || k == TypeKind::kDecimal || k == TypeKind::kRate; }

// Edit distance, for "did you mean" suggestions.
inline size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

inline std::string Suggest(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = Distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

inline constexpr const char* kBuiltins =
    "sum count min max ratio day currency_class multiple_of length matches weekday abs lookup exists screen";

class ExprChecker {
 public:
  ExprChecker(Sema& s, Env& env) : s_(s), env_(env) {}

  ir::ExprPtr Check(const ast::Expr& e, const Type* hint);

  ir::ExprPtr Bool(const ast::Expr& e, const char* what);

 private:
  ir::ExprPtr Error(const char* code, const SourceRange& r, std::string msg);
  Diagnostic& Report(const char* code, const SourceRange& r, std::string msg);
  std::string Text(const ast::Expr& e) const { return s_.SourceText(e.range); }

  // A constant node, or a cast node wrapping a non-constant.
  ir::ExprPtr CastTo(ir::ExprPtr e, const Type& t);

  // ---- literals

  ir::ExprPtr Number(const ast::Expr& e, const Type* hint);

  ir::ExprPtr Percent(const ast::Expr& e);

  ir::ExprPtr String(const ast::Expr& e, const Type* hint);

  ir::ExprPtr Set(const ast::Expr& e, const Type* hint);

  // ---- names

  bool IsRowVar(const std::string& n) const;

  ir::ExprPtr RowVarMarker() { return ir::MakeConst(ir::Value::Null(), Type::Record(env_.layout)); }

  ir::ExprPtr Name(const ast::Expr& e, const Type* hint);

  // A named set of enum values, typed by the enum it is compared with.
  ir::ExprPtr EnumNames(const ast::Expr& e, const ConstState& c, const Type* hint);

  // Applies currency facts to a money expression of unknown currency.
  void Refine(ir::Expr* e);

  ir::ExprPtr Member(const ast::Expr& e);

  // In a group guard, an expression written exactly like a `per` key stands for that key.
  ir::ExprPtr MatchKey(const ast::Expr& e);

 public:
  const std::vector<const ast::Expr*>* key_asts_ = nullptr;
  // let parameters bound to argument expressions, checked in the caller's environment.
  std::map<std::string, std::pair<const ast::Expr*, Env*>> substitutions_;

 private:
  // ---- operators

  // Brings two operands to a common type for comparison or addition.  False after a
  // diagnostic (or when an operand already failed).
  bool Unify(ir::ExprPtr* a, ir::ExprPtr* b, const ast::Expr& where, const char* verb);

  // Literal-like operands (bare names, strings, sets) take their type from the other side.
  static bool NeedsHint(const ast::Expr& e);

  // Checks both operands; a literal-like operand whose partner failed is not checked at all
  // (it would only produce a second, misleading error).
  void CheckPair(const ast::Expr& l, const ast::Expr& r, ir::ExprPtr* a, ir::ExprPtr* b);

  ir::ExprPtr Binary(const ast::Expr& e, const Type* hint);

  ir::ExprPtr AddSub(const ast::Expr& e, ir::ExprPtr a, ir::ExprPtr b, bool optional);

  ir::ExprPtr Mul(const ast::Expr& e, ir::ExprPtr a, ir::ExprPtr b, bool optional);

  ir::ExprPtr Neg(const ast::Expr& e, const Type* hint);

  ir::ExprPtr AndOr(const ast::Expr& e);

  ir::ExprPtr In(const ast::Expr& e);

  ir::ExprPtr If(const ast::Expr& e, const Type* hint);

  // ---- conversion

  ir::ExprPtr Convert(const ast::Expr& e);

  // day(<the layout's time field>) in the ruleset's time zone.
  ir::ExprPtr DayOfRow(const SourceRange& r);

  // ---- calls

  ir::ExprPtr Call(const ast::Expr& e, const Type* hint);

  ir::ExprPtr Inline(const ast::Expr& e, const ast::LetDecl& let, int owner, const Type* hint);

  ir::ExprPtr Aggregate(const ast::Expr& e);

  Sema& s_;
  Env& env_;
};

}  // namespace decree::sema
