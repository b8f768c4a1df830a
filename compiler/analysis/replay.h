// Replaying an analysis finding's witness through the runtime: the runtime, not the solver,
// says which rules fire on it ("confirmed by evaluation"), so a finding the runtime disagrees
// with is reported as a bug rather than trusted.  No Z3 here: only the witness's values.
#pragma once

#include <string>

#include "analysis/analysis.h"

namespace decree::analysis {

// What the runtime says about a finding's witness.
struct Replay {
  enum class Outcome { kNone, kConfirmed, kDisagrees, kNotReplayable, kFailed } outcome = Outcome::kNone;
  std::string detail;  // which rules fired on the witness, or why it could not run
};

// Runs the witness through the runtime and checks what the finding claims: both rules fire
// (conflict), the rule and the other fire (redundant), the rule does not fire (shadowed), no
// case fires (gap).
Replay ReplayWitness(const ir::Program& program, const Finding& f);

// "fires", "does not fire" or "not replayed": `rule` on the witness's record in `program`
// (decree diff, for each side).
std::string FiresOn(const ir::Program& program, const std::string& rule, const Witness& w);

}  // namespace decree::analysis
