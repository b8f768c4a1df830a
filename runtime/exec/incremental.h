// The batch evaluator's parts, one record at a time (the online engine, runtime/engine).
//
// A record is evaluated once, when it arrives (Evaluate): its row rules' findings, and the
// contribution records a batch Worker keeps of it for each grouped rule.  A decision (Decide)
// finalizes only the groups the record joined, over the held records' contributions with the
// same key, with the batch finalizers.  So its findings are the findings decree::Run writes for
// the held set that include the record, in the order Run writes them, and a decision costs the
// record's groups, not its partition's whole history.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "decree/run.h"
#include "exec/tables.h"
#include "ir/ir.h"
#include "vector/vector.h"

namespace decree::exec {

class Incremental {
 public:
  // What evaluating one record gives.
  struct Evaluation {
    // For each grouped rule the record counts in: the rule's index (u32), the record's size
    // (u32), the record (exec/group_table.h's RecordCodec).
    std::string contributions;
    std::vector<Finding> row_findings;  // the row rules' findings on the record
    std::string rejected;               // why evaluation rejects the record; empty when it does not
  };

  // The rules of `layout` (all, or `only_rules`) over `tables`, which must outlive this.
  // NotSupported for path rules (a path crosses partitions).
  static Status Open(const ir::Program& program, const ir::Layout& layout, const Tables& tables,
                     const std::vector<std::string>& only_rules, std::unique_ptr<Incremental>* out);
  ~Incremental();

  // Evaluates every row of `c`, row r into out[r] (as a one-row chunk would be: each row's
  // findings and contributions are its own, whatever else the chunk holds).  `c.pos` must
  // be ascending.
  void Evaluate(const Chunk& c, Evaluation* out);
  // The findings that include `id` over the record `own` and the records whose contributions
  // are `held` (own's are not among them), in decree::Run's order.
  Status Decide(const Evaluation& own, const std::vector<const std::string*>& held, std::string_view id,
                std::vector<Finding>* out);

 private:
  struct State;
  explicit Incremental(std::unique_ptr<State> state);
  // Evaluate over rows whose ids are distinct (State::row_of_id maps them to rows).
  void EvaluateSlice(const Chunk& c, Evaluation* out);
  std::unique_ptr<State> s_;
};

}  // namespace decree::exec
