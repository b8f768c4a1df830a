#include "ir/eval.h"

#include <fmt/format.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include "common/civil.h"
#include "common/codes.h"
#include "common/timezone.h"
#include "common/utf8.h"

namespace decree::ir {

Value EvalContext::Column(int) const { return Value::Null(); }
Value EvalContext::Key(int) const { return Value::Null(); }
Value EvalContext::Agg(int, std::string* error) const {
  *error = "aggregate outside a group";
  return Value::Null();
}
bool EvalContext::Lookup(int, const std::vector<Value>&, const std::string&, Value*) const { return false; }
bool EvalContext::Screen(const std::string& list, const std::string&, Value*, std::string* error) const {
  *error = "watch list '" + list + "' is not loaded";
  return false;
}
std::string EvalContext::ScreenMatch(const std::string&, const std::string&) const { return ""; }

namespace {

class Evaluator {
 public:
  Evaluator(const Program& p, const EvalContext& ctx, std::string* error) : p_(p), ctx_(ctx), error_(error) {}

  bool Fail(std::string msg) {
    *error_ = std::move(msg);
    return false;
  }

  bool Eval(const Expr& e, Value* out) {
    switch (e.op) {
      case Op::kConst: *out = e.value; return true;
      case Op::kColumn: *out = ctx_.Column(e.index); return true;
      case Op::kKey: *out = ctx_.Key(e.index); return true;
      case Op::kAgg: {
        *out = ctx_.Agg(e.index, error_);
        return error_->empty();
      }
      case Op::kAnd:
      case Op::kOr: {
        bool is_and = e.op == Op::kAnd;
        bool saw_null = false;
        for (const ExprPtr& k : e.kids) {
          Value v;
          if (!Eval(*k, &v)) return false;
          if (v.null) {
            saw_null = true;
          } else if ((v.i != 0) != is_and) {
            *out = Value::Bool(!is_and);
            return true;
          }
        }
        *out = saw_null ? Value::Null() : Value::Bool(is_and);
        return true;
      }
      case Op::kIf: {
        Value c;
        if (!Eval(*e.kids[0], &c)) return false;
        return Eval(*e.kids[c.truthy() ? 1 : 2], out);
      }
      default: break;
    }
    std::vector<Value> v(e.kids.size());
    for (size_t i = 0; i < e.kids.size(); ++i) {
      if (!Eval(*e.kids[i], &v[i])) return false;
    }
    return Apply(e, v, out);
  }

  bool Apply(const Expr& e, const std::vector<Value>& v, Value* out);

 private:
  bool Overflow(const Expr& e) { return Fail(fmt::format("arithmetic overflow in {}", e.text.empty() ? OpName(e.op) : e.text)); }

  static bool DecimalOf(const Value& v, i128* m, int* s) {
    switch (v.kind) {
      case TypeKind::kInteger: *m = v.i; *s = 0; return true;
      case TypeKind::kDecimal:
      case TypeKind::kRate:
      case TypeKind::kMoney: *m = v.m; *s = v.scale; return true;
      default: return false;
    }
  }

  bool Cast(const Value& in, const Type& to, Value* out) {
    if (in.null) {
      *out = Value::Null();
      return true;
    }
    switch (to.kind) {
      case TypeKind::kDecimal:
      case TypeKind::kRate:
      case TypeKind::kMoney: {
        i128 m;
        int s;
        if (!DecimalOf(in, &m, &s)) return Fail("bad cast");
        i128 r;
        if (to.scale < s) return Fail("cast would lose digits");
        if (!Rescale(m, s, to.scale, &r)) return Fail("arithmetic overflow in cast");
        // Only the scale changes; money keeps its currency, rates become plain decimals.
        *out = in;
        out->kind = in.kind == TypeKind::kMoney ? TypeKind::kMoney : TypeKind::kDecimal;
        out->m = r;
        out->scale = to.scale;
        return true;
      }
      case TypeKind::kText:
      case TypeKind::kId:
      case TypeKind::kCountry:
        *out = in;
        out->kind = to.kind;
        return true;
      case TypeKind::kInteger:
        *out = in;
        return true;
      default:
        *out = in;
        return true;
    }
  }

