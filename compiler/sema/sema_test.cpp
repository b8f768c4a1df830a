// Test blocks and record literals (test records and fixture constants).
#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <set>

#include "common/codes.h"
#include "sema/sema_internal.h"

namespace decree::sema {

using ir::Type;
using ir::TypeKind;

namespace {

bool IsText(TypeKind k) { return k == TypeKind::kText || k == TypeKind::kId || k == TypeKind::kCountry; }

// Converts a constant to the exact representation a reader would produce for `field`.
bool FitValue(Sema* s, const ir::Field& field, const SourceRange& r, const Type& t, ir::Value* v) {
  if (v->null) {
    if (!field.type.optional) {
      s->diags_->Error("E0407", r, fmt::format("field `{}` is required", field.name));
      return false;
    }
    return true;
  }
  const Type& want = field.type;
  auto mismatch = [&]() {
    s->diags_->Error("E0407", r, fmt::format("field `{}` is {}, not {}", field.name, s->TypeName(want), s->TypeName(t)));
    return false;
  };
  switch (want.kind) {
    case TypeKind::kMoney: {
      if (t.kind != TypeKind::kMoney) return mismatch();
      if (want.currency != ir::kDynamicCurrency && want.currency != v->currency) return mismatch();
      i128 m;
      if (v->scale > want.scale || !Rescale(v->m, v->scale, want.scale, &m)) return mismatch();
      v->m = m;
      v->scale = want.scale;
      return true;
    }
    case TypeKind::kDecimal:
    case TypeKind::kRate: {
      i128 m0 = t.kind == TypeKind::kInteger ? v->i : v->m;
      int s0 = t.kind == TypeKind::kInteger ? 0 : v->scale;
      if (t.kind != TypeKind::kInteger && t.kind != TypeKind::kDecimal) return mismatch();
      i128 m;
      if (s0 > want.scale || !Rescale(m0, s0, want.scale, &m)) {
        s->diags_->Error("E0407", r, fmt::format("field `{}` has at most {} decimals", field.name, want.scale));
        return false;
      }
      *v = ir::Value::Decimal(m, want.scale);
      v->kind = want.kind;
      return true;
    }
    default:
      if (IsText(want.kind) && IsText(t.kind)) {
        v->kind = want.kind;
        return true;
      }
      if (t.kind != want.kind || (want.kind == TypeKind::kEnum && t.ref != want.ref)) return mismatch();
      return true;
  }
}

}  // namespace

bool Sema::RecordFields(int module, const ast::Ident& target, const std::vector<ast::RecordField>& fields,
                        const SourceRange& range, ConstState* out) {
  const std::vector<ir::Field>* decl = nullptr;
  std::vector<ir::Field> table_columns;
  int layout = FindLayout(module, target.name);
  int table = layout < 0 ? FindTable(module, target.name) : -1;
  std::vector<std::pair<std::string, ir::Value>> base;
  bool from_base = false;
  if (layout >= 0) {
    decl = &p_->layouts[layout].fields;
    out->record_target = p_->layouts[layout].name;
    out->record_is_table = false;
  } else if (table >= 0) {
    const ir::TableDecl& t = p_->tables[table];
    table_columns = t.keys;
    table_columns.insert(table_columns.end(), t.values.begin(), t.values.end());
    decl = &table_columns;
    out->record_target = t.name;
    out->record_is_table = true;
  } else {
    int owner;
    if (FindConst(module, target.name, &owner) != nullptr) {
      ConstState* c = ResolveConst(owner, target.name, target.range);
      if (c == nullptr) return false;
      if (!c->is_record) {
        diags_->Error("E0301", target.range, fmt::format("`{}` is a value, not a record", target.name));
        return false;
      }
      out->record_target = c->record_target;
      out->record_is_table = c->record_is_table;
      base = c->fields;
      from_base = true;
      if (c->record_is_table) {
        const ir::TableDecl* t = p_->FindTable(c->record_target);
        table_columns = t->keys;
        table_columns.insert(table_columns.end(), t->values.begin(), t->values.end());
        decl = &table_columns;
      } else {
        decl = &p_->FindLayout(c->record_target)->fields;
      }
    } else {
      diags_->Error("E0204", target.range, fmt::format("`{}` is not a layout, a table or a record constant", target.name));
      return false;
    }
  }
  return FillRecord(module, target.name, *decl, base, fields, range,
                    from_base ? "" : "declare a fixture once (`const base = Transaction { … }`) and write `given base { … }`",
                    &out->fields);
}

bool Sema::FillRecord(int module, const std::string& what, const std::vector<ir::Field>& decl,
                      const std::vector<std::pair<std::string, ir::Value>>& base, const std::vector<ast::RecordField>& fields,
                      const SourceRange& range, const std::string& missing_help,
                      std::vector<std::pair<std::string, ir::Value>>* out) {
  std::map<std::string, ir::Value> values(base.begin(), base.end());
  std::set<std::string> given;
  bool ok = true;
  Env env;
  env.level = Level::kConst;
  env.module = module;
  env.ruleset_module = module;
  for (const ast::RecordField& f : fields) {
    auto it = std::find_if(decl.begin(), decl.end(), [&](const ir::Field& x) { return x.name == f.name.name; });
    if (it == decl.end()) {
      std::vector<std::string> names;
      for (const ir::Field& x : decl) names.push_back(x.name);
      diags_->Error("E0203", f.name.range, fmt::format("{} has no field `{}`", what, f.name.name))
          .Help(fmt::format("the fields are: {}", fmt::join(names, ", ")));
      ok = false;
      continue;
    }
    if (!given.insert(f.name.name).second) {
      diags_->Error("E0202", f.name.range, fmt::format("field `{}` is given twice", f.name.name));
      ok = false;
      continue;
    }
    ir::Value v;
    Type t;
    Type hint = it->type;
    if (!EvalConst(*f.value, env, &hint, &v, &t) || !FitValue(this, *it, f.value->range, t, &v)) {
      ok = false;
      continue;
    }
    values[f.name.name] = std::move(v);
  }
  std::vector<std::string> missing;
  out->clear();
  for (const ir::Field& x : decl) {
    auto it = values.find(x.name);
    if (it == values.end()) {
      if (x.type.optional) {
        out->emplace_back(x.name, ir::Value::Null());
      } else {
        missing.push_back(x.name);
      }
      continue;
    }
    out->emplace_back(x.name, it->second);
  }
  if (!missing.empty() && ok) {
    diags_->Error("E0407", range, fmt::format("missing field{}: {}", missing.size() == 1 ? "" : "s", fmt::join(missing, ", ")))
        .Help(missing_help);
    ok = false;
  }
  return ok;
}

// `given list "id" { entry_id: "…", name: "…", … }`: one watch-list entry for the test's
// screen() calls, its fields the columns of watchlist.csv (docs/screening.md), all text.
bool Sema::GivenListEntry(int module, const ast::TestStatement& s, ir::Test* t) {
  // The columns of watchlist.csv but list_id, all text; an entry needs an id and a name.
  static const std::vector<ir::Field> kColumns = [] {
    std::vector<ir::Field> columns;
    for (const char* c : {"entry_id", "entry_type", "name", "aliases", "country", "birth_date", "program"}) {
      ir::Field f;
      f.name = c;
      f.type = Type::Of(TypeKind::kText);
      f.type.optional = f.name != "entry_id" && f.name != "name";
      columns.push_back(f);
    }
    return columns;
  }();
  if (s.list.value.empty()) {
    diags_->Error("E0407", s.list.range, "a watch list needs an id: `given list \"un-sc\" { … }`");
    return false;
  }
  ir::TestRecord r;
  r.target = s.list.value;
  r.is_list = true;
  r.loc = Loc(s.range);
  if (!FillRecord(module, "a watch-list entry", kColumns, {}, s.fields, s.range, "", &r.fields)) return false;
  // Optional fields may be left out, not given as null.
  bool ok = true;
  for (const ast::RecordField& f : s.fields) {
    auto it = std::find_if(r.fields.begin(), r.fields.end(), [&](const auto& x) { return x.first == f.name.name; });
    if (it != r.fields.end() && it->second.null) {
      diags_->Error("E0407", f.value->range, fmt::format("field `{}` is text, not null (leave it out instead)", f.name.name));
      ok = false;
    }
  }
  if (ok) t->given.push_back(std::move(r));
  return ok;
}

void Sema::CheckTest(int module, const ast::TestDecl& d) {
  ir::Test t;
  t.ruleset = scopes_[module].id;
  t.name = d.name.value;
  t.loc = Loc(d.range);
  bool ok = true;
  Env env;
  env.level = Level::kConst;
  env.module = module;
  env.ruleset_module = module;
  for (const ast::TestStatement& s : d.statements) {
    switch (s.kind) {
      case ast::TestStatement::Kind::kGiven: {
        ConstState rec;
        if (!RecordFields(module, s.target, s.fields, s.range, &rec)) {
          ok = false;
          break;
        }
        ir::TestRecord r;
        r.target = rec.record_target;
        r.is_table = rec.record_is_table;
        r.fields = std::move(rec.fields);
        r.loc = Loc(s.range);
        t.given.push_back(std::move(r));
        break;
      }
      case ast::TestStatement::Kind::kGivenList: {
        if (!GivenListEntry(module, s, &t)) ok = false;
        break;
      }
      case ast::TestStatement::Kind::kExpect:
      case ast::TestStatement::Kind::kExpectNo: {
        ir::Expectation e;
        e.kind = s.kind == ast::TestStatement::Kind::kExpect ? ir::ExpectKind::kFires : ir::ExpectKind::kNotFires;
        e.loc = Loc(s.range);
        auto it = scopes_[module].rule_ids.find(s.target.name);
        const ir::Rule* rule = nullptr;
        if (it != scopes_[module].rule_ids.end()) {
          e.rule = it->second.front();
        } else {
          e.rule = s.target.name;
        }
        rule = p_->FindRule(e.rule);
        const ir::Decision* decision = nullptr;
        for (const ir::Decision& dec : p_->decisions) {
          if (dec.id == e.rule && !dec.branches.empty()) decision = &dec;
        }
        // A decision: a finding of any of its cases (the record got an outcome); its first
        // case stands for the keys (a decision's cases are row rules).
        if (rule == nullptr && decision != nullptr) rule = p_->FindRule(decision->branches.front());
        if (rule == nullptr) {
          // A rule declared with errors has them reported already: no second error per expect.
          if (it == scopes_[module].rule_ids.end() || !diags_->has_errors()) {
            diags_->Error("E0206", s.target.range,
                          fmt::format("unknown rule `{}`{}", s.target.name,
                                      it != scopes_[module].rule_ids.end() ? " (it names no rule or decision with cases)" : ""));
          }
          ok = false;
          break;
        }
        if (rule->kind == ir::RuleKind::kExempt) {
          diags_->Error("E0407", s.target.range, "an exemption produces no findings; expect the rules it exempts");
          ok = false;
          break;
        }
        bool keyed = !rule->keys.empty() || rule->kind == ir::RuleKind::kWindow;
        size_t max_keys = rule->kind == ir::RuleKind::kWindow ? rule->keys.size() + 1 : keyed ? rule->keys.size() : 1;
        if (s.key.size() > max_keys) {
          diags_->Error("E0407", s.key[max_keys]->range,
                        fmt::format("rule {} has {} key value{}", rule->id, max_keys, max_keys == 1 ? "" : "s"));
          ok = false;
          break;
        }
        for (size_t i = 0; i < s.key.size(); ++i) {
          Type hint;
          if (!keyed) {
            hint = Type::Of(TypeKind::kId);
          } else if (i < rule->keys.size()) {
            hint = rule->keys[i].expr->type;
          } else {
            hint = Type::Of(TypeKind::kDate);  // a window finding's day
          }
          ir::Value v;
          Type vt;
          if (!EvalConst(*s.key[i], env, &hint, &v, &vt)) {
            ok = false;
            continue;
          }
          e.key_prefix.push_back(std::move(v));
        }
        e.has_txns = s.has_txns;
        for (const ast::StringClause& x : s.txns) e.txns.push_back(x.value);
        if (s.due) {
          if (s.kind == ast::TestStatement::Kind::kExpectNo) {
            diags_->Error("E0407", s.due->range, "`due` belongs to an expected finding, not to `expect no`");
            ok = false;
          } else if (!ParseDateLiteral(s.due->value, s.due->range, &e.due)) {
            ok = false;
          }
        }
        t.expects.push_back(std::move(e));
        break;
      }
      case ast::TestStatement::Kind::kExpectRejected: {
        ir::Expectation e;
        e.kind = ir::ExpectKind::kRejected;
        e.record = s.rejected.value;
        e.loc = Loc(s.range);
        t.expects.push_back(std::move(e));
        break;
      }
    }
  }
  if (t.expects.empty() && ok) {
    diags_->Error("E0407", d.name.range, "a test needs at least one `expect`");
    ok = false;
  }
  if (ok) p_->tests.push_back(std::move(t));
}

}  // namespace decree::sema
