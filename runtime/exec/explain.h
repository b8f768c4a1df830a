// Findings: why a guard held (the explanation and the total), verdicts and due dates, JSON.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "decree/run.h"
#include "exec/tables.h"
#include "ir/eval.h"
#include "ir/ir.h"

namespace decree::exec {

struct Explanation {
  std::string text;     // "sum(t.amount) 51000.00 CNY >= 50000 CNY"
  bool has_total = false;
  ir::Value total;      // the money value that decided, when there is one
};

// Walks `when` along the path that made it true: every operand of an `and`, the first true
// operand of an `or`; reports each comparison with its values.  Comparisons of keys alone
// are left out (the key shows them).
Explanation Explain(const ir::Program& p, const ir::Rule& rule, const ir::Expr& when, const ir::EvalContext& ctx);

// The same, prepared once for a rule and reused for each of its findings: labels and
// constants are rendered once.  Not thread-safe (it caches); one per thread.
class ExplainPlan {
 public:
  ExplainPlan(const ir::Program& p, const ir::Rule& rule, const ir::Expr& when);
  ~ExplainPlan();
  ExplainPlan(const ExplainPlan&) = delete;
  ExplainPlan& operator=(const ExplainPlan&) = delete;

  // Replaces *out with the explanation for the row or group of `ctx`.  When `when` is an
  // `or`, `branch` may name its first true operand (found by the caller, columnar), which
  // saves evaluating the operands here one by one.
  void Explain(const ir::EvalContext& ctx, Explanation* out, int branch = -1);
  // The operands of `when` when it is an `or` (empty otherwise).
  const std::vector<const ir::Expr*>& branches() const { return branches_; }

 private:
  struct Side;
  struct Node;
  Node Build(const ir::Expr& e) const;
  Side MakeSide(const ir::Expr& e) const;
  void AppendSide(Side& s, const ir::EvalContext& ctx, Explanation* out);
  void Walk(Node& n, const ir::EvalContext& ctx, Explanation* out);

  const ir::Program& p_;
  const ir::Rule& rule_;
  std::unique_ptr<Node> root_;
  std::vector<const ir::Expr*> branches_;
  ir::Value value_;  // scratch
};

// The date `days` (business) days after `date`: Monday-Friday, adjusted by a calendar table.
// Counting through a day of a year the calendar lists no date of sets *uncovered_year (if
// still 0) to that year: that part of the count is Monday–Friday.
int32_t AddDays(int32_t date, int days, bool business, const TableData* calendar, int* uncovered_year = nullptr);

// Fills a finding's verdict fields (actions, report, due, flag, message, classification).
void FillVerdicts(const ir::Program& p, const ir::Rule& rule, int32_t date, const Tables* tables, Finding* f);

// Renders a key value as it appears in findings (strings for every kind).
std::string KeyText(const ir::Value& v, const ir::Program& p);

}  // namespace decree::exec
