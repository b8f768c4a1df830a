// decree explain: why a finding fired — the rule with its citation and source, the group, the
// contributing transactions, the aggregate values against the condition, and the exemptions
// and overrides that were considered.
#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>

#include "cli.h"
#include "compile_common.h"
#include "decree/contents.h"
#include "decree/input.h"
#include "decree/json.h"
#include "finding_select.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "explain",
    "decree explain LIBRARY|SOURCES... -f FINDINGS [-i BATCH] (--line N | --rule ID [--key NAME=VALUE]...)",
    "Explain findings of `decree run`: the rule, its citation and source, and what met its condition.",
    "Selects findings of FINDINGS (the run's JSON Lines) by their line, or by rule and key\n"
    "values, and prints for each: the rule's id, version, citation and source text from the\n"
    "library; the group key; the aggregate values and the condition they met (as the runtime\n"
    "recorded them); the verdict and due date; every contributing transaction (with -i, its\n"
    "record from the batch the findings were made from, CSV or JSON Lines); the\n"
    "exemptions that could have taken a transaction out of the rule, and the rules it overrides\n"
    "or is overridden by.  The library must be the one that made the findings.\n\n"
    "Exit status: 0 explained; 1 no finding matches, or a finding names a rule not in the\n"
    "library; 2 could not start (a bad command line, a missing file, not a library).",
    {
        {"findings", 'f', "FILE", "findings.jsonl written by decree run (required)"},
        {"input", 'i', "BATCH", "the batch the findings were made from: print each contributing transaction's record"},
        {"line", 0, "N", "the finding on line N of FINDINGS"},
        {"rule", 0, "ID", "findings of this rule (with --key: only those whose key matches)"},
        {"key", 'k', "NAME=VALUE", "a key value the finding must have, e.g. customer_id=C0000034 (repeatable)", true},
    },
    {"decree explain lvtr.dlib -f findings.jsonl --line 3",
     "decree explain lvtr.dlib -f findings.jsonl -i transactions.csv --line 3",
     "decree explain lvtr.dlib -f findings.jsonl --rule cn.pboc.lvtr.cash -k customer_id=C0000034 -k day=2026-03-15"},
    1,
    -1,
};

// A finding chosen by --line or --rule/--key, with its line and rule.
struct Selection {
  JsonValue finding;
  size_t line;
  const LibraryRule* rule;
};

// The records of `batch` that the selected findings name, by the id column of the rules'
// layout (txn_id in the canonical layout).  0, or the exit code after saying why not.
int FindBatchRecords(const std::string& batch, const LibraryContents& c, const std::string& layout, const std::vector<Selection>& selected,
                     std::vector<RecordText>* found) {
  std::string column = "txn_id";
  for (const LibraryLayout& l : c.layouts) {
    for (const LibraryField& f : l.fields) {
      if (l.name == layout && f.name == l.key) column = f.column;
    }
  }
  std::set<std::string> ids;
  for (const Selection& s : selected) {
    if (const JsonValue* t = s.finding.Get("txn_ids")) {
      for (const JsonValue& id : t->items) ids.insert(id.text);
    }
  }
  InputSpec spec;
  spec.path = batch;
  if (Status st = FindRecords(spec, column, ids, found); !st.ok()) {
    fmt::print(stderr, "decree explain: -i {}\n", st.message());
    return ExitFor(st);
  }
  return 0;
}

// The batch's records by id (-i), or null.
using Records = std::map<std::string, const RecordText*>;

