// Expressions: name resolution, typing, currency checking, aggregates, constant folding.
#include <fmt/format.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "common/civil.h"
#include "common/codes.h"
#include "ir/eval.h"
#include "ir/ir_codec.h"
#include "syntax/printer.h"
#include "sema/expr_checker.h"
#include "sema/sema_internal.h"

namespace decree::sema {


ir::ExprPtr ExprChecker::Check(const ast::Expr& e, const Type* hint) {
  using K = ast::ExprKind;
  if (env_.level == Level::kGroup && !env_.in_aggregate &&
      (e.kind == K::kMember || e.kind == K::kCall || e.kind == K::kConvert)) {
    if (ir::ExprPtr key = MatchKey(e)) return key;
  }
  ir::ExprPtr out;
  switch (e.kind) {
    case K::kError: return ErrorNode();
    case K::kNumber: out = Number(e, hint); break;
    case K::kPercent: out = Percent(e); break;
    case K::kString: out = String(e, hint); break;
    case K::kDate: {
      int32_t d;
      if (!s_.ParseDateLiteral(e.text, e.range, &d)) return ErrorNode();
      out = ir::MakeConst(ir::Value::Date(d), Type::Of(TypeKind::kDate));
      break;
    }
    case K::kTimestamp: {
      int64_t us;
      if (!ParseTimestamp(e.text, &us)) return Error("E0307", e.range, fmt::format("invalid timestamp `{}`", e.text));
      out = ir::MakeConst(ir::Value::Timestamp(us), Type::Of(TypeKind::kTimestamp));
      break;
    }
    case K::kBool: out = ir::MakeConst(ir::Value::Bool(e.text == "true"), Type::Of(TypeKind::kBool)); break;
    case K::kNull: {
      Type t = hint != nullptr ? hint->AsOptional() : Type::Of(TypeKind::kNull);
      out = ir::MakeConst(ir::Value::Null(), t);
      break;
    }
    case K::kList: {
      ir::Value v = ir::Value::Text(e.text, TypeKind::kList);
      out = ir::MakeConst(v, Type::Of(TypeKind::kList));
      break;
    }
    case K::kName: out = Name(e, hint); break;
    case K::kMember: out = Member(e); break;
    case K::kCall: out = Call(e, hint); break;
    case K::kConvert: out = Convert(e); break;
    case K::kNeg: out = Neg(e, hint); break;
    case K::kNot: {
      ir::ExprPtr a = Bool(*e.args[0], "the operand of `not`");
      if (Bad(a)) return a;
      out = Node(Op::kNot, Type::Of(TypeKind::kBool));
      out->type.optional = a->type.optional;
      out->kids.push_back(std::move(a));
      break;
    }
    case K::kBinary: out = Binary(e, hint); break;
    case K::kAnd:
    case K::kOr: out = AndOr(e); break;
    case K::kIn: out = In(e); break;
    case K::kIsNull: {
      ir::ExprPtr a = Check(*e.args[0], nullptr);
      if (Bad(a)) return a;
      out = Node(e.negated ? Op::kIsNotNull : Op::kIsNull, Type::Of(TypeKind::kBool));
      out->kids.push_back(std::move(a));
      break;
    }
    case K::kSet: out = Set(e, hint); break;
    case K::kParen: return Check(*e.args[0], hint);
    case K::kIf: out = If(e, hint); break;
  }
  return out;
}

ir::ExprPtr ExprChecker::Bool(const ast::Expr& e, const char* what) {
  ir::ExprPtr x = Check(e, nullptr);
  if (Bad(x)) return x;
  if (x->type.kind != TypeKind::kBool) {
    return Error("E0305", e.range, fmt::format("{} must be true or false, but this is {}", what, s_.TypeName(x->type)));
  }
  return x;
}

ir::ExprPtr ExprChecker::Error(const char* code, const SourceRange& r, std::string msg) {
  s_.diags_->Error(code, r, std::move(msg));
  return ErrorNode();
}

Diagnostic& ExprChecker::Report(const char* code, const SourceRange& r, std::string msg) {
  return s_.diags_->Error(code, r, std::move(msg));
}

ir::ExprPtr ExprChecker::CastTo(ir::ExprPtr e, const Type& t) {
  if (e->type.kind == t.kind && e->type.scale == t.scale) return e;
  if (e->op == Op::kConst && !e->value.null) {
    ir::Value v = e->value;
    i128 m = v.kind == TypeKind::kInteger ? v.i : v.m;
    int s = v.kind == TypeKind::kInteger ? 0 : v.scale;
    i128 r;
    if ((t.kind == TypeKind::kDecimal || t.kind == TypeKind::kMoney) && t.scale >= s && Rescale(m, s, t.scale, &r)) {
      v.kind = v.kind == TypeKind::kMoney ? TypeKind::kMoney : TypeKind::kDecimal;
      v.m = r;
      v.scale = t.scale;
      Type nt = e->type;
      nt.kind = v.kind;
      nt.scale = t.scale;
      return ir::MakeConst(v, nt);
    }
  }
  Type nt = t;
  nt.optional = e->type.optional;
  if (e->type.kind == TypeKind::kMoney) {
    nt.kind = TypeKind::kMoney;
    nt.currency = e->type.currency;
  }
  auto c = Node(Op::kCast, nt);
  c->kids.push_back(std::move(e));
  return c;
}

ir::ExprPtr ExprChecker::Number(const ast::Expr& e, const Type* hint) {
  i128 m;
  int scale;
  if (!ParseDecimal(e.text, &m, &scale)) return Error("E0307", e.range, fmt::format("invalid number `{}`", e.text));
  if (e.unit.empty()) {
    if (scale == 0) {
      if (m > INT64_MAX) return Error("E0307", e.range, "integer too large");
      if (hint != nullptr && hint->kind == TypeKind::kMoney && hint->currency != ir::kDynamicCurrency) {
        Report("E0301", e.range, fmt::format("`{}` is a plain number, but money is expected", e.text))
            .Help(fmt::format("write the currency: {} {}", e.text, CurrencyCode(static_cast<CurrencyId>(hint->currency))));
        return ErrorNode();
      }
      return ir::MakeConst(ir::Value::Integer(static_cast<int64_t>(m)), Type::Of(TypeKind::kInteger));
    }
    return ir::MakeConst(ir::Value::Decimal(m, scale), Type::Decimal(scale));
  }
  CurrencyId c = LookupCurrency(e.unit);
  if (c != kNoCurrency) {
    if (scale > CurrencyMinorUnits(c)) {
      return Error("E0307", e.range,
                   fmt::format("{} has {} decimal places; `{}` has {}", e.unit, CurrencyMinorUnits(c), e.text, scale));
    }
    return ir::MakeConst(ir::Value::Money(m, scale, c), Type::Money(scale, c));
  }
  static const std::pair<const char*, int64_t> kUnits[] = {
      {"second", kMicrosPerSecond},  {"seconds", kMicrosPerSecond},  {"minute", 60 * kMicrosPerSecond},
      {"minutes", 60 * kMicrosPerSecond}, {"hour", 3600 * kMicrosPerSecond}, {"hours", 3600 * kMicrosPerSecond},
      {"day", kMicrosPerDay},         {"days", kMicrosPerDay},         {"week", 7 * kMicrosPerDay},
      {"weeks", 7 * kMicrosPerDay}};
  for (const auto& [name, us] : kUnits) {
    if (e.unit == name) {
      if (scale != 0) return Error("E0307", e.range, "a duration is a whole number of units");
      i128 r;
      if (!MulChecked(m, us, &r) || r > INT64_MAX) return Error("E0307", e.range, "duration too long");
      return ir::MakeConst(ir::Value::Duration(static_cast<int64_t>(r)), Type::Of(TypeKind::kDuration));
    }
  }
  if (e.unit.size() == 3 && std::all_of(e.unit.begin(), e.unit.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
    return Error("E0306", e.unit_range, fmt::format("`{}` is not an ISO 4217 currency code", e.unit));
  }
  Report("E0306", e.unit_range, fmt::format("unknown unit `{}`", e.unit))
      .Help("a number may carry an ISO 4217 currency (50000 CNY) or a time unit (24 hours, 180 days)");
  return ErrorNode();
}

ir::ExprPtr ExprChecker::Percent(const ast::Expr& e) {
  i128 m;
  int scale;
  if (!ParseDecimal(e.text, &m, &scale) || scale + 2 > kMaxScale) {
    return Error("E0307", e.range, fmt::format("invalid percentage `{}%`", e.text));
  }
  return ir::MakeConst(ir::Value::Decimal(m, scale + 2), Type::Decimal(scale + 2));
}

ir::ExprPtr ExprChecker::String(const ast::Expr& e, const Type* hint) {
  TypeKind k = hint != nullptr ? (hint->kind == TypeKind::kSet ? hint->elem : hint->kind) : TypeKind::kText;
  if (k == TypeKind::kCountry) {
    if (!IsCountryCode(e.text)) {
      return Error("E0307", e.range, fmt::format("\"{}\" is not an ISO 3166-1 alpha-2 country code", e.text));
    }
    return ir::MakeConst(ir::Value::Text(e.text, TypeKind::kCountry), Type::Of(TypeKind::kCountry));
  }
  if (k == TypeKind::kCurrency) {
    CurrencyId c = LookupCurrency(e.text);
    if (c == kNoCurrency) return Error("E0306", e.range, fmt::format("\"{}\" is not an ISO 4217 currency code", e.text));
    return ir::MakeConst(ir::Value::Currency(c), Type::Of(TypeKind::kCurrency));
  }
  if (k == TypeKind::kId) return ir::MakeConst(ir::Value::Text(e.text, TypeKind::kId), Type::Of(TypeKind::kId));
  return ir::MakeConst(ir::Value::Text(e.text), Type::Of(TypeKind::kText));
}

ir::ExprPtr ExprChecker::Set(const ast::Expr& e, const Type* hint) {
  Type elem_hint;
  bool have_hint = false;
  if (hint != nullptr && hint->kind == TypeKind::kSet) {
    elem_hint = hint->Element();
    have_hint = true;
  } else if (hint != nullptr && hint->kind != TypeKind::kSet) {
    elem_hint = hint->NonOptional();
    have_hint = true;
  }
  ir::Value set;
  set.kind = TypeKind::kSet;
  set.null = false;
  Type elem;
  bool first = true;
  for (const ast::ExprPtr& a : e.args) {
    ir::Value v;
    Type t;
    if (!s_.EvalConst(*a, env_, have_hint ? &elem_hint : (first ? nullptr : &elem), &v, &t)) return ErrorNode();
    if (first) {
      elem = t;
      first = false;
    } else if (t.kind != elem.kind && !(IsTextKind(t.kind) && IsTextKind(elem.kind)) &&
               !(IsNumKind(t.kind) && IsNumKind(elem.kind))) {
      return Error("E0301", a->range, fmt::format("set elements must share a type: {} and {}", s_.TypeName(elem), s_.TypeName(t)));
    }
    if (t.kind == TypeKind::kMoney || t.kind == TypeKind::kSet || t.kind == TypeKind::kRecord) {
      return Error("E0301", a->range, "sets hold scalars (text, codes, enums, numbers, dates)");
    }
    set.elems.push_back(std::move(v));
  }
  if (first) elem = have_hint ? elem_hint : Type::Of(TypeKind::kText);
  ir::NormalizeSet(&set);
  Type st = elem;
  st.elem = elem.kind;
  st.kind = TypeKind::kSet;
  st.optional = false;
  return ir::MakeConst(std::move(set), st);
}

bool ExprChecker::IsRowVar(const std::string& n) const {
  return (!env_.var.empty() && n == env_.var) || env_.aliases.count(n) > 0;
}

ir::ExprPtr ExprChecker::Name(const ast::Expr& e, const Type* hint) {
  const std::string& n = e.text;
  if (env_.level == Level::kPath && n == env_.path_var) {
    return Error("E0301", e.range, fmt::format("a path is not a value; use {0}.hops, {0}.elapsed, {0}.first_amount or {0}.last_amount", n));
  }
  if (IsRowVar(n)) {
    if (env_.level == Level::kConst) return Error("E0309", e.range, "a constant cannot refer to a row");
    return RowVarMarker();
  }
  if (auto it = substitutions_.find(n); it != substitutions_.end()) {
    ExprChecker caller(s_, *it->second.second);
    return caller.Check(*it->second.first, hint);
  }
  if (env_.level == Level::kGroup && env_.rule != nullptr && !env_.in_aggregate) {
    for (size_t i = 0; i < env_.rule->keys.size(); ++i) {
      if (env_.rule->keys[i].name == n) {
        auto k = Node(Op::kKey, env_.rule->keys[i].expr->type);
        k->index = static_cast<int32_t>(i);
        k->text = n;
        return k;
      }
    }
  }
  int owner;
  if (s_.FindConst(env_.module, n, &owner) != nullptr) {
    ConstState* c = s_.ResolveConst(owner, n, e.range);
    if (c == nullptr) return ErrorNode();
    if (c->is_record) return Error("E0301", e.range, fmt::format("`{}` is a record; use it in `given`", n));
    if (c->enum_names) return EnumNames(e, *c, hint);
    return ir::MakeConst(c->value, c->type);
  }
  if (hint != nullptr) {
    Type h = hint->kind == TypeKind::kSet ? hint->Element() : hint->NonOptional();
    if (h.kind == TypeKind::kEnum && h.ref >= 0) {
      const auto& values = s_.p_->enums[h.ref].values;
      auto it = std::find(values.begin(), values.end(), n);
      if (it != values.end()) {
        return ir::MakeConst(ir::Value::Enum(h.ref, static_cast<int>(it - values.begin())), Type::Enum(h.ref));
      }
      Report("E0209", e.range, fmt::format("`{}` is not a value of {}", n, s_.TypeName(h)))
          .Help(Suggest(n, values).empty() ? fmt::format("the values are: {}", fmt::join(values, ", "))
                                           : fmt::format("did you mean `{}`?", Suggest(n, values)));
      return ErrorNode();
    }
  }
  CurrencyId c = LookupCurrency(n);
  if (c != kNoCurrency) return ir::MakeConst(ir::Value::Currency(c), Type::Of(TypeKind::kCurrency));
  std::vector<std::string> known;
  if (!env_.var.empty()) known.push_back(env_.var);
  if (env_.rule != nullptr) {
    for (const ir::Key& k : env_.rule->keys) known.push_back(k.name);
  }
  for (const auto& [name, d] : s_.scopes_[env_.module].consts) known.push_back(name);
  Diagnostic& d = Report("E0201", e.range, fmt::format("unknown name `{}`", n));
  std::string guess = Suggest(n, known);
  if (!guess.empty()) d.Help(fmt::format("did you mean `{}`?", guess));
  return ErrorNode();
}

ir::ExprPtr ExprChecker::EnumNames(const ast::Expr& e, const ConstState& c, const Type* hint) {
  Type h = hint == nullptr ? Type() : hint->kind == TypeKind::kSet ? hint->Element() : hint->NonOptional();
  if (hint == nullptr || h.kind != TypeKind::kEnum || h.ref < 0) {
    return Error("E0301", e.range, fmt::format("`{}` is a set of enum values: compare an enum field with it (`t.kind in {}`)", e.text, e.text));
  }
  const auto& values = s_.p_->enums[h.ref].values;
  ir::Value set;
  set.kind = TypeKind::kSet;
  set.null = false;
  for (const ast::Ident& name : c.names) {
    auto it = std::find(values.begin(), values.end(), name.name);
    if (it == values.end()) {
      Report("E0209", e.range, fmt::format("`{}` in `{}` is not a value of {}", name.name, e.text, s_.TypeName(h)))
          .Note(name.range, "listed here")
          .Help(fmt::format("the values are: {}", fmt::join(values, ", ")));
      return ErrorNode();
    }
    set.elems.push_back(ir::Value::Enum(h.ref, static_cast<int>(it - values.begin())));
  }
  ir::NormalizeSet(&set);
  Type st = h;
  st.elem = h.kind;
  st.kind = TypeKind::kSet;
  st.optional = false;
  return ir::MakeConst(std::move(set), st);
}

void ExprChecker::Refine(ir::Expr* e) {
  if (e->type.kind != TypeKind::kMoney || e->type.currency != ir::kDynamicCurrency) return;
  std::string key = Encode(*e);
  for (auto it = env_.facts.rbegin(); it != env_.facts.rend(); ++it) {
    if (it->first == key) {
      e->type.currency = static_cast<int16_t>(it->second);
      return;
    }
  }
}

ir::ExprPtr ExprChecker::Member(const ast::Expr& e) {
  const ast::Expr& base = *e.args[0];
  if (env_.level == Level::kPath && base.kind == ast::ExprKind::kName && base.text == env_.path_var) {
    for (int a = 0; a < ir::kPathAttrCount; ++a) {
      if (e.text != ir::PathAttrName(a)) continue;
      auto n = Node(Op::kAgg, env_.path_types[a]);
      n->index = a;
      n->text = base.text + "." + e.text;
      return n;
    }
    return Error("E0203", e.unit_range, fmt::format("a path has hops, elapsed, first_amount and last_amount, not `{}`", e.text));
  }
  if (base.kind == ast::ExprKind::kName && IsRowVar(base.text)) {
    if (env_.level == Level::kConst) return Error("E0309", e.range, "a constant cannot refer to a row");
    const ir::Layout& l = s_.p_->layouts[env_.layout];
    int i = l.FieldIndex(e.text);
    if (i < 0) {
      std::vector<std::string> names;
      for (const ir::Field& f : l.fields) names.push_back(f.name);
      Diagnostic& d = Report("E0203", e.unit_range, fmt::format("layout {} has no field `{}`", l.name, e.text));
      std::string guess = Suggest(e.text, names);
      if (!guess.empty()) d.Help(fmt::format("did you mean `{}`?", guess));
      return ErrorNode();
    }
    if (env_.level == Level::kGroup && !env_.in_aggregate) {
      Report("E0308", e.range, fmt::format("`{}` is a field of one row; a group rule's guard sees the group", Text(e)))
          .Help(fmt::format("use it inside an aggregate (sum, count, min, max) or group by it with `per`"));
      return ErrorNode();
    }
    auto col = Node(Op::kColumn, l.fields[i].type);
    col->index = i;
    Refine(col.get());
    return col;
  }
  ir::ExprPtr b = Check(base, nullptr);
  if (Bad(b)) return b;
  if (b->type.kind == TypeKind::kMoney) {
    if (e.text == "currency") {
      auto n = Node(Op::kMoneyCurrency, Type::Of(TypeKind::kCurrency));
      n->type.optional = b->type.optional;
      n->kids.push_back(std::move(b));
      return n;
    }
    if (e.text == "value") {
      auto n = Node(Op::kMoneyValue, Type::Decimal(b->type.scale));
      n->type.optional = b->type.optional;
      n->kids.push_back(std::move(b));
      return n;
    }
    return Error("E0203", e.unit_range, fmt::format("money has `.currency` and `.value`, not `.{}`", e.text));
  }
  if (b->type.kind == TypeKind::kRecord) {
    return Error("E0203", e.unit_range, fmt::format("no field `{}`", e.text));
  }
  return Error("E0203", e.unit_range, fmt::format("{} has no member `{}`", s_.TypeName(b->type), e.text));
}

ir::ExprPtr ExprChecker::MatchKey(const ast::Expr& e) {
  if (env_.rule == nullptr || key_asts_ == nullptr) return nullptr;
  std::string text = FormatExpr(e);
  for (size_t i = 0; i < key_asts_->size(); ++i) {
    if ((*key_asts_)[i] != nullptr && FormatExpr(*(*key_asts_)[i]) == text && i < env_.rule->keys.size()) {
      auto k = Node(Op::kKey, env_.rule->keys[i].expr->type);
      k->index = static_cast<int32_t>(i);
      k->text = env_.rule->keys[i].name;
      return k;
    }
  }
  return nullptr;
}

bool ExprChecker::Unify(ir::ExprPtr* a, ir::ExprPtr* b, const ast::Expr& where, const char* verb) {
  if (Bad(*a) || Bad(*b)) return false;
  Type ta = (*a)->type, tb = (*b)->type;
  if (ta.kind == TypeKind::kNull || tb.kind == TypeKind::kNull) return true;
  if (ta.kind == TypeKind::kRecord || tb.kind == TypeKind::kRecord) {
    Report("E0301", where.range, "a row cannot be compared; compare its fields (e.g. t.amount)");
    return false;
  }
  if (IsNumKind(ta.kind) && IsNumKind(tb.kind)) {
    if (ta.kind == TypeKind::kInteger && tb.kind == TypeKind::kInteger) return true;
    int scale = std::max(ta.kind == TypeKind::kInteger ? 0 : ta.scale, tb.kind == TypeKind::kInteger ? 0 : tb.scale);
    *a = CastTo(std::move(*a), Type::Decimal(scale));
    *b = CastTo(std::move(*b), Type::Decimal(scale));
    return true;
  }
  if (ta.kind == TypeKind::kMoney && tb.kind == TypeKind::kMoney) {
    if (ta.currency != ir::kDynamicCurrency && tb.currency != ir::kDynamicCurrency) {
      if (ta.currency != tb.currency) {
        const char* ca = CurrencyCode(static_cast<CurrencyId>(ta.currency)).data();
        const char* cb = CurrencyCode(static_cast<CurrencyId>(tb.currency)).data();
        Report("E0303", where.range, fmt::format("cannot {} {} and {} without a conversion", verb, std::string(ca, 3), std::string(cb, 3)))
            .Help(fmt::format("convert one side with `in {} using <rates table>`", std::string(ca, 3)));
        return false;
      }
    } else {
      std::string known = ta.currency != ir::kDynamicCurrency ? std::string(CurrencyCode(static_cast<CurrencyId>(ta.currency)))
                          : tb.currency != ir::kDynamicCurrency ? std::string(CurrencyCode(static_cast<CurrencyId>(tb.currency)))
                                                                : std::string();
      Diagnostic& d = Report("E0304", where.range,
                             known.empty() ? fmt::format("cannot {} two amounts whose currencies are known only at run time", verb)
                                           : fmt::format("cannot {} an amount of unknown currency with {}", verb, known));
      d.Help(known.empty() ? "fix the currency first, e.g. `where t.amount.currency = CNY`"
                           : fmt::format("fix the currency first (`where t.amount.currency = {0}`, or a `currency_class(...)` "
                                         "key tested `= {0}`), or convert with `in {0} using <rates table>`",
                                         known));
      return false;
    }
    int scale = std::max(ta.scale, tb.scale);
    *a = CastTo(std::move(*a), Type::Money(scale, ta.currency));
    *b = CastTo(std::move(*b), Type::Money(scale, tb.currency));
    return true;
  }
  if ((ta.kind == TypeKind::kMoney && IsNumKind(tb.kind)) || (IsNumKind(ta.kind) && tb.kind == TypeKind::kMoney)) {
    const Type& m = ta.kind == TypeKind::kMoney ? ta : tb;
    Diagnostic& d = Report("E0301", where.range, fmt::format("cannot {} money with a plain number", verb));
    if (m.currency != ir::kDynamicCurrency) {
      d.Help(fmt::format("write the currency, e.g. 50000 {}", CurrencyCode(static_cast<CurrencyId>(m.currency))));
    }
    return false;
  }
  if (IsTextKind(ta.kind) && IsTextKind(tb.kind)) return true;
  if (ta.kind == tb.kind) {
    if (ta.kind == TypeKind::kEnum && ta.ref != tb.ref) {
      Report("E0301", where.range, fmt::format("cannot {} {} with {}", verb, s_.TypeName(ta), s_.TypeName(tb)));
      return false;
    }
    return true;
  }
  Report("E0301", where.range, fmt::format("cannot {} {} with {}", verb, s_.TypeName(ta), s_.TypeName(tb)));
  return false;
}

bool ExprChecker::NeedsHint(const ast::Expr& e) {
  return e.kind == ast::ExprKind::kName || e.kind == ast::ExprKind::kString || e.kind == ast::ExprKind::kSet ||
         e.kind == ast::ExprKind::kNull;
}

void ExprChecker::CheckPair(const ast::Expr& l, const ast::Expr& r, ir::ExprPtr* a, ir::ExprPtr* b) {
  bool swap = NeedsHint(l) && !NeedsHint(r);
  const ast::Expr& first = swap ? r : l;
  const ast::Expr& second = swap ? l : r;
  ir::ExprPtr* x = swap ? b : a;
  ir::ExprPtr* y = swap ? a : b;
  *x = Check(first, nullptr);
  if (Bad(*x)) {
    *y = NeedsHint(second) ? ErrorNode() : Check(second, nullptr);
    return;
  }
  Type h = (*x)->type;
  *y = Check(second, &h);
}

ir::ExprPtr Sema::Check(const ast::Expr& e, Env& env, const Type* hint) {
  ExprChecker c(*this, env);
  return c.Check(e, hint);
}

ir::ExprPtr Sema::CheckBool(const ast::Expr& e, Env& env, const char* what) {
  ExprChecker c(*this, env);
  return c.Bool(e, what);
}

ir::ExprPtr CheckWithKeys(Sema& s, const ast::Expr& e, Env& env, const std::vector<const ast::Expr*>& key_asts,
                          const char* what) {
  ExprChecker c(s, env);
  c.key_asts_ = &key_asts;
  return c.Bool(e, what);
}

bool Sema::EvalConst(const ast::Expr& e, Env& env, const Type* hint, ir::Value* out, Type* type) {
  Env c = env;
  c.level = Level::kConst;
  c.var.clear();
  c.aliases.clear();
  c.rule = nullptr;
  ExprChecker checker(*this, c);
  ir::ExprPtr x = checker.Check(e, hint);
  if (Bad(x)) return false;
  std::string error;
  if (!ir::EvalConstant(*p_, *x, out, &error)) {
    diags_->Error("E0309", e.range, "cannot evaluate this constant: " + error);
    return false;
  }
  *type = x->type;
  if (out->kind == TypeKind::kRatio) {
    diags_->Error("E0309", e.range, "a ratio is not a constant value; write a decimal or a percentage");
    return false;
  }
  return true;
}

ConstState* Sema::ResolveConst(int module, const std::string& name, const SourceRange& use) {
  ConstState& c = consts_[Qualify(module, name)];
  switch (c.phase) {
    case ConstState::Phase::kDone: return &c;
    case ConstState::Phase::kFailed: return nullptr;
    case ConstState::Phase::kBusy:
      diags_->Error("E0212", use, fmt::format("constant `{}` depends on itself", name));
      c.phase = ConstState::Phase::kFailed;
      return nullptr;
    case ConstState::Phase::kPending: break;
  }
  c.phase = ConstState::Phase::kBusy;
  const ast::ConstDecl& d = *scopes_[module].consts.at(name);
  Env env;
  env.level = Level::kConst;
  env.module = module;
  env.ruleset_module = module;
  bool ok;
  // A set of bare names that are not constants or currencies: enum values, typed at each use.
  bool enum_names = !d.record && !d.type && d.value->kind == ast::ExprKind::kSet && !d.value->args.empty();
  for (size_t i = 0; enum_names && i < d.value->args.size(); ++i) {
    const ast::Expr& a = *d.value->args[i];
    int owner;
    enum_names = a.kind == ast::ExprKind::kName && FindConst(module, a.text, &owner) == nullptr && LookupCurrency(a.text) == kNoCurrency;
  }
  if (enum_names) {
    c.enum_names = true;
    for (const ast::ExprPtr& a : d.value->args) c.names.push_back(ast::Ident{a->text, a->range});
    c.phase = ConstState::Phase::kDone;
    return &c;
  }
  if (d.record) {
    ok = RecordFields(module, d.record->type, d.record->fields, d.record->range, &c);
    c.is_record = ok;
  } else {
    Type declared;
    bool has_declared = d.type.has_value() && ResolveType(module, *d.type, &declared, nullptr);
    if (d.type && !has_declared) {
      c.phase = ConstState::Phase::kFailed;
      return nullptr;
    }
    ok = EvalConst(*d.value, env, has_declared ? &declared : nullptr, &c.value, &c.type);
    if (ok && has_declared) {
      // The value must fit the declared type; numbers widen, money keeps its currency.
      bool fits = c.type.kind == declared.kind || (declared.kind == TypeKind::kDecimal && c.type.kind == TypeKind::kInteger) ||
                  (IsTextKind(declared.kind) && IsTextKind(c.type.kind)) ||
                  (declared.kind == TypeKind::kSet && c.type.kind == TypeKind::kSet);
      if (fits && declared.kind == TypeKind::kMoney && declared.currency != c.type.currency) fits = false;
      if (!fits) {
        diags_->Error("E0301", d.value->range,
                      fmt::format("`{}` is declared {} but its value is {}", name, TypeName(declared), TypeName(c.type)));
        ok = false;
      } else if (declared.kind == TypeKind::kDecimal && c.type.kind == TypeKind::kInteger) {
        c.value = ir::Value::Decimal(c.value.i, 0);
        c.type = Type::Decimal(0);
      }
    }
  }
  c.phase = ok ? ConstState::Phase::kDone : ConstState::Phase::kFailed;
  if (ok && !c.is_record) p_->constants.push_back(ir::Constant{Qualify(module, name), c.type, c.value});
  return ok ? &c : nullptr;
}

void Sema::AddKeyGuards(const ir::Expr& guard, Env* env) {
  if (guard.op == Op::kAnd) {
    for (const ir::ExprPtr& k : guard.kids) AddKeyGuards(*k, env);
    return;
  }
  if (guard.op != Op::kEq || guard.kids.size() != 2 || env->rule == nullptr) return;
  for (int side = 0; side < 2; ++side) {
    const ir::Expr& key = *guard.kids[side];
    const ir::Expr& other = *guard.kids[1 - side];
    if (key.op == Op::kKey && other.op == Op::kConst && !other.value.null && key.index >= 0 &&
        key.index < static_cast<int>(env->rule->keys.size())) {
      env->key_guards.emplace_back(key.index, other.value);
      return;
    }
  }
}

void Sema::AddFacts(const ir::Expr& guard, Env* env) {
  if (guard.op == Op::kAnd) {
    for (const ir::ExprPtr& k : guard.kids) AddFacts(*k, env);
    return;
  }
  if (guard.op != Op::kEq || guard.kids.size() != 2) return;
  for (int side = 0; side < 2; ++side) {
    const ir::Expr* probe = guard.kids[side].get();
    const ir::Expr& other = *guard.kids[1 - side];
    if (other.op != Op::kConst || other.value.null) continue;
    // A `per` key stands for its expression.
    if (probe->op == Op::kKey && env->rule != nullptr && probe->index >= 0 &&
        probe->index < static_cast<int>(env->rule->keys.size())) {
      probe = env->rule->keys[probe->index].expr.get();
    }
    if (probe->op == Op::kMoneyCurrency && other.value.kind == TypeKind::kCurrency) {
      ir::ExprPtr money = probe->kids[0]->Clone();
      money->type.currency = ir::kDynamicCurrency;
      env->facts.emplace_back(Encode(*money), static_cast<int>(other.value.i));
    } else if (probe->op == Op::kCurrencyClass && other.value.kind == TypeKind::kEnum && other.value.i == 0) {
      ir::ExprPtr money = probe->kids[0]->Clone();
      money->type.currency = ir::kDynamicCurrency;
      env->facts.emplace_back(Encode(*money), static_cast<int>(LookupCurrency(probe->name)));
    }
  }
}

}  // namespace decree::sema
