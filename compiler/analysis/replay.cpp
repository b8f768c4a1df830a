#include "analysis/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "ir/ir.h"
#include "testing/replay.h"

namespace decree::analysis {

Replay ReplayWitness(const ir::Program& program, const Finding& f) {
  Replay out;
  if (!f.has_witness) return out;
  const analysis::Witness& w = f.witness;
  if (!w.replayable) {
    out.outcome = Replay::Outcome::kNotReplayable;
    out.detail = fmt::format("shown, not replayed: {}", w.not_replayable.empty() ? "it cannot be built as one record" : w.not_replayable);
    return out;
  }
  std::map<std::string, TableRows> tables;
  for (const analysis::TableRow& row : w.tables) {
    tables[row.table].table = row.table;
    tables[row.table].rows.push_back(row.values);
  }
  std::vector<TableRows> given;
  for (auto& [name, rows] : tables) given.push_back(std::move(rows));
  // Just the rules the finding is about, the rules that override them, and the exemptions (a
  // library of thousands of rules would otherwise be planned once per witness).
  std::vector<std::string> involved{f.rule};
  if (!f.other.empty()) involved.push_back(f.other);
  for (const ir::Decision& d : program.decisions) {
    if (d.id == f.rule) involved.insert(involved.end(), d.branches.begin(), d.branches.end());
  }
  for (const ir::Rule& r : program.rules) {
    for (const std::string& o : r.overrides) {
      if (std::find(involved.begin(), involved.end(), o) != involved.end()) {
        involved.push_back(r.id);
        break;
      }
    }
  }
  RunResult result;
  std::vector<std::vector<ir::Value>> records{w.record};
  records.insert(records.end(), w.group.begin(), w.group.end());
  Status st = RunRecords(program, w.layout, records, given, &result, involved);
  if (!st.ok()) {
    out.outcome = Replay::Outcome::kFailed;
    out.detail = st.ToString();
    return out;
  }
  if (!result.rejects.empty()) {
    out.outcome = Replay::Outcome::kNotReplayable;
    out.detail = "the runtime rejects the witness as input: " + result.rejects[0].reason;
    return out;
  }
  // What fired on the witness record: with a group, the findings whose records include it.
  const ir::Layout* layout = program.FindLayout(w.layout);
  std::string id;
  if (!w.group.empty() && layout != nullptr && layout->id_field >= 0 && static_cast<size_t>(layout->id_field) < w.record.size()) {
    id = w.record[static_cast<size_t>(layout->id_field)].s;
  }
  std::set<std::string> fired;
  for (const decree::Finding& x : result.findings) {
    if (id.empty() || std::find(x.txn_ids.begin(), x.txn_ids.end(), id) != x.txn_ids.end()) fired.insert(x.rule);
  }
  auto did = [&](const std::string& id) { return fired.count(id) > 0; };
  bool ok = true;
  switch (f.kind) {
    case Kind::kConflict: ok = did(f.rule) && did(f.other); break;
    case Kind::kShadowed: ok = !did(f.rule); break;
    case Kind::kGap:
      for (const ir::Decision& d : program.decisions) {
        if (d.id != f.rule) continue;
        for (const std::string& b : d.branches) ok = ok && !did(b);
      }
      break;
    default: break;
  }
  std::vector<std::string> names(fired.begin(), fired.end());
  out.outcome = ok ? Replay::Outcome::kConfirmed : Replay::Outcome::kDisagrees;
  out.detail = names.empty() ? "no rule fires on it" : fmt::format("fired on it: {}", fmt::join(names, ", "));
  return out;
}

std::string FiresOn(const ir::Program& p, const std::string& rule, const Witness& w) {
  if (!w.replayable) return "not replayed";
  std::vector<TableRows> tables;
  for (const TableRow& row : w.tables) tables.push_back(TableRows{row.table, {row.values}});
  RunResult r;
  if (!RunRecords(p, w.layout, {w.record}, tables, &r).ok() || !r.rejects.empty()) return "not replayed";
  for (const decree::Finding& f : r.findings) {
    if (f.rule == rule) return "fires";
  }
  return "does not fire";
}

}  // namespace decree::analysis
