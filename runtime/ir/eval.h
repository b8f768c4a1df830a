// Scalar evaluation of IR expressions, one value at a time.
//
// Used where values are few: constant folding in the compiler, the group-level guard of each
// candidate finding, test records and witnesses.  The row-level hot path has its own columnar
// evaluator (runtime/exec) with the same semantics; tests check the two agree.
//
// Semantics: SQL three-valued logic (null propagates; `and`/`or` are Kleene and evaluate left
// to right, stopping at the first false/true, so a guard like `class = CNY and sum(...) >= X`
// never evaluates the sum of another class).  Arithmetic is exact; overflow, a missing rate,
// or money of two currencies meeting is an error, never a wrong answer.
#pragma once

#include <string>
#include <vector>

#include "ir/ir.h"

namespace decree::ir {

class EvalContext {
 public:
  virtual ~EvalContext() = default;
  virtual Value Column(int index) const;
  virtual Value Key(int index) const;
  virtual Value Agg(int index, std::string* error) const;
  // Finds the row of `table` with key `key`; sets *out to its value column `column` (or to
  // true for a key-only membership test).  Returns false when the key is absent.
  virtual bool Lookup(int table, const std::vector<Value>& key, const std::string& column, Value* out) const;
  // Screening score of `name` against watch list `list` in [0, 1] at scale 4.
  virtual bool Screen(const std::string& list, const std::string& name, Value* score, std::string* error) const;
  // The list entry behind Screen()'s score, for explanations ("" when none).
  virtual std::string ScreenMatch(const std::string& list, const std::string& name) const;
};

bool EvalScalar(const Program& p, const Expr& e, const EvalContext& ctx, Value* out, std::string* error);

// Applies one operator (not kConst/kColumn/kKey/kAgg/kAnd/kOr/kIf, which need their operands
// unevaluated) to already-evaluated operands.  The columnar evaluator uses this for operators
// it has no vector kernel for, so both paths share one definition.
bool ApplyOp(const Program& p, const Expr& e, const std::vector<Value>& operands, const EvalContext& ctx, Value* out,
             std::string* error);

// A convenience for constant expressions: no columns, keys, aggregates or tables.
bool EvalConstant(const Program& p, const Expr& e, Value* out, std::string* error);

}  // namespace decree::ir
