// The analysis pass: Z3 checks of a compiled program for conflicting, dead, redundant and
// shadowed rules, gaps in exhaustive decisions and overlapping versions — each finding with a
// witness input.  Z3 never leaves this folder: callers see findings and witnesses as IR values.
//
//   analysis::Options o;
//   analysis::Report report;
//   Status st = analysis::Analyze(program, o, &report);
//
// Soundness: every input the encoding admits is a possible input (fields range over their
// types, tables and functions the solver cannot see are uninterpreted, aggregates are
// constrained only by what holds for every group).  So "no finding" is proved, and a finding's
// witness is a candidate the caller replays through the runtime ("confirmed by evaluation").
// A query the solver cannot decide in time is reported as unknown, never as "no finding".
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "decree/status.h"
#include "ir/ir.h"

namespace decree::analysis {

enum class Kind { kConflict, kDead, kRedundant, kShadowed, kGap, kOverlap };

const char* KindName(Kind k);   // "conflict", …: the names suppressions use
const char* KindRuleId(Kind k);  // "D0401", …: stable ids for SARIF and docs

struct TableRow {
  std::string table;              // qualified
  std::vector<ir::Value> values;  // keys then values, in declaration order
};

struct Witness {
  std::string layout;                                          // qualified
  std::vector<ir::Value> record;                               // one value per layout field
  // For rules over groups: the other records of the record's group (the aggregates shown are
  // theirs and the record's together).
  std::vector<std::vector<ir::Value>> group;
  std::vector<std::pair<std::string, std::string>> aggregates; // "sum(t.amount)" -> "51000.00 CNY"
  std::vector<TableRow> tables;                                // rows the record's lookups read
  // A record a batch could hold: every value is within its type and the rules involved read
  // no aggregate, so the runtime can evaluate it and confirm the finding.
  bool replayable = false;
  std::string not_replayable;  // why not, for the reader: "it reads aggregates over a group", …
};

struct Finding {
  Kind kind = Kind::kDead;
  std::string rule;   // the rule the finding is about
  std::string other;  // the other rule (conflict, redundant, shadowed), or empty
  std::string message;
  bool unknown = false;  // the solver could not decide (timeout): the finding may or may not hold
  bool has_witness = false;
  Witness witness;
  bool suppressed = false;
  std::string suppression_reason;
};

struct Options {
  int timeout_ms = 10000;  // per solver query
  std::string cache_path;  // SQLite file of query results keyed by rule hashes; empty: none
  bool prune = true;       // skip pairs that provably cannot interact before calling Z3
  // Called after each query (solved, or answered from the cache), on the analysing thread.
  std::function<void(uint64_t queries, uint64_t cached)> progress;
};

struct Stats {
  uint64_t rules = 0;
  uint64_t pairs = 0;          // rule pairs considered
  uint64_t pruned = 0;         // of those, settled without the solver
  uint64_t queries = 0;        // solver queries run
  uint64_t cached = 0;         // answered from the cache
  uint64_t unknown = 0;        // queries the solver could not decide
  double seconds = 0;
};

struct Report {
  std::vector<Finding> findings;  // sorted: kind, rule, other
  Stats stats;
};

Status Analyze(const ir::Program& program, const Options& options, Report* report);

// "Z3 4.8.12": the solver the analysis runs on (for `decree --version`).
std::string SolverVersion();

// Meaning differences between two versions of a library: for every rule id in both whose
// meaning (guard and verdicts) differs, a witness input the two treat differently.
struct Difference {
  std::string rule;
  std::string change;  // "added", "removed", "fires on more inputs", "fires on fewer inputs", …
  bool unknown = false;
  bool has_witness = false;
  Witness witness;
  bool old_fires = false, new_fires = false;  // on the witness
};

Status Diff(const ir::Program& old_program, const ir::Program& new_program, const Options& options,
            std::vector<Difference>* out);

}  // namespace decree::analysis
