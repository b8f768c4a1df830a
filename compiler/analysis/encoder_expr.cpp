// Encoder::Encode: expressions as Z3 terms, one function per operator family.
#include "analysis/encoder.h"
#include "analysis/encoder_internal.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/civil.h"
#include "common/codes.h"
#include "common/decimal.h"
#include "ir/ir_codec.h"
#include "ir/ir.h"
#include "ir/sexpr.h"

namespace decree::analysis {

Term Encoder::Encode(const ir::Expr& e, Scope& s) {
  switch (e.op) {
    case Op::kConst: return Const(e.value, e.type);
    case Op::kColumn: return s.rec->fields[static_cast<size_t>(e.index)];
    case Op::kKey: return (*s.keys)[static_cast<size_t>(e.index)];
    case Op::kAgg: return (*s.aggs)[static_cast<size_t>(e.index)];
    case Op::kNot:
    case Op::kAnd:
    case Op::kOr:
    case Op::kIf:
    case Op::kIsNull:
    case Op::kIsNotNull: return EncodeLogic(e, s);
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
    case Op::kIn: return EncodeCompare(e, s);
    case Op::kNeg:
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kMod:
    case Op::kMultipleOf:
    case Op::kRatio:
    case Op::kAbs: return EncodeArith(e, s);
    case Op::kCast:
    case Op::kMoneyValue:
    case Op::kMoneyCurrency:
    case Op::kConvert:
    case Op::kCurrencyClass: return EncodeMoney(e, s);
    case Op::kInTable:
    case Op::kLookup: return EncodeTable(e, s);
    case Op::kDay:
    case Op::kLength:
    case Op::kMatches:
    case Op::kScreen:
    case Op::kWeekday: return EncodeTimeText(e, s);
    default: break;
  }
  Term out(ctx_);
  out.null = ctx_.bool_val(false);
  out.v = Fresh("unknown", e.type.kind == TypeKind::kBool);
  return out;
}

// not, and, or (three-valued), if, is null
Term Encoder::EncodeLogic(const ir::Expr& e, Scope& s) {
  auto kid = [&](size_t i) { return Encode(*e.kids[i], s); };
  Term out(ctx_);
  out.null = ctx_.bool_val(false);
  switch (e.op) {
    case Op::kNot: {
      Term a = kid(0);
      out.v = !a.v;
      out.null = a.null;
      return out;
    }
    case Op::kAnd:
    case Op::kOr: {
      z3::expr_vector t(ctx_), f(ctx_);
      for (size_t i = 0; i < e.kids.size(); ++i) {
        Term a = kid(i);
        t.push_back(!a.null && a.v);
        f.push_back(!a.null && !a.v);
      }
      z3::expr is_true = e.op == Op::kAnd ? z3::mk_and(t) : z3::mk_or(t);
      z3::expr is_false = e.op == Op::kAnd ? z3::mk_or(f) : z3::mk_and(f);
      out.v = is_true;
      out.null = !is_true && !is_false;
      return out;
    }
    case Op::kIf: {
      Term c = kid(0), a = kid(1), b = kid(2);
      if (a.v.is_int()) Align(&a, &b);
      Term r = a;
      r.v = z3::ite(Truth(c), a.v, b.v);
      r.null = z3::ite(Truth(c), a.null, b.null);
      if (a.money && b.money) r.cur = z3::ite(Truth(c), a.cur, b.cur);
      return r;
    }
    case Op::kIsNull:
    case Op::kIsNotNull: {
      Term a = kid(0);
      out.v = e.op == Op::kIsNull ? a.null : !a.null;
      return out;
    }
    default: break;
  }
  out.v = Fresh("unknown", e.type.kind == TypeKind::kBool);
  return out;
}

// comparisons (scales aligned) and `in` sets
Term Encoder::EncodeCompare(const ir::Expr& e, Scope& s) {
  auto kid = [&](size_t i) { return Encode(*e.kids[i], s); };
  Term out(ctx_);
  out.null = ctx_.bool_val(false);
  switch (e.op) {
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      Term a = kid(0), b = kid(1);
      out.null = a.null || b.null;
      z3::expr l = a.v, r = b.v;
      if (a.ratio || b.ratio) {
        // n/d op x  <=>  n op x*d  (d > 0; a zero denominator makes the ratio null)
        Term& q = a.ratio ? a : b;
        Term& x = a.ratio ? b : a;
        z3::expr n = Scaled(q.v, x.scale + q.den_scale), d_x = Scaled(q.den * x.v, q.scale);
        out.null = out.null || q.den <= 0;
        l = a.ratio ? n : d_x;
        r = a.ratio ? d_x : n;
      } else {
        Align(&a, &b);
        l = a.v;
        r = b.v;
      }
      switch (e.op) {
        case Op::kEq: out.v = l == r; break;
        case Op::kNe: out.v = l != r; break;
        case Op::kLt: out.v = l < r; break;
        case Op::kLe: out.v = l <= r; break;
        case Op::kGt: out.v = l > r; break;
        default: out.v = l >= r; break;
      }
      return out;
    }
    case Op::kIn: {
      Term a = kid(0);
      const ir::Value& set = e.kids[1]->value;
      z3::expr_vector any(ctx_);
      for (const ir::Value& el : set.elems) {
        Term c = Const(el, e.kids[0]->type.NonOptional());
        Term x = a;
        Align(&x, &c);
        any.push_back(x.v == c.v);
      }
      out.v = any.empty() ? ctx_.bool_val(false) : z3::mk_or(any);
      out.null = a.null;
      return out;
    }
    default: break;
  }
  out.v = Fresh("unknown", e.type.kind == TypeKind::kBool);
  return out;
}

