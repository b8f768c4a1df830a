// ExprChecker (sema/expr_checker.h): operators, conversions, conditionals, calls, inline
// lets and aggregates.
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


ir::ExprPtr ExprChecker::Binary(const ast::Expr& e, const Type* hint) {
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

ir::ExprPtr ExprChecker::AddSub(const ast::Expr& e, ir::ExprPtr a, ir::ExprPtr b, bool optional) {
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

ir::ExprPtr ExprChecker::Mul(const ast::Expr& e, ir::ExprPtr a, ir::ExprPtr b, bool optional) {
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

ir::ExprPtr ExprChecker::Neg(const ast::Expr& e, const Type* hint) {
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

ir::ExprPtr ExprChecker::AndOr(const ast::Expr& e) {
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

ir::ExprPtr ExprChecker::In(const ast::Expr& e) {
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

ir::ExprPtr ExprChecker::If(const ast::Expr& e, const Type* hint) {
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

ir::ExprPtr ExprChecker::Convert(const ast::Expr& e) {
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

ir::ExprPtr ExprChecker::DayOfRow(const SourceRange& r) {
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

ir::ExprPtr ExprChecker::Call(const ast::Expr& e, const Type* hint) {
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

ir::ExprPtr ExprChecker::Inline(const ast::Expr& e, const ast::LetDecl& let, int owner, const Type* hint) {
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

ir::ExprPtr ExprChecker::Aggregate(const ast::Expr& e) {
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

}  // namespace decree::sema
