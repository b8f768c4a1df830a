// decree inspect: show what a rule library holds.
#include <fmt/format.h>

#include "cli.h"
#include "compile_common.h"
#include "decree/library.h"
#include "common/civil.h"
#include "common/codes.h"
#include "ir/ir.h"
#include "ir/ir_codec.h"
#include "decree/json.h"
#include "ir/sexpr.h"

namespace decree::cli {

namespace {

const VerbSpec kSpec = {
    "inspect",
    "decree inspect [options] LIBRARY",
    "Show what a rule library holds: its hash, rulesets, layouts, tables, rules and tests.",
    "Opening verifies the format version and the content hash; a corrupt or modified library\n"
    "is reported as such (exit status 2).",
    {
        {"format", 0, "FORMAT", "text (default) or json"},
        {"rule", 0, "ID", "show one rule in full: source text and compiled form"},
    },
    {"decree inspect lvtr.dlib", "decree inspect lvtr.dlib --rule cn.pboc.lvtr.cash",
     "decree inspect lvtr.dlib --format json | jq '.rules[].id'"},
    1,
    1,
};

std::string Date(int32_t d) { return d == ir::kNoDate ? "" : FormatDate(d); }

std::string Verdicts(const ir::Rule& r) {
  std::string out;
  for (const ir::Verdict& v : r.verdicts) {
    if (!out.empty()) out += " and ";
    out += ir::VerdictKindName(v.kind);
    if (v.kind == ir::VerdictKind::kError) {
      out += " \"" + v.value + "\"";
      continue;
    }
    if (!v.name.empty()) out += " " + v.name;
    if (v.kind == ir::VerdictKind::kClassify) out += " as " + v.value;
    if (v.within >= 0) out += fmt::format(" within {} {}days", v.within, v.business ? "business " : "");
  }
  return out;
}

void Json(const Library& lib, std::string* out) {
  const ir::Program& p = lib.program();
  JsonWriter w(out);
  w.BeginObject();
  w.Key("library").BeginObject();
  w.Field("path", lib.path()).Field("format_version", lib.format_version()).Field("generator", lib.generator());
  w.Field("content_hash", lib.content_hash());
  w.EndObject();
  w.Key("rulesets").BeginArray();
  for (const ir::RulesetInfo& r : p.rulesets) {
    w.BeginObject().Field("id", r.id).FieldBool("module", r.is_module).Field("title", r.title).Field("source", r.source);
    w.Field("version", r.version).Field("effective_from", Date(r.effective_from)).Field("effective_until", Date(r.effective_until));
    w.Field("timezone", r.timezone);
    w.Field("currency", r.home_currency >= 0 ? std::string(CurrencyCode(static_cast<CurrencyId>(r.home_currency))) : "");
    w.Field("file", r.file).EndObject();
  }
  w.EndArray();
  w.Key("layouts").BeginArray();
  for (const ir::Layout& l : p.layouts) {
    w.BeginObject().Field("name", l.name);
    w.Field("key", l.id_field >= 0 ? l.fields[l.id_field].name : "");
    w.Field("time", l.time_field >= 0 ? l.fields[l.time_field].name : "");
    w.Key("fields").BeginArray();
    for (const ir::Field& f : l.fields) {
      w.BeginObject().Field("name", f.name).Field("type", ir::TypeToString(f.type)).Field("column", f.column);
      if (!f.currency_column.empty()) w.Field("currency_column", f.currency_column);
      if (f.positive) w.FieldBool("positive", true);
      w.EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.Key("tables").BeginArray();
  for (const ir::TableDecl& t : p.tables) {
    w.BeginObject().Field("name", t.name);
    w.Key("keys").BeginArray();
    for (const ir::Field& f : t.keys) w.BeginObject().Field("name", f.name).Field("type", ir::TypeToString(f.type)).EndObject();
    w.EndArray();
    w.Key("values").BeginArray();
    for (const ir::Field& f : t.values) w.BeginObject().Field("name", f.name).Field("type", ir::TypeToString(f.type)).EndObject();
    w.EndArray().EndObject();
  }
  w.EndArray();
  w.Key("rules").BeginArray();
  for (const ir::Rule& r : p.rules) {
    w.BeginObject().Field("id", r.id).Field("version", r.version).Field("ruleset", r.ruleset).Field("kind", ir::RuleKindName(r.kind));
    w.Field("citation", r.citation).Field("layout", r.layout).Field("verdicts", Verdicts(r));
    w.Field("effective_from", Date(r.effective_from)).Field("effective_until", Date(r.effective_until));
    w.Field("file", r.loc.file).Field("line", r.loc.line).Field("column", r.loc.col);
    w.Field("source_text", r.source_text).Field("rule_hash", r.hash);
    if (!r.exempted_by.empty()) {
      w.Key("exempted_by").BeginArray();
      for (const std::string& e : r.exempted_by) w.String(e);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("tests").BeginArray();
  for (const ir::Test& t : p.tests) {
    w.BeginObject().Field("ruleset", t.ruleset).Field("name", t.name).Field("records", static_cast<int64_t>(t.given.size()));
    w.Field("expectations", static_cast<int64_t>(t.expects.size())).EndObject();
  }
  w.EndArray();
  w.EndObject();
}

int Run(const Args& args) {
  std::string format = args.Get("format", "text");
  if (format != "text" && format != "json") return UsageError("inspect", "--format must be text or json");
  std::unique_ptr<Library> lib;
  if (int code = OpenLibraryFile("inspect", args.positionals()[0], &lib); code != 0) return code;
  const ir::Program& p = lib->program();
  if (args.Has("rule")) {
    std::string id = args.Get("rule");
    bool found = false;
    for (const ir::Rule& r : p.rules) {
      if (r.id != id) continue;
      found = true;
      fmt::print("rule      {} (version {})\nkind      {}\ncitation  {}\nlocation  {}:{}:{}\nverdicts  {}\nhash      {}\n\n{}\n\n",
                 r.id, r.version, ir::RuleKindName(r.kind), r.citation, r.loc.file, r.loc.line, r.loc.col, Verdicts(r), r.hash,
                 r.source_text);
      fmt::print("compiled form:\n{}\n", ir::EncodeRuleBody(r));
    }
    if (!found) {
      fmt::print(stderr, "decree inspect: no rule '{}' in {}\n", id, lib->path());
      return kExitFailure;
    }
    return kExitOk;
  }
  if (format == "json") {
    std::string out;
    Json(*lib, &out);
    fmt::print("{}\n", out);
    return kExitOk;
  }
  fmt::print("library   {}\nformat    decree-rule-library v{} ({})\nhash      {}\n", lib->path(), lib->format_version(),
             lib->generator(), lib->content_hash());
  for (const ir::RulesetInfo& r : p.rulesets) {
    fmt::print("\n{} {}{}\n", r.is_module ? "module" : "ruleset", r.id, r.title.empty() ? "" : "  \"" + r.title + "\"");
    if (r.is_module) continue;
    if (!r.source.empty()) fmt::print("  source     {}\n", r.source);
    if (!r.version.empty()) fmt::print("  version    {}\n", r.version);
    if (r.effective_from != ir::kNoDate) {
      fmt::print("  effective  {}{}\n", Date(r.effective_from),
                 r.effective_until != ir::kNoDate ? " until " + Date(r.effective_until) : "");
    }
    fmt::print("  timezone   {}\n", r.timezone);
    if (r.home_currency >= 0) fmt::print("  currency   {}\n", CurrencyCode(static_cast<CurrencyId>(r.home_currency)));
    for (const ir::Rule& rule : p.rules) {
      if (rule.ruleset != r.id) continue;
      fmt::print("  {:<8} {}{}\n", ir::RuleKindName(rule.kind), rule.id, rule.version > 0 ? fmt::format(" (v{})", rule.version) : "");
      if (!rule.citation.empty()) fmt::print("           {}\n", rule.citation);
      if (!rule.verdicts.empty()) fmt::print("           {}\n", Verdicts(rule));
      fmt::print("           {}:{}  {}\n", rule.loc.file, rule.loc.line, rule.hash.substr(0, 16));
    }
    size_t tests = 0;
    for (const ir::Test& t : p.tests) tests += t.ruleset == r.id;
    fmt::print("  tests      {}\n", tests);
  }
  fmt::print("\nlayouts\n");
  for (const ir::Layout& l : p.layouts) fmt::print("  {} ({} fields)\n", l.name, l.fields.size());
  fmt::print("tables\n");
  for (const ir::TableDecl& t : p.tables) fmt::print("  {}\n", t.name);
  return kExitOk;
}

}  // namespace

const Verb& InspectVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
