// The B4 rule-library generator: N rules over the canonical Transaction layout, in rulesets of
// 100, with planted analysis findings whose exact set is known.
//
// Rules come in families of 5.  A family's rules all lie in one amount band (CNY amounts in
// [f × 1000, f × 1000 + 999]), so rules of different families never meet the same record — but
// only the solver can see that: their enum guards overlap, so pairs are not pruned before Z3.
// Each family has a base rule, two fillers with other verdicts, and one planted case by
// f mod 6: a duplicate, a narrowed copy (redundant), a block/allow conflict, the same pair
// settled by `overrides` (no finding), a dead rule, or a rule its exemption shadows.
#pragma once

#include <string>
#include <vector>

namespace decree::bench {

struct RuleLibrary {
  std::vector<std::pair<std::string, std::string>> files;  // relative path, text
  // Expected findings, sorted: "<kind> <rule> <other>" (other empty for dead and shadowed:
  // "shadowed <rule> <exemption>").
  std::vector<std::string> expected;
  // A rule the benchmark edits for the re-check (its file, and the text to replace and by what).
  std::string edit_file, edit_from, edit_to, edit_rule;
};

RuleLibrary GenerateRuleLibrary(int rules);

}  // namespace decree::bench
