// Columnar evaluation of IR expressions over a chunk and a selection vector.
//
// An expression is compiled once per worker into a tree of nodes, each owning its result
// buffer; Eval() runs one tight, typed loop per node per chunk (an enum switch, never a
// virtual call per row) and writes results at the selected rows' positions.  `and`, `or` and
// `if` narrow the selection for the operands they still need, so a row is evaluated exactly as
// far as the scalar evaluator (ir/eval.h) would go, and errors (a missing rate, an overflow)
// are raised only for rows that reach them.  Operators without a kernel fall back, row by
// row, to ir::ApplyOp: one definition of their semantics for both paths.
//
// Row-level expressions read the chunk's columns (one per layout field).  Group-level
// expressions read a "group chunk" whose columns are the rule's keys, then its aggregates.
#pragma once

#include <memory>

#include "decree/status.h"
#include "exec/tables.h"
#include "vector/vector.h"
#include "ir/ir.h"

namespace decree::exec {

struct ExecEnv {
  const ir::Program* program = nullptr;
  const Tables* tables = nullptr;             // null when the run has no tables
  const ir::EvalContext* scalar = nullptr;    // table lookups and screening for fallbacks
  // screen(): this worker's screener over tables->screening(); null: the shared one (locked).
  screen::RuleScreener* screener = nullptr;
};

class CompiledExpr {
 public:
  // `key_count`: for group-level expressions, the number of key columns before the aggregates
  // in the group chunk; -1 for row-level expressions.
  static Status Compile(const ir::Expr& e, const ExecEnv& env, int key_count, std::unique_ptr<CompiledExpr>* out);
  ~CompiledExpr();

  // Evaluates the rows of `sel`.  The result is valid for those rows until the next Eval.
  // Rows that fail are added to `errors` (their result slot is null).
  Vec Eval(const Chunk& input, const Sel& sel, RowErrors* errors);

  // Narrows `sel` to the rows for which this boolean expression is true.
  void Filter(const Chunk& input, const Sel& in, Sel* out, RowErrors* errors);

  const ir::Type& type() const;

  struct Node;

 private:
  CompiledExpr() = default;
  std::unique_ptr<Node> root_;
  ExecEnv env_;
};

}  // namespace decree::exec
