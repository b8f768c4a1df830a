#include "decree/contents.h"

#include <fmt/format.h>

#include "common/civil.h"
#include "common/codes.h"
#include "ir/ir.h"
#include "ir/ir_codec.h"

namespace decree {

namespace {

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

LibraryField FieldOf(const ir::Field& f) {
  return LibraryField{f.name, ir::TypeToString(f.type), f.column, f.currency_column, f.positive};
}

}  // namespace

LibraryContents DescribeLibrary(const Library& lib) {
  const ir::Program& p = lib.program();
  LibraryContents c;
  for (const ir::RulesetInfo& r : p.rulesets) {
    c.rulesets.push_back({r.id, r.title, r.source, r.version, r.is_module, Date(r.effective_from), Date(r.effective_until),
                          r.timezone,
                          r.home_currency >= 0 ? std::string(CurrencyCode(static_cast<CurrencyId>(r.home_currency))) : "",
                          r.file});
  }
  for (const ir::Layout& l : p.layouts) {
    LibraryLayout out{l.name, l.id_field >= 0 ? l.fields[l.id_field].name : "", l.time_field >= 0 ? l.fields[l.time_field].name : "", {}};
    for (const ir::Field& f : l.fields) out.fields.push_back(FieldOf(f));
    c.layouts.push_back(std::move(out));
  }
  for (const ir::TableDecl& t : p.tables) {
    LibraryTable out{t.name, {}, {}};
    for (const ir::Field& f : t.keys) out.keys.push_back(FieldOf(f));
    for (const ir::Field& f : t.values) out.values.push_back(FieldOf(f));
    c.tables.push_back(std::move(out));
  }
  for (const ir::Rule& r : p.rules) {
    LibraryRule out;
    out.id = r.id;
    out.version = r.version;
    out.ruleset = r.ruleset;
    out.kind = ir::RuleKindName(r.kind);
    out.citation = r.citation;
    out.layout = r.layout;
    out.verdicts = Verdicts(r);
    out.effective_from = Date(r.effective_from);
    out.effective_until = Date(r.effective_until);
    out.file = r.loc.file;
    out.line = r.loc.line;
    out.column = r.loc.col;
    out.source_text = r.source_text;
    out.hash = r.hash;
    out.compiled = ir::EncodeRuleBody(r);
    out.exempted_by = r.exempted_by;
    out.overrides = r.overrides;
    c.rules.push_back(std::move(out));
  }
  for (const ir::Test& t : p.tests) c.tests.push_back({t.ruleset, t.name, t.given.size(), t.expects.size()});
  return c;
}

}  // namespace decree