  bool Compare(const Expr& e, const Value& a, const Value& b, Value* out) {
    if (a.null || b.null) {
      *out = Value::Null();
      return true;
    }
    bool ok;
    int c = CompareValues(a, b, &ok);
    if (!ok) {
      if (a.kind == TypeKind::kRatio || b.kind == TypeKind::kRatio) {
        *out = Value::Null();  // a ratio over a zero denominator is undefined
        return true;
      }
      return Fail(fmt::format("cannot compare {} with {}", ValueToDisplay(a, &p_), ValueToDisplay(b, &p_)));
    }
    bool r = false;
    switch (e.op) {
      case Op::kEq: r = c == 0; break;
      case Op::kNe: r = c != 0; break;
      case Op::kLt: r = c < 0; break;
      case Op::kLe: r = c <= 0; break;
      case Op::kGt: r = c > 0; break;
      case Op::kGe: r = c >= 0; break;
      default: break;
    }
    *out = Value::Bool(r);
    return true;
  }

  bool AddSub(const Expr& e, const Value& a, const Value& b, Value* out) {
    bool sub = e.op == Op::kSub;
    if (a.null || b.null) {
      *out = Value::Null();
      return true;
    }
    auto time_like = [](TypeKind k) {
      return k == TypeKind::kTimestamp || k == TypeKind::kDate || k == TypeKind::kDuration;
    };
    if (time_like(a.kind) || time_like(b.kind)) {
      // date values count days; durations microseconds.
      int64_t av = a.kind == TypeKind::kDate ? a.i * kMicrosPerDay : a.i;
      int64_t bv = b.kind == TypeKind::kDate ? b.i * kMicrosPerDay : b.i;
      int64_t r;
      if (sub ? __builtin_sub_overflow(av, bv, &r) : __builtin_add_overflow(av, bv, &r)) return Overflow(e);
      if (e.type.kind == TypeKind::kDate) {
        *out = Value::Date(static_cast<int32_t>(FloorDiv(r, kMicrosPerDay)));
      } else if (e.type.kind == TypeKind::kTimestamp) {
        *out = Value::Timestamp(r);
      } else {
        *out = Value::Duration(r);
      }
      return true;
    }
    if (a.kind == TypeKind::kInteger && b.kind == TypeKind::kInteger) {
      int64_t r;
      if (sub ? __builtin_sub_overflow(a.i, b.i, &r) : __builtin_add_overflow(a.i, b.i, &r)) return Overflow(e);
      *out = Value::Integer(r);
      return true;
    }
    if (a.kind == TypeKind::kMoney && b.kind == TypeKind::kMoney && a.currency != b.currency) {
      return Fail(fmt::format("cannot {} {} and {}", sub ? "subtract" : "add", ValueToDisplay(a, &p_),
                              ValueToDisplay(b, &p_)));
    }
    i128 am, bm;
    int as, bs;
    if (!DecimalOf(a, &am, &as) || !DecimalOf(b, &bm, &bs)) return Fail("bad operands");
    int s = std::max(as, bs);
    if (!Rescale(am, as, s, &am) || !Rescale(bm, bs, s, &bm)) return Overflow(e);
    i128 r;
    if (sub ? __builtin_sub_overflow(am, bm, &r) : !AddChecked(am, bm, &r)) return Overflow(e);
    *out = a.kind == TypeKind::kMoney ? Value::Money(r, s, a.currency) : Value::Decimal(r, s);
    return true;
  }

