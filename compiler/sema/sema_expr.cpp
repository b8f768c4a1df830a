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
#include "sema/sema_internal.h"

namespace decree::sema {

using ir::Op;
using ir::Type;
using ir::TypeKind;

namespace {

ir::ExprPtr Node(Op op, Type t) {
  auto e = std::make_unique<ir::Expr>();
  e->op = op;
  e->type = t;
  return e;
}

ir::ExprPtr ErrorNode() { return Node(Op::kConst, Type::Of(TypeKind::kError)); }

bool Bad(const ir::ExprPtr& e) { return e->type.is_error(); }

std::string Encode(const ir::Expr& e) { return PrintSExpr(ir::EncodeExpr(e)); }

bool IsTextKind(TypeKind k) { return k == TypeKind::kText || k == TypeKind::kId || k == TypeKind::kCountry; }
bool IsNumKind(TypeKind k) { return k == TypeKind::kInteger || k == TypeKind::kDecimal || k == TypeKind::kRate; }

// Edit distance, for "did you mean" suggestions.
size_t Distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Suggest(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const std::string& c : candidates) {
    size_t d = Distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

const char* kBuiltins =
    "sum count min max ratio day currency_class multiple_of length matches weekday abs lookup exists screen";

}  // namespace

// Checks one expression in one environment.  Reports into sema's diagnostics.
class ExprChecker {
 public:
  ExprChecker(Sema& s, Env& env) : s_(s), env_(env) {}

