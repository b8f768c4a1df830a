#include <fmt/format.h>

#include <algorithm>

#include "decree/testing.h"
#include "testing/replay.h"
#include "common/civil.h"
#include "exec/explain.h"
#include "exec/run_source.h"
#include "ir/ir.h"

namespace decree {

namespace {

std::string Describe(const Finding& f) {
  std::vector<std::string> key;
  for (const auto& [k, v] : f.key) key.push_back(v);
  std::string due;
  if (!f.due.empty()) due = " due " + f.due + (f.due_note.empty() ? "" : " (" + f.due_note + ")");
  return fmt::format("({}) txns [{}]{}", fmt::join(key, ", "), fmt::join(f.txn_ids, ", "), due);
}

// The watch lists of a test (its `given list` entries) or of a witness replay (none): every
// list the rules screen against exists, empty unless entries were given for it.
Status SetTestScreening(const ir::Program& program, const std::vector<const ir::TestRecord*>& entries, exec::Tables* tables) {
  std::vector<std::string> used = screen::RuleScreening::ListsUsed(program);
  if (used.empty()) return Status::Ok();
  std::vector<screen::WatchList> lists;
  auto list = [&](const std::string& id) -> screen::WatchList& {
    for (screen::WatchList& l : lists) {
      if (l.list_id == id) return l;
    }
    lists.emplace_back();
    lists.back().list_id = id;
    lists.back().source = "test";
    return lists.back();
  };
  for (const std::string& id : used) list(id);
  for (const ir::TestRecord* g : entries) {
    // The fields of a `given list` entry: watchlist.csv's columns (sema), absent ones null.
    screen::WatchEntry e;
    std::string aliases;
    for (const auto& [name, value] : g->fields) {
      if (name == "entry_id") e.entry_id = value.s;
      if (name == "entry_type") e.entry_type = value.s;
      if (name == "country") e.country = value.s;
      if (name == "birth_date") e.birth_date = value.s;
      if (name == "program") e.program = value.s;
      if (name == "name") e.names.insert(e.names.begin(), screen::ListName{value.s, screen::NameSource::kPrimary});
      if (name == "aliases") aliases = value.s;
    }
    screen::AddAliases(aliases, &e);
    list(g->target).entries.push_back(std::move(e));
  }
  std::unique_ptr<screen::RuleScreening> s;
  Status st = screen::RuleScreening::Build(program, std::move(lists), &s);
  if (!st.ok()) return st;
  tables->SetScreening(std::move(s));
  return Status::Ok();
}

bool KeyMatches(const Finding& f, const std::vector<std::string>& want) {
  if (!f.keyed) return want.empty() || (want.size() == 1 && f.txn_ids.size() == 1 && f.txn_ids[0] == want[0]);
  if (want.size() > f.key.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    if (f.key[i].second != want[i]) return false;
  }
  return true;
}

}  // namespace

Status RunRecords(const ir::Program& program, const std::string& layout_name, std::vector<std::vector<ir::Value>> records,
                  const std::vector<TableRows>& given, RunResult* result, const std::vector<std::string>& only_rules) {
  const ir::Layout* layout = program.FindLayout(layout_name);
  if (layout == nullptr) return Status::InvalidArgument("unknown layout " + layout_name);
  exec::Tables tables(program);
  std::vector<std::unique_ptr<exec::TableData>> owned(program.tables.size());
  for (const TableRows& g : given) {
    int t = program.TableIndex(g.table);
    if (t < 0) return Status::InvalidArgument("unknown table " + g.table);
    if (!owned[t]) owned[t] = std::make_unique<exec::TableData>(program, t);
    for (const std::vector<ir::Value>& row : g.rows) {
      Status st = owned[t]->AddRow(row, "witness");
      if (!st.ok()) return st;
    }
  }
  for (size_t t = 0; t < owned.size(); ++t) {
    if (owned[t]) {
      tables.Set(static_cast<int>(t), std::move(owned[t]));
    } else if (tables.Get(static_cast<int>(t)) == nullptr) {  // not shipped in the library either
      tables.Set(static_cast<int>(t), std::make_unique<exec::TableData>(program, static_cast<int>(t)));
    }
  }
  Status st = SetTestScreening(program, {}, &tables);
  if (!st.ok()) return st;
  auto source = io::MakeValueSource(program, *layout, std::move(records));
  RunOptions options;
  options.threads = 1;
  options.only_rules = only_rules;
  return exec::RunSource(program, *layout, *source, tables, options, result);
}

namespace {

Status RunOne(const ir::Program& program, const ir::Test& test, TestOutcome* out) {
  // Records by layout; table rows into tables.
  exec::Tables tables(program);
  std::vector<std::unique_ptr<exec::TableData>> owned(program.tables.size());
  const ir::Layout* layout = nullptr;
  std::vector<std::vector<ir::Value>> records;
  std::vector<const ir::TestRecord*> list_entries;
  for (const ir::TestRecord& g : test.given) {
    if (g.is_list) {
      list_entries.push_back(&g);
      continue;
    }
    if (g.is_table) {
      int t = program.TableIndex(g.target);
      if (t < 0) return Status::Corruption("test names an unknown table " + g.target);
      if (!owned[t]) owned[t] = std::make_unique<exec::TableData>(program, t);
      std::vector<ir::Value> row;
      for (const auto& [name, value] : g.fields) row.push_back(value);
      Status st = owned[t]->AddRow(std::move(row), fmt::format("{}:{}", g.loc.file, g.loc.line));
      if (!st.ok()) return st;
      continue;
    }
    const ir::Layout* l = program.FindLayout(g.target);
    if (l == nullptr) return Status::Corruption("test names an unknown layout " + g.target);
    if (layout != nullptr && layout != l) {
      return Status::InvalidArgument(fmt::format("{}:{}: a test gives records of two layouts", g.loc.file, g.loc.line));
    }
    layout = l;
    std::vector<ir::Value> rec;
    for (const ir::Field& f : l->fields) {
      auto it = std::find_if(g.fields.begin(), g.fields.end(), [&](const auto& x) { return x.first == f.name; });
      rec.push_back(it == g.fields.end() ? ir::Value::Null() : it->second);
    }
    records.push_back(std::move(rec));
  }
  // Tables the test did not give hold the rows the library ships, or none: a lookup in them
  // fails as it would at run time.
  for (size_t t = 0; t < owned.size(); ++t) {
    if (owned[t]) {
      tables.Set(static_cast<int>(t), std::move(owned[t]));
    } else if (tables.Get(static_cast<int>(t)) == nullptr) {  // not shipped in the library either
      tables.Set(static_cast<int>(t), std::make_unique<exec::TableData>(program, static_cast<int>(t)));
    }
  }
  if (layout == nullptr) {
    for (const ir::Expectation& e : test.expects) {
      if (const ir::Rule* r = program.FindRule(e.rule)) layout = program.FindLayout(r->layout);
    }
  }
  if (layout == nullptr) return Status::InvalidArgument("the test gives no records");
  Status st = SetTestScreening(program, list_entries, &tables);
  if (!st.ok()) return st;
  auto source = io::MakeValueSource(program, *layout, std::move(records));
  RunOptions options;
  options.threads = 1;
  // A test is its ruleset's: other rulesets compiled alongside (`decree test rulesets/`) do not
  // take part — their rules could reject its records (a rate they convert with, say) — except
  // the rules its expectations name (another ruleset's rule it overrides or exempts from).
  std::vector<std::string> named;
  for (const ir::Expectation& e : test.expects) {
    named.push_back(e.rule);
    for (const ir::Decision& d : program.decisions) {
      if (d.id == e.rule) named.insert(named.end(), d.branches.begin(), d.branches.end());
    }
  }
  for (const ir::Rule& r : program.rules) {
    bool in = r.ruleset == test.ruleset || std::find(named.begin(), named.end(), r.id) != named.end();
    if (in && r.layout == layout->name &&
        std::find(options.only_rules.begin(), options.only_rules.end(), r.id) == options.only_rules.end()) {
      options.only_rules.push_back(r.id);
    }
  }
  RunResult result;
  st = exec::RunSource(program, *layout, *source, tables, options, &result);
  if (!st.ok()) return st;
  out->passed = true;
  for (const ir::Expectation& e : test.expects) {
    std::string at = fmt::format("{}:{}", e.loc.file, e.loc.line);
    if (e.kind == ir::ExpectKind::kRejected) {
      bool hit = std::any_of(result.rejects.begin(), result.rejects.end(), [&](const RejectedRow& r) { return r.record_id == e.record; });
      if (!hit) {
        out->failures.push_back(fmt::format("{}: expected record \"{}\" to be rejected; it was not", at, e.record));
      }
      continue;
    }
    std::vector<std::string> want;
    for (const ir::Value& v : e.key_prefix) want.push_back(exec::KeyText(v, program));
    // An expectation on a decision is met by a finding of any of its cases.
    std::vector<std::string> rules = {e.rule};
    for (const ir::Decision& d : program.decisions) {
      if (d.id == e.rule) rules = d.branches;
    }
    std::vector<const Finding*> of_rule, matching;
    for (const Finding& f : result.findings) {
      if (std::find(rules.begin(), rules.end(), f.rule) == rules.end()) continue;
      of_rule.push_back(&f);
      if (!KeyMatches(f, want)) continue;
      std::vector<std::string> txns = e.txns;
      std::sort(txns.begin(), txns.end());
      if (e.has_txns && f.txn_ids != txns) continue;
      if (e.due != ir::kNoDate && f.due != FormatDate(e.due)) continue;
      matching.push_back(&f);
    }
    std::string wanted = want.empty() ? "" : fmt::format(" for ({})", fmt::join(want, ", "));
    if (e.has_txns) wanted += fmt::format(" with txns [{}]", fmt::join(e.txns, ", "));
    if (e.due != ir::kNoDate) wanted += " due " + FormatDate(e.due);
    if (e.kind == ir::ExpectKind::kFires && matching.empty()) {
      std::string got;
      for (const Finding* f : of_rule) got += "\n      found " + Describe(*f);
      if (of_rule.empty()) got = "\n      the rule made no finding";
      for (const RejectedRow& r : result.rejects) got += fmt::format("\n      rejected {} ({}): {}", r.record_id, r.position, r.reason);
      out->failures.push_back(fmt::format("{}: expected a finding of {}{}{}", at, e.rule, wanted, got));
    } else if (e.kind == ir::ExpectKind::kNotFires && !matching.empty()) {
      out->failures.push_back(fmt::format("{}: expected no finding of {}{}, found {}", at, e.rule, wanted, Describe(*matching[0])));
    }
  }
  out->passed = out->failures.empty();
  return Status::Ok();
}

}  // namespace

Status RunTests(const ir::Program& program, const std::string& filter, std::vector<TestOutcome>* out) {
  for (const ir::Test& t : program.tests) {
    if (!filter.empty() && t.name.find(filter) == std::string::npos) continue;
    TestOutcome o;
    o.ruleset = t.ruleset;
    o.name = t.name;
    o.file = t.loc.file;
    o.line = t.loc.line;
    Status st = RunOne(program, t, &o);
    if (!st.ok()) {
      o.passed = false;
      o.failures.push_back(fmt::format("{}:{}: the test could not run: {}", t.loc.file, t.loc.line, st.message()));
    }
    out->push_back(std::move(o));
  }
  return Status::Ok();
}

}  // namespace decree