  bool Mul(const Expr& e, const Value& a, const Value& b, Value* out) {
    if (a.null || b.null) {
      *out = Value::Null();
      return true;
    }
    if (a.kind == TypeKind::kDuration || b.kind == TypeKind::kDuration) {
      const Value& d = a.kind == TypeKind::kDuration ? a : b;
      const Value& n = a.kind == TypeKind::kDuration ? b : a;
      int64_t r;
      if (n.kind != TypeKind::kInteger || __builtin_mul_overflow(d.i, n.i, &r)) return Overflow(e);
      *out = Value::Duration(r);
      return true;
    }
    if (a.kind == TypeKind::kInteger && b.kind == TypeKind::kInteger) {
      int64_t r;
      if (__builtin_mul_overflow(a.i, b.i, &r)) return Overflow(e);
      *out = Value::Integer(r);
      return true;
    }
    i128 am, bm, r;
    int as, bs;
    if (!DecimalOf(a, &am, &as) || !DecimalOf(b, &bm, &bs)) return Fail("bad operands");
    if (!MulChecked(am, bm, &r) || as + bs > kMaxScale) return Overflow(e);
    if (a.kind == TypeKind::kMoney) {
      *out = Value::Money(r, as + bs, a.currency);
    } else if (b.kind == TypeKind::kMoney) {
      *out = Value::Money(r, as + bs, b.currency);
    } else {
      *out = Value::Decimal(r, as + bs);
    }
    return true;
  }