  ir::ExprPtr Check(const ast::Expr& e, const Type* hint) {
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

  ir::ExprPtr Bool(const ast::Expr& e, const char* what) {
    ir::ExprPtr x = Check(e, nullptr);
    if (Bad(x)) return x;
    if (x->type.kind != TypeKind::kBool) {
      return Error("E0305", e.range, fmt::format("{} must be true or false, but this is {}", what, s_.TypeName(x->type)));
    }
    return x;
  }

 private:
  ir::ExprPtr Error(const char* code, const SourceRange& r, std::string msg) {
    s_.diags_->Error(code, r, std::move(msg));
    return ErrorNode();
  }
  Diagnostic& Report(const char* code, const SourceRange& r, std::string msg) {
    return s_.diags_->Error(code, r, std::move(msg));
  }
  std::string Text(const ast::Expr& e) const { return s_.SourceText(e.range); }

  // A constant node, or a cast node wrapping a non-constant.
  ir::ExprPtr CastTo(ir::ExprPtr e, const Type& t) {
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

  // ---- literals

  ir::ExprPtr Number(const ast::Expr& e, const Type* hint) {
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

  ir::ExprPtr Percent(const ast::Expr& e) {
    i128 m;
    int scale;
    if (!ParseDecimal(e.text, &m, &scale) || scale + 2 > kMaxScale) {
      return Error("E0307", e.range, fmt::format("invalid percentage `{}%`", e.text));
    }
    return ir::MakeConst(ir::Value::Decimal(m, scale + 2), Type::Decimal(scale + 2));
  }

  ir::ExprPtr String(const ast::Expr& e, const Type* hint) {
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

  ir::ExprPtr Set(const ast::Expr& e, const Type* hint) {
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

  // ---- names

  bool IsRowVar(const std::string& n) const {
    return (!env_.var.empty() && n == env_.var) || env_.aliases.count(n) > 0;
  }

  ir::ExprPtr RowVarMarker() { return ir::MakeConst(ir::Value::Null(), Type::Record(env_.layout)); }

  ir::ExprPtr Name(const ast::Expr& e, const Type* hint) {
    const std::string& n = e.text;
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

  // A named set of enum values, typed by the enum it is compared with.
  ir::ExprPtr EnumNames(const ast::Expr& e, const ConstState& c, const Type* hint) {
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

  // Applies currency facts to a money expression of unknown currency.
  void Refine(ir::Expr* e) {
    if (e->type.kind != TypeKind::kMoney || e->type.currency != ir::kDynamicCurrency) return;
    std::string key = Encode(*e);
    for (auto it = env_.facts.rbegin(); it != env_.facts.rend(); ++it) {
      if (it->first == key) {
        e->type.currency = static_cast<int16_t>(it->second);
        return;
      }
    }
  }

  ir::ExprPtr Member(const ast::Expr& e) {
    const ast::Expr& base = *e.args[0];
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

  // In a group guard, an expression written exactly like a `per` key stands for that key.
  ir::ExprPtr MatchKey(const ast::Expr& e) {
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

 public:
  const std::vector<const ast::Expr*>* key_asts_ = nullptr;
  // let parameters bound to argument expressions, checked in the caller's environment.
  std::map<std::string, std::pair<const ast::Expr*, Env*>> substitutions_;

 private:
  // ---- operators

  // Brings two operands to a common type for comparison or addition.  False after a
  // diagnostic (or when an operand already failed).
  bool Unify(ir::ExprPtr* a, ir::ExprPtr* b, const ast::Expr& where, const char* verb) {
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

  // Literal-like operands (bare names, strings, sets) take their type from the other side.
  static bool NeedsHint(const ast::Expr& e) {
    return e.kind == ast::ExprKind::kName || e.kind == ast::ExprKind::kString || e.kind == ast::ExprKind::kSet ||
           e.kind == ast::ExprKind::kNull;
  }

  // Checks both operands; a literal-like operand whose partner failed is not checked at all
  // (it would only produce a second, misleading error).
  void CheckPair(const ast::Expr& l, const ast::Expr& r, ir::ExprPtr* a, ir::ExprPtr* b) {
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

  ir::ExprPtr Binary(const ast::Expr& e, const Type* hint) {
    ir::ExprPtr a, b;
    CheckPair(*e.args[0], *e.args[1], &a, &b);
    if (Bad(a) || Bad(b)) return ErrorNode();
    bool optional = a->type.optional || b->type.optional;
    switch (e.op) {
      case ast::BinaryOp::kEq:
      case ast::BinaryOp::kNe:
      case ast::BinaryOp::kLt:
      case ast::BinaryOp::kLe:
      case ast::BinaryOp::kGt:
      case ast::BinaryOp::kGe: {
        bool ordering = e.op != ast::BinaryOp::kEq && e.op != ast::BinaryOp::kNe;
        if (a->type.kind == TypeKind::kRatio || b->type.kind == TypeKind::kRatio) {
          ir::ExprPtr& other = a->type.kind == TypeKind::kRatio ? b : a;
          if (!IsNumKind(other->type.kind)) {
            return Error("E0301", e.range, "a ratio is compared with a number or a percentage, e.g. >= 80%");
          }
        } else if (!Unify(&a, &b, e, "compare")) {
          return ErrorNode();
        }
        TypeKind k = a->type.kind;
        if (ordering && (k == TypeKind::kEnum || k == TypeKind::kBool || k == TypeKind::kCurrency || k == TypeKind::kSet)) {
          return Error("E0311", e.range, fmt::format("{} values have no order; use = or !=", ir::KindName(k)));
        }
        static const Op kOps[] = {Op::kMul, Op::kMul, Op::kAdd, Op::kSub, Op::kEq, Op::kNe, Op::kLt, Op::kLe, Op::kGt, Op::kGe};
        auto n = Node(kOps[static_cast<int>(e.op)], Type::Of(TypeKind::kBool));
        n->type.optional = optional;
        n->text = Text(e);
        n->kids.push_back(std::move(a));
        n->kids.push_back(std::move(b));
        return n;
      }
      case ast::BinaryOp::kAdd:
      case ast::BinaryOp::kSub: return AddSub(e, std::move(a), std::move(b), optional);
      case ast::BinaryOp::kMul: return Mul(e, std::move(a), std::move(b), optional);
      case ast::BinaryOp::kDiv: {
        if (!(IsNumKind(a->type.kind) || a->type.kind == TypeKind::kMoney)) {
          return Error("E0312", e.range, fmt::format("cannot divide {}", s_.TypeName(a->type)));
        }
        if (a->type.kind == TypeKind::kMoney || b->type.kind == TypeKind::kMoney) {
          if (!Unify(&a, &b, e, "divide")) return ErrorNode();
        } else if (!IsNumKind(b->type.kind)) {
          return Error("E0312", e.range, fmt::format("cannot divide by {}", s_.TypeName(b->type)));
        }
        auto n = Node(Op::kRatio, Type::Of(TypeKind::kRatio));
        n->type.optional = true;  // undefined when the denominator is zero
        n->kids.push_back(std::move(a));
        n->kids.push_back(std::move(b));
        return n;
      }
    }
    return ErrorNode();
  }

  ir::ExprPtr AddSub(const ast::Expr& e, ir::ExprPtr a, ir::ExprPtr b, bool optional) {
    bool sub = e.op == ast::BinaryOp::kSub;
    TypeKind ka = a->type.kind, kb = b->type.kind;
    Type result;
    if (ka == TypeKind::kTimestamp && kb == TypeKind::kTimestamp && sub) {
      result = Type::Of(TypeKind::kDuration);
    } else if ((ka == TypeKind::kTimestamp || ka == TypeKind::kDate) && kb == TypeKind::kDuration) {
      result = Type::Of(ka);
    } else if (ka == TypeKind::kDuration && kb == TypeKind::kTimestamp && !sub) {
      result = Type::Of(kb);
    } else if (ka == TypeKind::kDate && kb == TypeKind::kDate && sub) {
      result = Type::Of(TypeKind::kDuration);
    } else if (ka == TypeKind::kDuration && kb == TypeKind::kDuration) {
      result = Type::Of(TypeKind::kDuration);
    } else if ((IsNumKind(ka) || ka == TypeKind::kMoney) && (IsNumKind(kb) || kb == TypeKind::kMoney)) {
      if (!Unify(&a, &b, e, sub ? "subtract" : "add")) return ErrorNode();
      result = a->type;
    } else {
      return Error("E0301", e.range, fmt::format("cannot {} {} and {}", sub ? "subtract" : "add", s_.TypeName(a->type),
                                                 s_.TypeName(b->type)));
    }
    result.optional = optional;
    auto n = Node(sub ? Op::kSub : Op::kAdd, result);
    n->text = Text(e);
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return n;
  }

  ir::ExprPtr Mul(const ast::Expr& e, ir::ExprPtr a, ir::ExprPtr b, bool optional) {
    TypeKind ka = a->type.kind, kb = b->type.kind;
    Type result;
    if ((ka == TypeKind::kDuration && kb == TypeKind::kInteger) || (ka == TypeKind::kInteger && kb == TypeKind::kDuration)) {
      result = Type::Of(TypeKind::kDuration);
    } else if (ka == TypeKind::kInteger && kb == TypeKind::kInteger) {
      result = Type::Of(TypeKind::kInteger);
    } else if ((IsNumKind(ka) || ka == TypeKind::kMoney) && (IsNumKind(kb) || kb == TypeKind::kMoney)) {
      if (ka == TypeKind::kMoney && kb == TypeKind::kMoney) return Error("E0301", e.range, "cannot multiply money by money");
      int sa = ka == TypeKind::kInteger ? 0 : a->type.scale;
      int sb = kb == TypeKind::kInteger ? 0 : b->type.scale;
      if (sa + sb > 18) return Error("E0307", e.range, "too many decimal places in a product (more than 18)");
      if (ka == TypeKind::kInteger) a = CastTo(std::move(a), Type::Decimal(0));
      if (kb == TypeKind::kInteger) b = CastTo(std::move(b), Type::Decimal(0));
      if (ka == TypeKind::kMoney) {
        result = Type::Money(sa + sb, a->type.currency);
      } else if (kb == TypeKind::kMoney) {
        result = Type::Money(sa + sb, b->type.currency);
      } else {
        result = Type::Decimal(sa + sb);
      }
    } else {
      return Error("E0301", e.range, fmt::format("cannot multiply {} by {}", s_.TypeName(a->type), s_.TypeName(b->type)));
    }
    result.optional = optional;
    auto n = Node(Op::kMul, result);
    n->text = Text(e);
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return n;
  }

  ir::ExprPtr Neg(const ast::Expr& e, const Type* hint) {
    ir::ExprPtr a = Check(*e.args[0], hint);
    if (Bad(a)) return a;
    TypeKind k = a->type.kind;
    if (!(IsNumKind(k) || k == TypeKind::kMoney || k == TypeKind::kDuration)) {
      return Error("E0301", e.range, fmt::format("cannot negate {}", s_.TypeName(a->type)));
    }
    if (a->op == Op::kConst && !a->value.null) {
      ir::Value v = a->value;
      if (k == TypeKind::kInteger || k == TypeKind::kDuration) v.i = -v.i; else v.m = -v.m;
      return ir::MakeConst(v, a->type);
    }
    auto n = Node(Op::kNeg, a->type);
    n->kids.push_back(std::move(a));
    return n;
  }

  ir::ExprPtr AndOr(const ast::Expr& e) {
    bool is_and = e.kind == ast::ExprKind::kAnd;
    auto n = Node(is_and ? Op::kAnd : Op::kOr, Type::Of(TypeKind::kBool));
    size_t facts = env_.facts.size();
    size_t guards = env_.key_guards.size();
    bool bad = false;
    for (const ast::ExprPtr& a : e.args) {
      ir::ExprPtr x = Bool(*a, is_and ? "each side of `and`" : "each side of `or`");
      if (Bad(x)) {
        bad = true;
        continue;
      }
      if (is_and) {  // later conjuncts may rely on earlier ones
        s_.AddFacts(*x, &env_);
        s_.AddKeyGuards(*x, &env_);
      }
      n->type.optional = n->type.optional || x->type.optional;
      n->kids.push_back(std::move(x));
    }
    env_.facts.resize(facts);
    env_.key_guards.resize(guards);
    return bad ? ErrorNode() : std::move(n);
  }

  ir::ExprPtr In(const ast::Expr& e) {
    ir::ExprPtr a = Check(*e.args[0], nullptr);
    if (Bad(a)) return a;
    const ast::Expr& rhs = *e.args[1];
    ir::ExprPtr n;
    int table = rhs.kind == ast::ExprKind::kName ? s_.FindTable(env_.module, rhs.text) : -1;
    if (table >= 0 && !IsRowVar(rhs.text)) {
      const ir::TableDecl& t = s_.p_->tables[table];
      if (t.keys.size() != 1) {
        return Error("E0302", rhs.range, fmt::format("table {} has {} key columns; use exists({}, …)", rhs.text, t.keys.size(), rhs.text));
      }
      ir::ExprPtr b = ir::MakeConst(ir::Value::Null(), t.keys[0].type);
      if (!Unify(&a, &b, e, "look up")) return ErrorNode();
      n = Node(Op::kInTable, Type::Of(TypeKind::kBool));
      n->index = table;
      n->kids.push_back(std::move(a));
    } else {
      Type h = a->type.NonOptional();
      h.elem = h.kind;
      h.kind = TypeKind::kSet;
      ir::ExprPtr b = Check(rhs, &h);
      if (Bad(b)) return b;
      if (b->type.kind != TypeKind::kSet || b->op != Op::kConst) {
        return Error("E0301", rhs.range, fmt::format("`in` needs a set or a table on its right, not {}", s_.TypeName(b->type)));
      }
      Type elem = b->type.Element();
      ir::ExprPtr probe = ir::MakeConst(ir::Value::Null(), elem);
      ir::ExprPtr lhs = std::move(a);
      if (!Unify(&lhs, &probe, e, "look up")) return ErrorNode();
      // A decimal probe against a set of integers etc. compares exactly at run time.
      n = Node(Op::kIn, Type::Of(TypeKind::kBool));
      n->type.optional = lhs->type.optional;
      n->kids.push_back(std::move(lhs));
      n->kids.push_back(std::move(b));
    }
    n->text = Text(e);
    if (e.negated) {
      auto x = Node(Op::kNot, n->type);
      x->kids.push_back(std::move(n));
      return x;
    }
    return n;
  }

  ir::ExprPtr If(const ast::Expr& e, const Type* hint) {
    ir::ExprPtr c = Bool(*e.args[0], "the condition of `if`");
    if (Bad(c)) return c;
    size_t facts = env_.facts.size();
    size_t guards = env_.key_guards.size();
    s_.AddFacts(*c, &env_);
    s_.AddKeyGuards(*c, &env_);
    ir::ExprPtr a = Check(*e.args[1], hint);
    env_.facts.resize(facts);
    env_.key_guards.resize(guards);
    Type h = a->type;
    ir::ExprPtr b = Check(*e.args[2], Bad(a) ? hint : &h);
    if (Bad(a) || Bad(b)) return ErrorNode();
    if (a->type.kind != TypeKind::kNull && b->type.kind != TypeKind::kNull && !Unify(&a, &b, e, "choose between")) {
      return ErrorNode();
    }
    Type t = a->type.kind == TypeKind::kNull ? b->type : a->type;
    t.optional = a->type.optional || b->type.optional || a->type.kind == TypeKind::kNull || b->type.kind == TypeKind::kNull;
    auto n = Node(Op::kIf, t);
    n->kids.push_back(std::move(c));
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return n;
  }

  // ---- conversion

  ir::ExprPtr Convert(const ast::Expr& e) {
    ir::ExprPtr m = Check(*e.args[0], nullptr);
    if (Bad(m)) return m;
    if (m->type.kind != TypeKind::kMoney) {
      return Error("E0301", e.args[0]->range, fmt::format("only money converts between currencies, not {}", s_.TypeName(m->type)));
    }
    CurrencyId target = LookupCurrency(e.unit);
    if (target == kNoCurrency) return Error("E0306", e.unit_range, fmt::format("`{}` is not an ISO 4217 currency code", e.unit));
    int table = s_.FindTable(env_.module, e.text);
    if (table < 0) return Error("E0205", e.range, fmt::format("unknown table `{}`", e.text));
    const ir::TableDecl& t = s_.p_->tables[table];
    bool has_date = false, has_currency = false;
    for (const ir::Field& k : t.keys) {
      has_date |= k.type.kind == TypeKind::kDate;
      has_currency |= k.type.kind == TypeKind::kCurrency;
    }
    if (t.keys.size() != 2 || !has_date || !has_currency || t.values.size() != 1 || t.values[0].type.kind != TypeKind::kRate) {
      Report("E0302", e.range, fmt::format("table {} is not a rates table", e.text))
          .Help("a rates table is `table r key (date: date, currency: currency) value per_unit: rate(USD)`");
      return ErrorNode();
    }
    if (t.values[0].type.currency != target) {
      Report("E0303", e.range, fmt::format("table {} converts into {}, not {}", e.text,
                                            CurrencyCode(static_cast<CurrencyId>(t.values[0].type.currency)), e.unit));
      return ErrorNode();
    }
    if (env_.level != Level::kRow) {
      return Error("E0308", e.range, "convert each amount before aggregating: sum(t.amount in USD using rates)");
    }
    ir::ExprPtr date;
    if (e.args.size() > 1) {
      date = Check(*e.args[1], nullptr);
      if (Bad(date)) return date;
      if (date->type.kind != TypeKind::kDate) {
        return Error("E0301", e.args[1]->range, fmt::format("the rate date must be a date, not {}", s_.TypeName(date->type)));
      }
    } else {
      date = DayOfRow(e.range);
      if (Bad(date)) return date;
    }
    int scale = m->type.scale + t.values[0].type.scale;
    if (m->type.currency == static_cast<int>(target)) return CastTo(std::move(m), Type::Money(scale, target));
    auto n = Node(Op::kConvert, Type::Money(scale, target));
    n->type.optional = m->type.optional;
    n->index = table;
    n->text = Text(e);
    n->kids.push_back(std::move(m));
    n->kids.push_back(std::move(date));
    return n;
  }

  // day(<the layout's time field>) in the ruleset's time zone.
  ir::ExprPtr DayOfRow(const SourceRange& r) {
    const ir::Layout& l = s_.p_->layouts[env_.layout];
    if (l.time_field < 0) {
      Report("E0404", r, fmt::format("layout {} has no time field to take the date from", l.name))
          .Help("declare one: `layout … time booked_at { … }`, or write `on <date>`");
      return ErrorNode();
    }
    auto col = Node(Op::kColumn, l.fields[l.time_field].type);
    col->index = l.time_field;
    auto d = Node(Op::kDay, Type::Of(TypeKind::kDate));
    d->name = s_.scopes_[env_.ruleset_module].timezone;
    d->kids.push_back(std::move(col));
    return d;
  }

  // ---- calls

  ir::ExprPtr Call(const ast::Expr& e, const Type* hint) {
    const std::string& fn = e.text;
    if (fn == "sum" || fn == "count" || fn == "min" || fn == "max") return Aggregate(e);
    if (e.filter) return Error("E0302", e.filter->range, fmt::format("`where` belongs in aggregates, not in {}()", fn));
    if (e.distinct) return Error("E0302", e.range, "`distinct` belongs in count(distinct …)");
    auto arity = [&](size_t n) {
      if (e.args.size() != n) {
        Report("E0302", e.range, fmt::format("{}() takes {} argument{}, got {}", fn, n, n == 1 ? "" : "s", e.args.size()));
        return false;
      }
      return true;
    };
    auto unary = [&](Op op, std::initializer_list<TypeKind> kinds, Type result) -> ir::ExprPtr {
      if (!arity(1)) return ErrorNode();
      ir::ExprPtr a = Check(*e.args[0], nullptr);
      if (Bad(a)) return a;
      if (std::find(kinds.begin(), kinds.end(), a->type.kind) == kinds.end()) {
        return Error("E0302", e.args[0]->range, fmt::format("{}() does not take {}", fn, s_.TypeName(a->type)));
      }
      if (result.is_error()) result = a->type;
      result.optional = a->type.optional;
      auto n = Node(op, result);
      n->kids.push_back(std::move(a));
      return n;
    };
    if (fn == "day" || fn == "date") {
      ir::ExprPtr n = unary(Op::kDay, {TypeKind::kTimestamp}, Type::Of(TypeKind::kDate));
      if (!Bad(n)) n->name = s_.scopes_[env_.ruleset_module].timezone;
      return n;
    }
    if (fn == "currency_class") {
      int home = s_.scopes_[env_.ruleset_module].home_currency;
      if (home < 0) {
        Report("E0401", e.range, "currency_class() needs the ruleset's home currency")
            .Help("declare it in the header: `currency CNY`");
        return ErrorNode();
      }
      ir::ExprPtr n = unary(Op::kCurrencyClass, {TypeKind::kMoney}, Type::Enum(s_.CurrencyClassEnum(home)));
      if (!Bad(n)) n->name = std::string(CurrencyCode(static_cast<CurrencyId>(home)));
      return n;
    }
    if (fn == "length") return unary(Op::kLength, {TypeKind::kText, TypeKind::kId, TypeKind::kCountry}, Type::Of(TypeKind::kInteger));
    if (fn == "weekday") return unary(Op::kWeekday, {TypeKind::kDate}, Type::Of(TypeKind::kInteger));
    if (fn == "abs") {
      return unary(Op::kAbs, {TypeKind::kInteger, TypeKind::kDecimal, TypeKind::kMoney, TypeKind::kDuration}, Type());
    }
    if (fn == "multiple_of" || fn == "ratio") {
      if (!arity(2)) return ErrorNode();
      ir::ExprPtr a, b;
      CheckPair(*e.args[0], *e.args[1], &a, &b);
      if (Bad(a) || Bad(b)) return ErrorNode();
      if (!(IsNumKind(a->type.kind) || a->type.kind == TypeKind::kMoney)) {
        return Error("E0302", e.args[0]->range, fmt::format("{}() takes numbers or money, not {}", fn, s_.TypeName(a->type)));
      }
      if (!Unify(&a, &b, e, fn == "ratio" ? "divide" : "divide")) return ErrorNode();
      auto n = Node(fn == "ratio" ? Op::kRatio : Op::kMultipleOf, Type::Of(fn == "ratio" ? TypeKind::kRatio : TypeKind::kBool));
      n->type.optional = true;
      n->text = Text(e);
      n->kids.push_back(std::move(a));
      n->kids.push_back(std::move(b));
      return n;
    }
    if (fn == "matches") {
      if (!arity(2)) return ErrorNode();
      ir::ExprPtr a = Check(*e.args[0], nullptr);
      ir::Value pat;
      Type pt;
      if (Bad(a) || !s_.EvalConst(*e.args[1], env_, nullptr, &pat, &pt)) return ErrorNode();
      if (!IsTextKind(a->type.kind) || pt.kind != TypeKind::kText) {
        return Error("E0302", e.range, "matches() takes a text and a constant pattern: matches(f.code, \"^[A-Z]{3}$\")");
      }
      UErrorCode status = U_ZERO_ERROR;
      UParseError perr;
      std::unique_ptr<icu::RegexPattern> re(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(pat.s), perr, status));
      if (U_FAILURE(status)) {
        return Error("E0302", e.args[1]->range, fmt::format("invalid pattern (offset {}): {}", perr.offset, u_errorName(status)));
      }
      auto n = Node(Op::kMatches, Type::Of(TypeKind::kBool));
      n->type.optional = a->type.optional;
      n->kids.push_back(std::move(a));
      n->kids.push_back(ir::MakeConst(pat, pt));
      return n;
    }
    if (fn == "lookup" || fn == "exists") {
      if (e.args.empty() || e.args[0]->kind != ast::ExprKind::kName) {
        return Error("E0302", e.range, fmt::format("{}(<table>, <key>, …) names a table first", fn));
      }
      int table = s_.FindTable(env_.module, e.args[0]->text);
      if (table < 0) return Error("E0205", e.args[0]->range, fmt::format("unknown table `{}`", e.args[0]->text));
      const ir::TableDecl& t = s_.p_->tables[table];
      if (e.args.size() - 1 != t.keys.size()) {
        return Error("E0302", e.range, fmt::format("table {} has {} key column{}; {} given", e.args[0]->text, t.keys.size(),
                                                   t.keys.size() == 1 ? "" : "s", e.args.size() - 1));
      }
      if (fn == "lookup" && t.values.size() != 1) {
        return Error("E0302", e.range, fmt::format("lookup() needs a table with one value column; {} has {}", e.args[0]->text,
                                                   t.values.size()));
      }
      auto n = Node(fn == "lookup" ? Op::kLookup : Op::kInTable,
                    fn == "lookup" ? t.values[0].type.AsOptional() : Type::Of(TypeKind::kBool));
      if (n->type.kind == TypeKind::kRate) {
        n->type.kind = TypeKind::kDecimal;
        n->type.currency = -1;
      }
      n->index = table;
      if (fn == "lookup") n->name = t.values[0].name;
      for (size_t i = 1; i < e.args.size(); ++i) {
        Type kt = t.keys[i - 1].type;
        ir::ExprPtr k = Check(*e.args[i], &kt);
        if (Bad(k)) return k;
        ir::ExprPtr probe = ir::MakeConst(ir::Value::Null(), kt);
        if (!Unify(&k, &probe, *e.args[i], "look up")) return ErrorNode();
        n->kids.push_back(std::move(k));
      }
      return n;
    }
    if (fn == "screen") {
      if (!arity(2)) return ErrorNode();
      ir::ExprPtr a = Check(*e.args[0], nullptr);
      ir::ExprPtr l = Check(*e.args[1], nullptr);
      if (Bad(a) || Bad(l)) return ErrorNode();
      if (!IsTextKind(a->type.kind) || l->type.kind != TypeKind::kList) {
        return Error("E0302", e.range, "screen() takes a name and a list: screen(t.counterparty_name, list \"un-sc\")");
      }
      auto n = Node(Op::kScreen, Type::Decimal(4));
      n->type.optional = true;
      n->name = l->value.s;
      n->kids.push_back(std::move(a));
      return n;
    }
    int owner;
    if (const ast::LetDecl* let = s_.FindLet(env_.module, fn, &owner)) return Inline(e, *let, owner, hint);
    Diagnostic& d = Report("E0207", e.unit_range.valid() ? e.unit_range : e.range, fmt::format("unknown function `{}`", fn));
    std::vector<std::string> names;
    std::string all = kBuiltins;
    for (size_t p = 0, q; p < all.size(); p = q + 1) {
      q = all.find(' ', p);
      if (q == std::string::npos) q = all.size();
      names.push_back(all.substr(p, q - p));
    }
    std::string guess = Suggest(fn, names);
    d.Help(guess.empty() ? std::string("the built-in functions are: ") + kBuiltins : fmt::format("did you mean `{}`?", guess));
    return ErrorNode();
  }

  ir::ExprPtr Inline(const ast::Expr& e, const ast::LetDecl& let, int owner, const Type* hint) {
    if (std::find(env_.let_stack.begin(), env_.let_stack.end(), let.name.name) != env_.let_stack.end()) {
      return Error("E0212", e.range, fmt::format("`{}` calls itself", let.name.name));
    }
    if (e.args.size() != let.params.size()) {
      return Error("E0302", e.range, fmt::format("{}() takes {} argument{}, got {}", let.name.name, let.params.size(),
                                                 let.params.size() == 1 ? "" : "s", e.args.size()));
    }
    Env inner = env_;
    inner.module = owner;
    inner.let_stack.push_back(let.name.name);
    inner.aliases.clear();
    inner.var.clear();
    ExprChecker body(s_, inner);
    body.key_asts_ = nullptr;
    for (size_t i = 0; i < let.params.size(); ++i) {
      const ast::Ident& pname = let.params[i].first;
      const ast::Ident& ptype = let.params[i].second;
      int layout = s_.FindLayout(owner, ptype.name);
      if (layout >= 0) {
        const ast::Expr& arg = *e.args[i];
        if (arg.kind != ast::ExprKind::kName || !IsRowVar(arg.text)) {
          return Error("E0302", arg.range, fmt::format("`{}` of {}() is a {} row: pass the rule's row variable", pname.name,
                                                       let.name.name, ptype.name));
        }
        if (layout != env_.layout) {
          return Error("E0301", arg.range, fmt::format("{}() takes a {} row, but `{}` is a {} row", let.name.name, ptype.name,
                                                       arg.text, s_.p_->layouts[env_.layout].name));
        }
        inner.aliases[pname.name] = arg.text;
      } else {
        body.substitutions_[pname.name] = {e.args[i].get(), &env_};
      }
    }
    // Errors inside the body point at the body (where the fix belongs).
    return body.Check(*let.body, hint);
  }

  ir::ExprPtr Aggregate(const ast::Expr& e) {
    const std::string& fn = e.text;
    if (env_.level != Level::kGroup) {
      Report("E0308", e.range, fmt::format("{}() aggregates a group, but this rule has no `per` clause", fn))
          .Help("add e.g. `per t.customer_id, day(t.booked_at)`, or `over sliding 24 hours` for a window");
      return ErrorNode();
    }
    if (env_.in_aggregate) return Error("E0308", e.range, "aggregates cannot be nested");
    ir::Agg agg;
    agg.text = Text(e);
    Env row = env_;
    row.level = Level::kRow;
    row.in_aggregate = true;
    ExprChecker inner(s_, row);
    inner.substitutions_ = substitutions_;
    if (e.filter) {
      agg.filter = inner.Bool(*e.filter, "the `where` of an aggregate");
      if (Bad(agg.filter)) return ErrorNode();
      s_.AddFacts(*agg.filter, &row);
    }
    bool counts_rows = fn == "count" && !e.distinct &&
                       (e.args.empty() || (e.args.size() == 1 && e.args[0]->kind == ast::ExprKind::kName && IsRowVar(e.args[0]->text)));
    if (counts_rows) {
      agg.kind = ir::AggKind::kCount;
      agg.type = Type::Of(TypeKind::kInteger);
    } else {
      if (e.args.size() != 1) {
        return Error("E0302", e.range, fmt::format("{}() takes one argument{}", fn, fn == "count" ? " (or none)" : ""));
      }
      agg.arg = inner.Check(*e.args[0], nullptr);
      if (Bad(agg.arg)) return ErrorNode();
      const Type& t = agg.arg->type;
      if (t.kind == TypeKind::kRecord) return Error("E0302", e.args[0]->range, fmt::format("{}() of a whole row: use a field", fn));
      if (e.distinct && fn != "count") return Error("E0302", e.range, "`distinct` is for count(distinct …)");
      if (fn == "count") {  // count(x) counts the rows where x is not null
        agg.kind = e.distinct ? ir::AggKind::kCountDistinct : ir::AggKind::kCount;
        agg.type = Type::Of(TypeKind::kInteger);
      } else if (fn == "sum") {
        if (!(IsNumKind(t.kind) || t.kind == TypeKind::kMoney || t.kind == TypeKind::kDuration)) {
          return Error("E0302", e.args[0]->range, fmt::format("sum() adds numbers, money or durations, not {}", s_.TypeName(t)));
        }
        agg.kind = ir::AggKind::kSum;
        agg.type = t.kind == TypeKind::kRate ? Type::Decimal(t.scale) : t;
        agg.type.optional = true;  // the sum of no rows is null, as in SQL
      } else {
        if (t.kind == TypeKind::kEnum || t.kind == TypeKind::kBool || t.kind == TypeKind::kCurrency || t.kind == TypeKind::kList) {
          return Error("E0302", e.args[0]->range, fmt::format("{}() needs ordered values, not {}", fn, s_.TypeName(t)));
        }
        agg.kind = fn == "min" ? ir::AggKind::kMin : ir::AggKind::kMax;
        agg.type = t.AsOptional();
      }
    }
    // Key guards become a row filter: the aggregate is read only for groups with those key
    // values, so it needs (and may safely see) only their rows.
    for (const auto& [key, value] : env_.key_guards) {
      const ir::Key& k = env_.rule->keys[key];
      auto eq = Node(Op::kEq, Type::Of(TypeKind::kBool));
      eq->type.optional = k.expr->type.optional;
      eq->text = k.name + " = " + ir::ValueToDisplay(value, s_.p_);
      eq->kids.push_back(k.expr->Clone());
      eq->kids.push_back(ir::MakeConst(value, k.expr->type.NonOptional()));
      if (!agg.filter) {
        agg.filter = std::move(eq);
      } else {
        auto both = Node(Op::kAnd, Type::Of(TypeKind::kBool));
        both->type.optional = agg.filter->type.optional || eq->type.optional;
        both->kids.push_back(std::move(eq));
        both->kids.push_back(std::move(agg.filter));
        agg.filter = std::move(both);
      }
    }
    // Identical aggregates share one slot.
    std::string key = std::string(ir::AggKindName(agg.kind)) + "|" + ir::TypeToString(agg.type) + "|" +
                      (agg.arg ? Encode(*agg.arg) : "") + "|" + (agg.filter ? Encode(*agg.filter) : "");
    int slot = -1;
    for (size_t i = 0; i < env_.rule->aggs.size(); ++i) {
      const ir::Agg& o = env_.rule->aggs[i];
      std::string ok = std::string(ir::AggKindName(o.kind)) + "|" + ir::TypeToString(o.type) + "|" + (o.arg ? Encode(*o.arg) : "") +
                       "|" + (o.filter ? Encode(*o.filter) : "");
      if (ok == key) slot = static_cast<int>(i);
    }
    Type t = agg.type;
    if (slot < 0) {
      slot = static_cast<int>(env_.rule->aggs.size());
      env_.rule->aggs.push_back(std::move(agg));
    }
    auto n = Node(Op::kAgg, t);
    n->index = slot;
    n->text = env_.rule->aggs[slot].text;
    return n;
  }

  Sema& s_;
  Env& env_;
};

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