// exact arithmetic on scaled integers
Term Encoder::EncodeArith(const ir::Expr& e, Scope& s) {
  auto kid = [&](size_t i) { return Encode(*e.kids[i], s); };
  Term out(ctx_);
  out.null = ctx_.bool_val(false);
  switch (e.op) {
    case Op::kNeg: {
      Term a = kid(0);
      a.v = -a.v;
      return a;
    }
    case Op::kAdd:
    case Op::kSub: {
      Term a = kid(0), b = kid(1);
      Align(&a, &b);
      a.v = e.op == Op::kAdd ? a.v + b.v : a.v - b.v;
      a.null = a.null || b.null;
      if (!a.money && b.money) {
        a.money = true;
        a.cur = b.cur;
      }
      return a;
    }
    case Op::kMul: {
      Term a = kid(0), b = kid(1);
      Term r = a.money ? a : b;
      r.v = a.v * b.v;
      r.scale = a.scale + b.scale;
      r.null = a.null || b.null;
      int want = e.type.kind == TypeKind::kDecimal || e.type.kind == TypeKind::kMoney || e.type.kind == TypeKind::kRate
                     ? e.type.scale
                     : r.scale;
      if (want < r.scale) {  // the runtime rounds to the result's scale: within one unit of it
        z3::expr q = Fresh("product");
        z3::expr unit = ctx_.int_val(Pow10Text(r.scale - want).c_str());
        background_.push_back(q * unit - r.v < unit && r.v - q * unit < unit);
        r.v = q;
        r.scale = want;
      }
      return r;
    }
    case Op::kMod: {
      Term a = kid(0), b = kid(1);
      Align(&a, &b);
      out.v = z3::mod(a.v, b.v);
      out.scale = a.scale;
      out.null = a.null || b.null || b.v == 0;
      return out;
    }
    case Op::kMultipleOf: {
      Term a = kid(0), b = kid(1);
      Align(&a, &b);
      out.v = b.v != 0 && z3::mod(a.v, b.v) == 0;
      out.null = a.null || b.null;
      return out;
    }
    case Op::kRatio: {
      Term a = kid(0), b = kid(1);
      out.v = a.v;
      out.scale = a.scale;
      out.ratio = true;
      out.den = b.v;
      out.den_scale = b.scale;
      out.null = a.null || b.null;
      return out;
    }
    case Op::kAbs: {
      Term a = kid(0);
      a.v = z3::ite(a.v < 0, -a.v, a.v);
      return a;
    }
    default: break;
  }
  out.v = Fresh("unknown", e.type.kind == TypeKind::kBool);
  return out;
}