void Explain(const JsonValue& f, size_t line, const std::string& path, const LibraryContents& c, const LibraryRule& rule,
             const Records* records) {
  fmt::print("finding  {}:{}\nrule     {} (version {}, {})\ncitation {}\nsource   {}:{}\n", path, line, rule.id, rule.version,
             rule.kind, rule.citation, rule.file, rule.line);
  for (size_t at = 0; at < rule.source_text.size();) {
    size_t nl = rule.source_text.find('\n', at);
    fmt::print("  | {}\n", rule.source_text.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  if (const JsonValue* key = f.Get("key"); key != nullptr && !key->members.empty()) {
    std::string k;
    for (const JsonMember& m : key->members) k += fmt::format("{}{} {}", k.empty() ? "" : ", ", m.key, m.value.text);
    fmt::print("group    {}\n", k);
  }
  if (const JsonValue* total = f.Get("total"); total != nullptr && total->kind == JsonValue::Kind::kObject) fmt::print("total    {} {}\n", JsonText(total->Get("amount")), JsonText(total->Get("currency")));
  fmt::print("why      {}\n", JsonText(f.Get("explain")));
  if (const JsonValue* paths = f.Get("paths")) {
    for (size_t p = 0; p < paths->items.size(); ++p) {
      const std::vector<JsonValue>& hops = paths->items[p].items;
      for (size_t i = 0; i < hops.size(); ++i) {
        const JsonValue& h = hops[i];
        fmt::print("{:<9}{} {} → {}, {} at {}\n", i == 0 ? fmt::format("path {}", p + 1) : "", JsonText(h.Get("txn_id")),
                   JsonText(h.Get("from")), JsonText(h.Get("to")), JsonText(h.Get("amount")), JsonText(h.Get("booked_at")));
      }
    }
  }
  std::string verdict = JsonText(f.Get("action"));
  for (const char* k : {"report", "flag", "message"}) {
    if (!JsonText(f.Get(k)).empty()) verdict += " " + JsonText(f.Get(k));
  }
  if (!JsonText(f.Get("due")).empty()) verdict += ", due " + JsonText(f.Get("due"));
  fmt::print("verdict  {}\n", verdict);
  const JsonValue* txns = f.Get("txn_ids");
  size_t n = txns != nullptr ? txns->items.size() : 0;
  fmt::print("records  {}:", Plural(n, "transaction", "transactions"));
  for (size_t i = 0; i < n; ++i) fmt::print(" {}", txns->items[i].text);
  fmt::print("\n");
  for (size_t i = 0; records != nullptr && i < n; ++i) {
    auto it = records->find(txns->items[i].text);
    if (it == records->end()) {
      fmt::print("  {}: not in the batch (is it the batch the findings were made from?)\n", txns->items[i].text);
      continue;
    }
    std::string fields;
    for (const auto& [k, v] : it->second->fields) fields += fmt::format("{}{}={}", fields.empty() ? "" : ", ", k, v);
    fmt::print("  {} ({}): {}\n", txns->items[i].text, it->second->position, fields);
  }
  auto show = [&](const char* label, const std::vector<std::string>& ids) {
    if (ids.empty()) return fmt::print("{} none\n", label);
    fmt::print("{}\n", label);
    for (const std::string& id : ids) {
      const LibraryRule* r = nullptr;
      for (const LibraryRule& x : c.rules) r = x.id == id ? &x : r;
      fmt::print("  {} — {}\n", id, r != nullptr ? r->citation + " (" + r->file + ":" + std::to_string(r->line) + ")" : "not in the library");
    }
  };
  show("exemptions considered (none took these transactions out):", rule.exempted_by);
  show("overrides (this rule takes precedence over):", rule.overrides);
  std::vector<std::string> overridden_by;
  for (const LibraryRule& x : c.rules) {
    for (const std::string& o : x.overrides) {
      if (o == rule.id) overridden_by.push_back(x.id);
    }
  }
  show("overridden by (did not fire on this group):", overridden_by);
  fmt::print("\n");
}

int Run(const Args& args) {
  if (!args.Has("findings")) return UsageError("explain", "missing -f FINDINGS");
  if (args.Has("line") == args.Has("rule")) return UsageError("explain", "give --line N or --rule ID (with --key NAME=VALUE)");
  if (args.Has("key") && !args.Has("rule")) return UsageError("explain", "--key selects among the findings of --rule");
  if (int code = CheckKeyArgs("explain", args); code != 0) return code;
  long long wanted = 0;
  if (args.Has("line") && !args.GetInt("line", 1, INT64_MAX, &wanted)) return kExitUsage;
  const std::string path = args.Get("findings");
  PathGuard guard;
  GuardSources(args.positionals(), &guard);
  guard.Input("--findings", path);
  if (args.Has("input")) guard.Input("--input", args.Get("input"));
  if (int code = CheckPaths("explain", guard); code != 0) return code;
  std::unique_ptr<Library> lib;
  if (int code = OpenOrCompile("explain", args.positionals(), args.Color(stderr), &lib); code != 0) return code;
  const LibraryContents contents = DescribeLibrary(*lib);
  // The selected findings, then (with -i) their records from the batch, in one pass over it.
  std::vector<Selection> selected;
  std::ifstream in(path, std::ios::binary);
  std::string text;
  size_t line = 0, explained = 0;
  while (std::getline(in, text)) {
    ++line;
    if (args.Has("line") && line != static_cast<size_t>(wanted)) continue;
    JsonValue f;
    size_t off;
    std::string error;
    if (!ParseJson(text, &f, &off, &error)) {
      fmt::print(stderr, "decree explain: {}:{}: not a finding (invalid JSON at byte {}: {})\n", path, line, off + 1, error);
      return kExitFailure;
    }
    if (!FindingSelected(f, args)) continue;
    const LibraryRule* rule = nullptr;
    for (const LibraryRule& r : contents.rules) rule = r.id == JsonText(f.Get("rule")) ? &r : rule;
    if (rule == nullptr) {
      fmt::print(stderr, "decree explain: {}:{}: rule {} is not in the library: explain with the library that made the findings\n",
                 path, line, JsonText(f.Get("rule")));
      return kExitFailure;
    }
    selected.push_back({std::move(f), line, rule});
  }
  std::vector<RecordText> found;
  Records records;
  if (args.Has("input") && !selected.empty()) {
    if (int code = FindBatchRecords(args.Get("input"), contents, selected.front().rule->layout, selected, &found); code != 0) return code;
    for (const RecordText& r : found) records.emplace(r.id, &r);  // the first record of an id
  }
  for (const Selection& s : selected) {
    Explain(s.finding, s.line, path, contents, *s.rule, args.Has("input") ? &records : nullptr);
    ++explained;
  }
  if (explained == 0) {
    fmt::print(stderr, "decree explain: no finding in {} matches ({} line{} read)\n", path, Count(line), line == 1 ? "" : "s");
    return kExitFailure;
  }
  if (!args.quiet()) fmt::print(stderr, "decree explain: {} explained\n", Plural(explained, "finding", "findings"));
  return kExitOk;
}

}  // namespace

const Verb& ExplainVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
