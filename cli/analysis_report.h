// Showing analysis findings: as diagnostics with carets, as JSON or as SARIF 2.1.0; and
// replaying their witnesses through the runtime ("confirmed by evaluation").
#pragma once

#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "analysis/replay.h"
#include "driver/compilation.h"

namespace decree::cli {

using analysis::Replay;
using analysis::ReplayWitness;

// "txn_id = "x1", booked_at = 2026-01-01T00:00:00Z, amount = 1.00 CNY, …" (+ aggregates, rates)
std::string DescribeWitness(const ir::Program& program, const analysis::Witness& w);

// The finding as a diagnostic in the compilation's sources (error, or a warning when
// suppressed or undecided).
Diagnostic ToDiagnostic(Compilation& c, const analysis::Finding& f, const Replay& replay);

// A SARIF 2.1.0 log of the compilation's diagnostics and the analysis findings.
std::string Sarif(Compilation& c, const std::vector<Diagnostic>& diagnostics, const std::vector<analysis::Finding>& findings,
                  const std::vector<Replay>& replays);

// The analysis part of `check --format json`.
void AppendFindingsJson(const ir::Program& program, const std::vector<analysis::Finding>& findings,
                        const std::vector<Replay>& replays, const analysis::Stats& stats, std::string* json);

}  // namespace decree::cli
