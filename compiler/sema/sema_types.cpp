// Types, layouts and tables.
#include <fmt/format.h>

#include <filesystem>

#include "common/codes.h"
#include "decree/files.h"
#include "decree/sha256.h"
#include "exec/table_file.h"
#include "sema/sema_internal.h"

namespace decree::sema {

std::string Sema::TypeName(const ir::Type& t) const {
  using ir::TypeKind;
  std::string s;
  switch (t.kind) {
    case TypeKind::kMoney:
      s = t.currency == ir::kDynamicCurrency ? "money (currency unknown until run time)"
                                             : fmt::format("money({})", CurrencyCode(static_cast<CurrencyId>(t.currency)));
      break;
    case TypeKind::kRate: s = fmt::format("rate({})", CurrencyCode(static_cast<CurrencyId>(t.currency))); break;
    case TypeKind::kDecimal: s = "decimal"; break;
    case TypeKind::kEnum: {
      s = "enum {";
      if (t.ref >= 0 && t.ref < static_cast<int>(p_->enums.size())) {
        const auto& v = p_->enums[t.ref].values;
        for (size_t i = 0; i < v.size() && i < 8; ++i) s += (i > 0 ? ", " : " ") + v[i];
        if (v.size() > 8) s += ", …";
      }
      s += " }";
      break;
    }
    case TypeKind::kSet: {
      ir::Type e = t.Element();
      s = "set<" + TypeName(e) + ">";
      break;
    }
    case TypeKind::kRecord:
      s = t.ref >= 0 && t.ref < static_cast<int>(p_->layouts.size()) ? "record " + p_->layouts[t.ref].name : "record";
      break;
    default: s = ir::KindName(t.kind);
  }
  if (t.optional) s += "?";
  return s;
}

bool Sema::ResolveType(int module, const ast::TypeRef& t, ir::Type* out, std::string* currency_column) {
  using ir::Type;
  using ir::TypeKind;
  switch (t.kind) {
    case ast::TypeRef::Kind::kEnum: {
      std::vector<std::string> values;
      std::set<std::string> seen;
      for (const ast::Ident& v : t.enum_values) {
        if (!seen.insert(v.name).second) {
          diags_->Error("E0202", v.range, fmt::format("enum value `{}` listed twice", v.name));
          return false;
        }
        values.push_back(v.name);
      }
      *out = Type::Enum(InternEnum(values));
      out->optional = t.optional;
      return true;
    }
    case ast::TypeRef::Kind::kSet: {
      Type elem;
      if (!ResolveType(module, *t.element, &elem, nullptr)) return false;
      if (elem.kind == TypeKind::kSet || elem.kind == TypeKind::kMoney || elem.kind == TypeKind::kRecord) {
        diags_->Error("E0310", t.range, "sets hold scalars (text, codes, enums, numbers, dates)");
        return false;
      }
      *out = elem;
      out->elem = elem.kind;
      out->kind = TypeKind::kSet;
      out->optional = false;
      return true;
    }
    case ast::TypeRef::Kind::kNamed: break;
  }
  const std::string& n = t.name.name;
  auto no_args = [&]() {
    if (!t.args.empty()) {
      diags_->Error("E0310", t.range, fmt::format("type `{}` takes no arguments", n));
      return false;
    }
    return true;
  };
  auto int_arg = [&](size_t i, int lo, int hi, int* v) {
    const std::string& a = t.args[i].name;
    if (a.empty() || a.size() > 3 || a.find_first_not_of("0123456789") != std::string::npos || std::stoi(a) < lo ||
        std::stoi(a) > hi) {
      diags_->Error("E0310", t.args[i].range, fmt::format("expected a number from {} to {}", lo, hi));
      return false;
    }
    *v = std::stoi(a);
    return true;
  };
  Type r;
  if (n == "bool" || n == "integer" || n == "date" || n == "timestamp" || n == "duration" || n == "text" || n == "id" ||
      n == "country" || n == "currency") {
    if (!no_args()) return false;
    static const std::pair<const char*, TypeKind> kSimple[] = {
        {"bool", TypeKind::kBool},         {"integer", TypeKind::kInteger}, {"date", TypeKind::kDate},
        {"timestamp", TypeKind::kTimestamp}, {"duration", TypeKind::kDuration}, {"text", TypeKind::kText},
        {"id", TypeKind::kId},             {"country", TypeKind::kCountry}, {"currency", TypeKind::kCurrency}};
    for (const auto& [name, kind] : kSimple) {
      if (n == name) r = Type::Of(kind);
    }
  } else if (n == "decimal") {
    int scale = 6;
    if (t.args.size() > 1) {
      diags_->Error("E0310", t.range, "decimal takes one argument: its number of decimals, e.g. decimal(6)");
      return false;
    }
    if (t.args.size() == 1 && !int_arg(0, 0, 18, &scale)) return false;
    r = Type::Decimal(scale);
  } else if (n == "money") {
    if (t.args.size() != 1) {
      diags_->Error("E0310", t.range, "money needs its currency: money(CNY), or money(<currency column>)")
          .Help("`amount: money(currency)` reads the ISO 4217 code of each row from column `currency`");
      return false;
    }
    const std::string& a = t.args[0].name;
    CurrencyId c = LookupCurrency(a);
    if (c != kNoCurrency) {
      r = Type::Money(kMoneyScale, c);
    } else {
      if (currency_column == nullptr) {
        diags_->Error("E0310", t.args[0].range, fmt::format("`{}` is not an ISO 4217 currency code", a));
        return false;
      }
      r = Type::Money(kMoneyScale, ir::kDynamicCurrency);
      *currency_column = a;
    }
  } else if (n == "rate") {
    int scale = 6;
    CurrencyId c = t.args.empty() ? kNoCurrency : LookupCurrency(t.args[0].name);
    if (t.args.empty() || t.args.size() > 2 || c == kNoCurrency) {
      diags_->Error("E0310", t.range, "rate needs the currency it converts into: rate(USD) or rate(USD, 6)");
      return false;
    }
    if (t.args.size() == 2 && !int_arg(1, 0, 18, &scale)) return false;
    r.kind = TypeKind::kRate;
    r.scale = static_cast<int8_t>(scale);
    r.currency = static_cast<int16_t>(c);
  } else {
    int layout = FindLayout(module, n);
    if (layout >= 0 && no_args()) {
      r = Type::Record(layout);
    } else {
      diags_->Error("E0310", t.name.range, fmt::format("unknown type `{}`", n))
          .Help("types: bool integer decimal money rate date timestamp duration text id country currency enum set");
      return false;
    }
  }
  r.optional = t.optional;
  *out = r;
  return true;
}

namespace {

bool ResolveField(Sema* s, int module, const ast::FieldDecl& f, ir::Field* out) {
  out->name = f.name.name;
  out->column = f.column ? *f.column : f.name.name;
  out->positive = f.positive;
  if (!s->ResolveType(module, f.type, &out->type, &out->currency_column)) return false;
  if (out->type.kind == ir::TypeKind::kRecord || out->type.kind == ir::TypeKind::kSet) {
    s->diags_->Error("E0310", f.type.range, "a field holds a scalar value");
    return false;
  }
  if (f.positive && out->type.kind != ir::TypeKind::kMoney && out->type.kind != ir::TypeKind::kDecimal &&
      out->type.kind != ir::TypeKind::kInteger && out->type.kind != ir::TypeKind::kRate) {
    s->diags_->Error("E0310", f.range, "`positive` applies to numbers and money");
    return false;
  }
  return true;
}

}  // namespace

void Sema::DeclareLayout(int module, const ast::LayoutDecl& d) {
  ir::Layout l;
  l.name = Qualify(module, d.name.name);
  l.module = scopes_[module].id;
  l.format = d.format ? d.format->name : "csv";
  l.loc = Loc(d.range);
  if (d.format && d.format->name != "csv" && d.format->name != "xml") {
    diags_->Error("E0310", d.format->range, fmt::format("unknown layout format `{}`", d.format->name))
        .Help("layouts bind input columns by name; write `from csv` (JSON Lines and SQLite inputs bind the same way), "
              "or `from xml \"<element>\"` for XML records");
  } else if (d.format && d.format->name == "xml" && (!d.record || d.record->value.empty())) {
    diags_->Error("E0310", d.format->range, "an XML layout names its record element: `from xml \"transaction\"`");
  } else if (d.record && d.format->name != "xml") {
    diags_->Error("E0310", d.record->range, "only an XML layout names a record element (`from xml \"…\"`)");
  }
  if (d.record) l.record = d.record->value;
  std::set<std::string> names, columns;
  bool ok = true;
  for (const ast::FieldDecl& f : d.fields) {
    ir::Field field;
    if (!ResolveField(this, module, f, &field)) {
      ok = false;
      continue;
    }
    if (!names.insert(field.name).second) {
      diags_->Error("E0202", f.name.range, fmt::format("field `{}` is declared twice", field.name));
      ok = false;
      continue;
    }
    if (!columns.insert(field.column).second) {
      diags_->Error("E0202", f.range, fmt::format("column \"{}\" is bound twice", field.column));
      ok = false;
    }
    l.fields.push_back(std::move(field));
  }
  auto pick = [&](const std::optional<ast::Ident>& declared, ir::TypeKind want, const char* what, int* out) {
    if (declared) {
      int i = l.FieldIndex(declared->name);
      if (i < 0) {
        diags_->Error("E0203", declared->range, fmt::format("layout {} has no field `{}`", d.name.name, declared->name));
        ok = false;
      } else if (l.fields[i].type.kind != want &&
                 !(want == ir::TypeKind::kId && l.fields[i].type.kind == ir::TypeKind::kText)) {
        diags_->Error("E0301", declared->range, fmt::format("the {} field must be of type {}", what, ir::KindName(want)));
        ok = false;
      } else {
        *out = i;
      }
      return;
    }
    for (size_t i = 0; i < l.fields.size(); ++i) {
      if (l.fields[i].type.kind == want && !l.fields[i].type.optional) {
        *out = static_cast<int>(i);
        return;
      }
    }
  };
  pick(d.key_field, ir::TypeKind::kId, "key", &l.id_field);
  pick(d.time_field, ir::TypeKind::kTimestamp, "time", &l.time_field);
  if (!ok && l.fields.empty()) return;
  scopes_[module].layouts[d.name.name] = static_cast<int>(p_->layouts.size());
  p_->layouts.push_back(std::move(l));
}

void Sema::DeclareTable(int module, const ast::TableDecl& d) {
  ir::TableDecl t;
  t.name = Qualify(module, d.name.name);
  t.module = scopes_[module].id;
  t.format = d.format ? d.format->name : "csv";
  t.loc = Loc(d.range);
  std::set<std::string> names;
  for (const auto* list : {&d.keys, &d.values}) {
    for (const ast::FieldDecl& f : *list) {
      ir::Field field;
      if (!ResolveField(this, module, f, &field)) continue;
      if (!names.insert(field.name).second) {
        diags_->Error("E0202", f.name.range, fmt::format("column `{}` is declared twice", field.name));
        continue;
      }
      if (list == &d.keys && (field.type.kind == ir::TypeKind::kMoney || field.type.optional)) {
        diags_->Error("E0310", f.range, "a table key is a required scalar (not money, not optional)");
        continue;
      }
      (list == &d.keys ? t.keys : t.values).push_back(std::move(field));
    }
  }
  if (t.keys.empty()) return;
  scopes_[module].tables[d.name.name] = static_cast<int>(p_->tables.size());
  p_->tables.push_back(std::move(t));
  if (d.data) LoadTableData(module, *d.data, static_cast<int>(p_->tables.size()) - 1);
}

// Data shipped in a library is reference data (a calendar, a code list), not a batch.
constexpr uint64_t kMaxTableDataBytes = 16u << 20;

// `table t from csv "file.csv" …`: the file, beside the source that names it, is read now and
// its rows go into the library; bad rows are errors here, not at run time.
void Sema::LoadTableData(int module, const ast::StringClause& data, int index) {
  namespace fs = std::filesystem;
  const SourceFile& src = sources_.file(scopes_[module].file);
  ir::TableDecl& t = p_->tables[static_cast<size_t>(index)];
  if (data.value.empty() || fs::path(data.value).is_absolute()) {
    diags_->Error("E0409", data.range, "a table's data file is named relative to the source that declares it")
        .Help("e.g. `table work_calendar from csv \"work-calendar.csv\" key (date: date) value working: bool`");
    return;
  }
  const std::string path = (fs::path(src.path()).parent_path() / data.value).lexically_normal().string();
  std::string bytes;
  Status st = ReadWholeFile(path, kMaxTableDataBytes, &bytes, "table data");
  TableRows rows;
  if (st.ok()) st = ReadTableFile(*p_, index, path, &rows);
  if (!st.ok()) {
    diags_->Error("E0409", data.range, "cannot read the table's rows: " + st.message());
    return;
  }
  Sha256 h;
  h.Update(bytes);
  t.data_sha256 = h.FinishHex();
  t.data_file = (fs::path(src.library_path()).parent_path() / data.value).lexically_normal().generic_string();
  t.rows = std::move(rows.rows);
}

}  // namespace decree::sema