// casts, money parts, conversions through rate tables, currency classes
Term Encoder::EncodeMoney(const ir::Expr& e, Scope& s) {
  auto kid = [&](size_t i) { return Encode(*e.kids[i], s); };
  Term out(ctx_);
  out.null = ctx_.bool_val(false);
  switch (e.op) {
    case Op::kCast: {
      Term a = kid(0);
      int target = e.type.kind == TypeKind::kDecimal || e.type.kind == TypeKind::kMoney || e.type.kind == TypeKind::kRate
                       ? e.type.scale
                       : a.scale;
      if (target > a.scale) {
        a.v = Scaled(a.v, target - a.scale);
        a.scale = target;
      }
      return a;
    }
    case Op::kMoneyValue: {
      Term a = kid(0);
      a.money = false;
      return a;
    }
    case Op::kMoneyCurrency: {
      Term a = kid(0);
      out.v = a.cur;
      out.null = a.null;
      return out;
    }
    case Op::kConvert: {
      Term a = kid(0), d = kid(1);
      int target_scale = e.type.scale;
      int target = e.type.currency;
      std::string key = fmt::format("{}/{}/{}/{}/{}", a.v.id(), a.cur.id(), d.v.id(), p_.tables[e.index].name, target);
      auto it = s_->conversions.find(key);
      z3::expr result = Fresh("converted");
      if (it != s_->conversions.end()) {
        result = it->second;
      } else {
        // Same currency: the amount itself.  Otherwise an unknown positive rate: the sign is
        // kept (rates are positive), the size is free.
        Term same = a;
        if (target_scale > same.scale) same.v = Scaled(same.v, target_scale - same.scale);
        z3::expr is_same = a.cur == target;
        background_.push_back(z3::implies(is_same, result == same.v));
        background_.push_back(z3::implies(!is_same, (a.v > 0) == (result > 0) && (a.v == 0) == (result == 0)));
        s_->conversions.emplace(key, result);
        s_->conversion_list.push_back(Conversion{p_.tables[e.index].name, a.v, a.cur, d.v, result, a.scale, target_scale, target});
      }
      out.v = result;
      out.scale = target_scale;
      out.money = true;
      out.cur = ctx_.int_val(target);
      out.null = a.null || d.null;
      return out;
    }
    case Op::kCurrencyClass: {
      Term a = kid(0);
      CurrencyId home = LookupCurrency(e.name);
      // The enum sema gives it: 0 = the home currency, 1 = FX.
      out.v = z3::ite(a.cur == static_cast<int>(home), ctx_.int_val(0), ctx_.int_val(1));
      out.null = a.null;
      return out;
    }
    default: break;
  }
  out.v = Fresh("unknown", e.type.kind == TypeKind::kBool);
  return out;
}

// table membership and lookups
Term Encoder::EncodeTable(const ir::Expr& e, Scope& s) {
  auto kid = [&](size_t i) { return Encode(*e.kids[i], s); };
  Term out(ctx_);
  out.null = ctx_.bool_val(false);
  switch (e.op) {
    case Op::kInTable:
    case Op::kLookup: {
      z3::sort_vector domain(ctx_);
      z3::expr_vector args(ctx_);
      z3::expr null = ctx_.bool_val(false);
      for (size_t i = 0; i < e.kids.size(); ++i) {
        Term a = kid(i);
        null = null || a.null;
        domain.push_back(a.v.get_sort());
        args.push_back(a.v);
      }
      std::string name = fmt::format("{}:{}:{}", e.op == Op::kInTable ? "in" : "lookup", p_.tables[e.index].name, e.name);
      z3::sort range = e.op == Op::kInTable || e.type.kind == TypeKind::kBool ? ctx_.bool_sort() : ctx_.int_sort();
      z3::func_decl f = z3::function(name.c_str(), domain, range);
      z3::func_decl missing = z3::function((name + "?missing").c_str(), domain, ctx_.bool_sort());
      out.v = f(args);
      out.null = e.op == Op::kInTable ? null : null || missing(args);
      out.scale = e.type.kind == TypeKind::kDecimal || e.type.kind == TypeKind::kMoney || e.type.kind == TypeKind::kRate ? e.type.scale : 0;
      if (e.type.kind == TypeKind::kMoney) {
        out.money = true;
        out.cur = e.type.currency >= 0 ? ctx_.int_val(e.type.currency) : z3::function((name + "?currency").c_str(), domain, ctx_.int_sort())(args);
      }
      return out;
    }
    default: break;
  }
  out.v = Fresh("unknown", e.type.kind == TypeKind::kBool);
  return out;
}

// local days and weekdays; text functions and screen() scores as free values
Term Encoder::EncodeTimeText(const ir::Expr& e, Scope& s) {
  auto kid = [&](size_t i) { return Encode(*e.kids[i], s); };
  Term out(ctx_);
  out.null = ctx_.bool_val(false);
  switch (e.op) {
    case Op::kDay: {
      Term a = kid(0);
      out.v = LocalDay(a.v, e.name);
      out.null = a.null;
      return out;
    }
    case Op::kLength:
    case Op::kMatches:
    case Op::kScreen: {
      Term a = kid(0);
      std::string name = fmt::format("{}:{}", ir::OpName(e.op),
                                     e.op == Op::kMatches ? e.kids[1]->value.s : e.name);
      z3::sort range = e.op == Op::kMatches ? ctx_.bool_sort() : ctx_.int_sort();
      z3::func_decl f = z3::function(name.c_str(), a.v.get_sort(), range);
      out.v = f(a.v);
      out.null = a.null;
      if (e.op == Op::kLength) background_.push_back(out.v >= 0);
      if (e.op == Op::kScreen) {
        out.scale = 4;
        background_.push_back(out.v >= 0 && out.v <= 10000);
      }
      return out;
    }
    case Op::kWeekday: {
      Term a = kid(0);
      out.v = z3::mod(a.v + 3, 7) + 1;  // 1970-01-01 was a Thursday
      out.null = a.null;
      return out;
    }
    default: break;
  }
  out.v = Fresh("unknown", e.type.kind == TypeKind::kBool);
  return out;
}

}  // namespace decree::analysis
