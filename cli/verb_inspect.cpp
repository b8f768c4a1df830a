// decree inspect: show what a rule library holds.
#include <fmt/format.h>

#include "cli.h"
#include "compile_common.h"
#include "decree/contents.h"
#include "decree/library.h"
#include "decree/json.h"

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

void FieldsJson(JsonWriter& w, const char* key, const std::vector<LibraryField>& fields, bool columns) {
  w.Key(key).BeginArray();
  for (const LibraryField& f : fields) {
    w.BeginObject().Field("name", f.name).Field("type", f.type);
    if (columns) {
      w.Field("column", f.column);
      if (!f.currency_column.empty()) w.Field("currency_column", f.currency_column);
      if (f.positive) w.FieldBool("positive", true);
    }
    w.EndObject();
  }
  w.EndArray();
}

void Json(const Library& lib, const LibraryContents& c, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.Key("library").BeginObject();
  w.Field("path", lib.path()).Field("format_version", lib.format_version()).Field("generator", lib.generator());
  w.Field("content_hash", lib.content_hash());
  w.EndObject();
  w.Key("rulesets").BeginArray();
  for (const LibraryRuleset& r : c.rulesets) {
    w.BeginObject().Field("id", r.id).FieldBool("module", r.is_module).Field("title", r.title).Field("source", r.source);
    w.Field("version", r.version).Field("effective_from", r.effective_from).Field("effective_until", r.effective_until);
    w.Field("timezone", r.timezone).Field("currency", r.currency).Field("file", r.file).EndObject();
  }
  w.EndArray();
  w.Key("layouts").BeginArray();
  for (const LibraryLayout& l : c.layouts) {
    w.BeginObject().Field("name", l.name).Field("key", l.key).Field("time", l.time);
    FieldsJson(w, "fields", l.fields, true);
    w.EndObject();
  }
  w.EndArray();
  w.Key("tables").BeginArray();
  for (const LibraryTable& t : c.tables) {
    w.BeginObject().Field("name", t.name);
    FieldsJson(w, "keys", t.keys, false);
    FieldsJson(w, "values", t.values, false);
    w.EndObject();
  }
  w.EndArray();
  w.Key("rules").BeginArray();
  for (const LibraryRule& r : c.rules) {
    w.BeginObject().Field("id", r.id).Field("version", r.version).Field("ruleset", r.ruleset).Field("kind", r.kind);
    w.Field("citation", r.citation).Field("layout", r.layout).Field("verdicts", r.verdicts);
    w.Field("effective_from", r.effective_from).Field("effective_until", r.effective_until);
    w.Field("file", r.file).Field("line", r.line).Field("column", r.column);
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
  for (const LibraryTest& t : c.tests) {
    w.BeginObject().Field("ruleset", t.ruleset).Field("name", t.name).Field("records", static_cast<int64_t>(t.records));
    w.Field("expectations", static_cast<int64_t>(t.expectations)).EndObject();
  }
  w.EndArray();
  w.EndObject();
}

int Run(const Args& args) {
  std::string format = args.Get("format", "text");
  if (format != "text" && format != "json") return UsageError("inspect", "--format must be text or json");
  std::unique_ptr<Library> lib;
  if (int code = OpenLibraryFile("inspect", args.positionals()[0], &lib); code != 0) return code;
  const LibraryContents c = DescribeLibrary(*lib);
  if (args.Has("rule")) {
    std::string id = args.Get("rule");
    bool found = false;
    for (const LibraryRule& r : c.rules) {
      if (r.id != id) continue;
      found = true;
      fmt::print("rule      {} (version {})\nkind      {}\ncitation  {}\nlocation  {}:{}:{}\nverdicts  {}\nhash      {}\n\n{}\n\n",
                 r.id, r.version, r.kind, r.citation, r.file, r.line, r.column, r.verdicts, r.hash, r.source_text);
      fmt::print("compiled form:\n{}\n", r.compiled);
    }
    if (!found) {
      fmt::print(stderr, "decree inspect: no rule '{}' in {}\n", id, lib->path());
      return kExitFailure;
    }
    return kExitOk;
  }
  if (format == "json") {
    std::string out;
    Json(*lib, c, &out);
    fmt::print("{}\n", out);
    return kExitOk;
  }
  fmt::print("library   {}\nformat    decree-rule-library v{} ({})\nhash      {}\n", lib->path(), lib->format_version(),
             lib->generator(), lib->content_hash());
  for (const LibraryRuleset& r : c.rulesets) {
    fmt::print("\n{} {}{}\n", r.is_module ? "module" : "ruleset", r.id, r.title.empty() ? "" : "  \"" + r.title + "\"");
    if (r.is_module) continue;
    if (!r.source.empty()) fmt::print("  source     {}\n", r.source);
    if (!r.version.empty()) fmt::print("  version    {}\n", r.version);
    if (!r.effective_from.empty()) {
      fmt::print("  effective  {}{}\n", r.effective_from, r.effective_until.empty() ? "" : " until " + r.effective_until);
    }
    fmt::print("  timezone   {}\n", r.timezone);
    if (!r.currency.empty()) fmt::print("  currency   {}\n", r.currency);
    for (const LibraryRule& rule : c.rules) {
      if (rule.ruleset != r.id) continue;
      fmt::print("  {:<8} {}{}\n", rule.kind, rule.id, rule.version > 0 ? fmt::format(" (v{})", rule.version) : "");
      if (!rule.citation.empty()) fmt::print("           {}\n", rule.citation);
      if (!rule.verdicts.empty()) fmt::print("           {}\n", rule.verdicts);
      fmt::print("           {}:{}  {}\n", rule.file, rule.line, rule.hash.substr(0, 16));
    }
    size_t tests = 0;
    for (const LibraryTest& t : c.tests) tests += t.ruleset == r.id;
    fmt::print("  tests      {}\n", tests);
  }
  fmt::print("\nlayouts\n");
  for (const LibraryLayout& l : c.layouts) fmt::print("  {} ({} fields)\n", l.name, l.fields.size());
  fmt::print("tables\n");
  for (const LibraryTable& t : c.tables) fmt::print("  {}\n", t.name);
  return kExitOk;
}

}  // namespace

const Verb& InspectVerb() {
  static const Verb v{&kSpec, Run};
  return v;
}

}  // namespace decree::cli