  bool ApplyImpl(const Expr& e, const std::vector<Value>& v, Value* out) {
    switch (e.op) {
      case Op::kCast: return Cast(v[0], e.type, out);
      case Op::kNot:
        *out = v[0].null ? Value::Null() : Value::Bool(v[0].i == 0);
        return true;
      case Op::kNeg: {
        if (v[0].null) {
          *out = Value::Null();
          return true;
        }
        *out = v[0];
        if (v[0].kind == TypeKind::kInteger || v[0].kind == TypeKind::kDuration) {
          out->i = -v[0].i;
        } else {
          out->m = -v[0].m;
        }
        return true;
      }
      case Op::kEq:
      case Op::kNe:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: return Compare(e, v[0], v[1], out);
      case Op::kAdd:
      case Op::kSub: return AddSub(e, v[0], v[1], out);
      case Op::kMul: return Mul(e, v[0], v[1], out);
      case Op::kMod: return Fail("modulo is not supported");
      case Op::kIn:
        *out = v[0].null ? Value::Null() : Value::Bool(SetContains(v[1], v[0]));
        return true;
      case Op::kInTable:
      case Op::kLookup: {
        for (const Value& k : v) {
          if (k.null) {
            *out = Value::Null();
            return true;
          }
        }
        Value found;
        bool hit = ctx_.Lookup(e.index, v, e.name, &found);
        if (e.op == Op::kInTable) {
          *out = Value::Bool(hit);
        } else {
          *out = hit ? found : Value::Null();
        }
        return true;
      }
      case Op::kIsNull: *out = Value::Bool(v[0].null); return true;
      case Op::kIsNotNull: *out = Value::Bool(!v[0].null); return true;
      case Op::kMoneyValue:
        *out = v[0].null ? Value::Null() : Value::Decimal(v[0].m, v[0].scale);
        return true;
      case Op::kMoneyCurrency:
        *out = v[0].null ? Value::Null() : Value::Currency(v[0].currency);
        return true;
      case Op::kConvert: {
        const Value& money = v[0];
        const Value& date = v[1];
        if (money.null || date.null) {
          *out = Value::Null();
          return true;
        }
        int target = e.type.currency;
        if (money.currency == target) {
          i128 r;
          if (!Rescale(money.m, money.scale, e.type.scale, &r)) return Overflow(e);
          *out = Value::Money(r, e.type.scale, target);
          return true;
        }
        const TableDecl& t = p_.tables[e.index];
        std::vector<Value> key(t.keys.size());
        for (size_t i = 0; i < t.keys.size(); ++i) {
          key[i] = t.keys[i].type.kind == TypeKind::kDate ? date : Value::Currency(money.currency);
        }
        Value rate;
        if (!ctx_.Lookup(e.index, key, t.values[0].name, &rate) || rate.null) {
          return Fail(fmt::format("no {} rate for {} on {}", t.name, CurrencyCode(static_cast<CurrencyId>(money.currency)),
                                  FormatDate(static_cast<int32_t>(date.i))));
        }
        i128 r;
        if (!MulChecked(money.m, rate.m, &r)) return Overflow(e);
        int s = money.scale + rate.scale;
        if (s != e.type.scale) {
          if (s > e.type.scale || !Rescale(r, s, e.type.scale, &r)) return Overflow(e);
        }
        *out = Value::Money(r, e.type.scale, target);
        return true;
      }
      case Op::kDay: {
        if (v[0].null) {
          *out = Value::Null();
          return true;
        }
        std::shared_ptr<const TimeZone> tz;
        Status st = TimeZone::Load(e.name, &tz);
        if (!st.ok()) return Fail(st.message());
        *out = Value::Date(tz->LocalDay(v[0].i));
        return true;
      }
      case Op::kCurrencyClass:
        if (v[0].null) {
          *out = Value::Null();
          return true;
        }
        *out = Value::Enum(e.type.ref, CurrencyCode(static_cast<CurrencyId>(v[0].currency)) == e.name ? 0 : 1);
        return true;
      case Op::kMultipleOf: {
        if (v[0].null || v[1].null) {
          *out = Value::Null();
          return true;
        }
        i128 am, bm;
        int as, bs;
        if (!DecimalOf(v[0], &am, &as) || !DecimalOf(v[1], &bm, &bs)) return Fail("bad operands");
        int s = std::max(as, bs);
        if (!Rescale(am, as, s, &am) || !Rescale(bm, bs, s, &bm)) return Overflow(e);
        *out = bm == 0 ? Value::Null() : Value::Bool(am % bm == 0);
        return true;
      }
      case Op::kRatio: {
        if (v[0].null || v[1].null) {
          *out = Value::Null();
          return true;
        }
        Value r;
        r.kind = TypeKind::kRatio;
        r.null = false;
        if (!DecimalOf(v[0], &r.m, &r.scale) || !DecimalOf(v[1], &r.m2, &r.scale2)) return Fail("bad operands");
        *out = r;
        return true;
      }
      case Op::kLength:
        *out = v[0].null ? Value::Null() : Value::Integer(static_cast<int64_t>(CountCodePoints(v[0].s)));
        return true;
      case Op::kMatches: {
        if (v[0].null || v[1].null) {
          *out = Value::Null();
          return true;
        }
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::RegexPattern> pat(
            icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(v[1].s), 0, status));
        if (U_FAILURE(status)) return Fail("bad pattern " + v[1].s);
        // The matcher refers to its input, which must outlive it (a temporary here read freed
        // memory once the text outgrew UnicodeString's inline buffer, 27 UTF-16 units).
        const icu::UnicodeString input = icu::UnicodeString::fromUTF8(v[0].s);
        std::unique_ptr<icu::RegexMatcher> m(pat->matcher(input, status));
        bool r = m->matches(status);
        if (U_FAILURE(status)) return Fail("pattern match failed");
        *out = Value::Bool(r);
        return true;
      }
      case Op::kWeekday:
        *out = v[0].null ? Value::Null() : Value::Integer(Weekday(static_cast<int32_t>(v[0].i)) + 1);
        return true;
      case Op::kAbs: {
        *out = v[0];
        if (v[0].null) return true;
        if (v[0].kind == TypeKind::kInteger || v[0].kind == TypeKind::kDuration) {
          if (out->i < 0) out->i = -out->i;
        } else if (out->m < 0) {
          out->m = -out->m;
        }
        return true;
      }
      case Op::kScreen:
        if (v[0].null) {
          *out = Value::Null();
          return true;
        }
        return ctx_.Screen(e.name, v[0].s, out, error_);
      default: return Fail(std::string("cannot evaluate ") + OpName(e.op));
    }
  }

  const Program& p_;
  const EvalContext& ctx_;
  std::string* error_;
};

bool Evaluator::Apply(const Expr& e, const std::vector<Value>& v, Value* out) { return ApplyImpl(e, v, out); }

}  // namespace

bool ApplyOp(const Program& p, const Expr& e, const std::vector<Value>& operands, const EvalContext& ctx, Value* out,
             std::string* error) {
  error->clear();
  Evaluator ev(p, ctx, error);
  return ev.Apply(e, operands, out);
}

bool EvalScalar(const Program& p, const Expr& e, const EvalContext& ctx, Value* out, std::string* error) {
  error->clear();
  Evaluator ev(p, ctx, error);
  return ev.Eval(e, out);
}

bool EvalConstant(const Program& p, const Expr& e, Value* out, std::string* error) {
  EvalContext none;
  return EvalScalar(p, e, none, out, error);
}

}  // namespace decree::ir
