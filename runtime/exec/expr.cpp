#include "exec/expr.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/civil.h"
#include "common/codes.h"
#include "ir/eval.h"
#include "common/timezone.h"

namespace decree::exec {

using ir::Op;
using ir::TypeKind;

struct CompiledExpr::Node {
  const ir::Expr* ir = nullptr;
  Op op = Op::kConst;
  PType ptype = PType::kBool;
  int scale = 0;
  std::vector<std::unique_ptr<Node>> kids;
  VecBuffer out;
  int column = -1;                       // kColumn / kKey / kAgg: input column
  std::shared_ptr<const TimeZone> tz;    // kDay, kConvert default dates
  int home = -1;                         // kCurrencyClass
  int slot = -1;                         // kScreen: the list's slot
  const TableData* table = nullptr;      // kConvert
  bool fallback = false;                 // evaluated row by row through ir::ApplyOp
  int ratio_kid = -1;                    // comparison whose operand `ratio_kid` is a kRatio
  // kIn: the constant set, converted to the probe's representation and sorted.
  std::vector<int64_t> set_i;
  std::vector<i128> set_m;
  std::vector<std::string> set_s;
  // and / or / if scratch.
  SelBuffer sel_a, sel_b;
  std::unique_ptr<uint8_t[]> state;
  Arena arena;
};

namespace {

using Node = CompiledExpr::Node;

// Index mask: row & mask is the slot of a (possibly constant) vector.
inline size_t Mask(const Vec& v) { return v.is_const ? 0 : ~static_cast<size_t>(0); }
inline bool Valid(const Vec& v, size_t slot) { return v.valid == nullptr || v.valid[slot] != 0; }

template <typename T>
inline bool Compare(Op op, const T& a, const T& b) {
  switch (op) {
    case Op::kEq: return a == b;
    case Op::kNe: return a != b;
    case Op::kLt: return a < b;
    case Op::kLe: return a <= b;
    case Op::kGt: return a > b;
    default: return a >= b;
  }
}

Status Unsupported(const ir::Expr& e) {
  return Status::Corruption(fmt::format("cannot evaluate operator '{}' of type {} here", ir::OpName(e.op),
                                        ir::TypeToString(e.type)));
}

}  // namespace

class Executor {
 public:
  Executor(const ExecEnv& env, RowErrors* errors) : env_(env), errors_(errors) {}

  Vec Eval(Node& n, const Chunk& c, const Sel& sel) {
    switch (n.op) {
      case Op::kConst: return n.out.vec();
      case Op::kColumn:
      case Op::kKey:
      case Op::kAgg: {
        const Vec& v = c.columns[n.column];
        if (v.err != nullptr) {
          for (uint32_t k = 0; k < sel.n; ++k) {
            uint8_t e = v.err[v.at(sel.idx[k])];
            if (e != 0) {
              errors_->Add(sel.idx[k], n.ir->text + (e == 1 ? ": the amounts are in more than one currency"
                                                                   : ": the total overflows 128 bits"));
            }
          }
        }
        return v;
      }
      default: break;
    }
    if (n.fallback) return Fallback(n, c, sel);
    switch (n.op) {
      case Op::kAnd:
      case Op::kOr: return AndOr(n, c, sel);
      case Op::kIf: return If(n, c, sel);
      default: break;
    }
    Vec out = n.out.vec();
    switch (n.op) {
      case Op::kCast: Cast(n, Eval(*n.kids[0], c, sel), sel, &out); break;
      case Op::kNot: {
        Vec a = Eval(*n.kids[0], c, sel);
        size_t ma = Mask(a);
        for (uint32_t k = 0; k < sel.n; ++k) {
          uint32_t r = sel.idx[k];
          out.valid[r] = Valid(a, r & ma);
          out.b[r] = !a.b[r & ma];
        }
        break;
      }
      case Op::kNeg:
      case Op::kAbs: Unary(n, Eval(*n.kids[0], c, sel), sel, &out); break;
      case Op::kEq:
      case Op::kNe:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe: Compare(n, Eval(*n.kids[0], c, sel), Eval(*n.kids[1], c, sel), sel, &out); break;
      case Op::kAdd:
      case Op::kSub: AddSub(n, Eval(*n.kids[0], c, sel), Eval(*n.kids[1], c, sel), sel, &out); break;
      case Op::kMul: Mul(n, Eval(*n.kids[0], c, sel), Eval(*n.kids[1], c, sel), sel, &out); break;
      case Op::kIn: In(n, Eval(*n.kids[0], c, sel), sel, &out); break;
      case Op::kIsNull:
      case Op::kIsNotNull: {
        Vec a = Eval(*n.kids[0], c, sel);
        size_t ma = Mask(a);
        bool want_null = n.op == Op::kIsNull;
        for (uint32_t k = 0; k < sel.n; ++k) {
          uint32_t r = sel.idx[k];
          out.valid[r] = 1;
          out.b[r] = Valid(a, r & ma) != want_null;
        }
        break;
      }
      case Op::kMoneyValue: {
        Vec a = Eval(*n.kids[0], c, sel);
        a.cur = nullptr;
        return a;
      }
      case Op::kMoneyCurrency: {
        Vec a = Eval(*n.kids[0], c, sel);
        size_t ma = Mask(a);
        for (uint32_t k = 0; k < sel.n; ++k) {
          uint32_t r = sel.idx[k];
          out.valid[r] = Valid(a, r & ma);
          out.i[r] = a.cur[r & ma];
        }
        break;
      }
      case Op::kCurrencyClass: {
        Vec a = Eval(*n.kids[0], c, sel);
        size_t ma = Mask(a);
        for (uint32_t k = 0; k < sel.n; ++k) {
          uint32_t r = sel.idx[k];
          out.valid[r] = Valid(a, r & ma);
          out.i[r] = a.cur[r & ma] == n.home ? 0 : 1;
        }
        break;
      }
      case Op::kDay: {
        Vec a = Eval(*n.kids[0], c, sel);
        size_t ma = Mask(a);
        const TimeZone& tz = *n.tz;
        for (uint32_t k = 0; k < sel.n; ++k) {
          uint32_t r = sel.idx[k];
          out.valid[r] = Valid(a, r & ma);
          out.i[r] = tz.LocalDay(a.i[r & ma]);
        }
        break;
      }
      case Op::kConvert: Convert(n, Eval(*n.kids[0], c, sel), Eval(*n.kids[1], c, sel), sel, &out); break;
      case Op::kMultipleOf: MultipleOf(Eval(*n.kids[0], c, sel), Eval(*n.kids[1], c, sel), sel, &out); break;
      case Op::kScreen: Screen(n, Eval(*n.kids[0], c, sel), sel, &out); break;
      default: return Fallback(n, c, sel);
    }
    return out;
  }

 private:
  // ---- logic

  // `and`: rows still undecided go to the next operand; a false decides; nulls remember.
  Vec AndOr(Node& n, const Chunk& c, const Sel& sel) {
    Vec out = n.out.vec();
    bool is_and = n.op == Op::kAnd;
    uint8_t* saw_null = n.state.get();
    for (uint32_t k = 0; k < sel.n; ++k) saw_null[sel.idx[k]] = 0;
    n.sel_a.CopyFrom(sel);
    for (auto& kid : n.kids) {
      Sel& cur = n.sel_a.sel();
      if (cur.n == 0) break;
      Vec v = Eval(*kid, c, cur);
      size_t mv = Mask(v);
      Sel& next = n.sel_b.sel();
      next.n = 0;
      for (uint32_t k = 0; k < cur.n; ++k) {
        uint32_t r = cur.idx[k];
        size_t s = r & mv;
        if (!Valid(v, s)) {
          saw_null[r] = 1;
          next.idx[next.n++] = static_cast<uint16_t>(r);
        } else if ((v.b[s] != 0) == is_and) {
          next.idx[next.n++] = static_cast<uint16_t>(r);  // undecided
        } else {
          out.valid[r] = 1;  // decided: false for and, true for or
          out.b[r] = !is_and;
        }
      }
      n.sel_a.CopyFrom(next);
    }
    const Sel& rest = n.sel_a.sel();
    for (uint32_t k = 0; k < rest.n; ++k) {
      uint32_t r = rest.idx[k];
      out.valid[r] = !saw_null[r];
      out.b[r] = is_and;
    }
    return out;
  }

  Vec If(Node& n, const Chunk& c, const Sel& sel) {
    Vec out = n.out.vec();
    Vec cond = Eval(*n.kids[0], c, sel);
    size_t mc = Mask(cond);
    Sel& yes = n.sel_a.sel();
    Sel& no = n.sel_b.sel();
    yes.n = no.n = 0;
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      size_t s = r & mc;
      if (Valid(cond, s) && cond.b[s]) {
        yes.idx[yes.n++] = static_cast<uint16_t>(r);
      } else {
        no.idx[no.n++] = static_cast<uint16_t>(r);
      }
    }
    for (int branch = 1; branch <= 2; ++branch) {
      const Sel& s = branch == 1 ? yes : no;
      if (s.n == 0) continue;
      Vec v = Eval(*n.kids[branch], c, s);
      CopyRows(v, s, &out, &n.arena);
    }
    return out;
  }

  static void CopyRows(const Vec& v, const Sel& s, Vec* out, Arena*) {
    size_t mv = Mask(v);
    for (uint32_t k = 0; k < s.n; ++k) {
      uint32_t r = s.idx[k];
      size_t i = r & mv;
      out->valid[r] = Valid(v, i);
      switch (out->type) {
        case PType::kBool: out->b[r] = v.b != nullptr ? v.b[i] : 0; break;
        case PType::kI64: out->i[r] = v.i != nullptr ? v.i[i] : 0; break;
        case PType::kI128: {
          i128 m = v.m != nullptr ? v.m[i] : 0;
          if (v.scale < out->scale) Rescale(m, v.scale, out->scale, &m);
          out->m[r] = m;
          if (out->cur != nullptr) out->cur[r] = v.cur != nullptr ? v.cur[i] : 0;
          break;
        }
        case PType::kStr: out->s[r] = v.s != nullptr ? v.s[i] : StrRef{"", 0}; break;
      }
    }
  }

  // ---- arithmetic and comparison

  void Overflow(uint32_t r, const Node& n) {
    errors_->Add(r, fmt::format("arithmetic overflow in {}", n.ir->text.empty() ? ir::OpName(n.op) : n.ir->text));
  }

  void Cast(Node& n, const Vec& a, const Sel& sel, Vec* out) {
    size_t ma = Mask(a);
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      size_t s = r & ma;
      out->valid[r] = Valid(a, s);
      switch (n.ptype) {
        case PType::kI128: {
          i128 m = a.type == PType::kI64 ? static_cast<i128>(a.i[s]) : a.m[s];
          int from = a.type == PType::kI64 ? 0 : a.scale;
          if (!Rescale(m, from, n.scale, &m)) {
            Overflow(r, n);
            out->valid[r] = 0;
          }
          out->m[r] = m;
          if (out->cur != nullptr) out->cur[r] = a.cur != nullptr ? a.cur[s] : 0;
          break;
        }
        case PType::kStr: out->s[r] = a.s[s]; break;
        case PType::kI64: out->i[r] = a.type == PType::kI64 ? a.i[s] : static_cast<int64_t>(a.m[s]); break;
        case PType::kBool: out->b[r] = a.b[s]; break;
      }
    }
  }

  void Unary(Node& n, const Vec& a, const Sel& sel, Vec* out) {
    size_t ma = Mask(a);
    bool neg = n.op == Op::kNeg;
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      size_t s = r & ma;
      out->valid[r] = Valid(a, s);
      if (n.ptype == PType::kI64) {
        int64_t x = a.i[s];
        out->i[r] = neg || x < 0 ? -x : x;
      } else {
        i128 x = a.m[s];
        out->m[r] = neg || x < 0 ? -x : x;
        if (out->cur != nullptr) out->cur[r] = a.cur[s];
      }
    }
  }

  void Compare(Node& n, const Vec& a, const Vec& b, const Sel& sel, Vec* out) {
    size_t ma = Mask(a), mb = Mask(b);
    Op op = n.op;
    auto valid = [&](uint32_t r) { return Valid(a, r & ma) && Valid(b, r & mb); };
    switch (a.type) {
      case PType::kBool:
        for (uint32_t k = 0; k < sel.n; ++k) {
          uint32_t r = sel.idx[k];
          out->valid[r] = valid(r);
          out->b[r] = exec::Compare(op, a.b[r & ma], b.b[r & mb]);
        }
        break;
      case PType::kI64:
        for (uint32_t k = 0; k < sel.n; ++k) {
          uint32_t r = sel.idx[k];
          out->valid[r] = valid(r);
          out->b[r] = exec::Compare(op, a.i[r & ma], b.i[r & mb]);
        }
        break;
      case PType::kI128:
        if (a.scale != b.scale) {
          for (uint32_t k = 0; k < sel.n; ++k) {
            uint32_t r = sel.idx[k];
            out->valid[r] = valid(r);
            out->b[r] = exec::Compare(op, CompareDecimal(a.m[r & ma], a.scale, b.m[r & mb], b.scale), 0);
          }
        } else {
          for (uint32_t k = 0; k < sel.n; ++k) {
            uint32_t r = sel.idx[k];
            out->valid[r] = valid(r);
            out->b[r] = exec::Compare(op, a.m[r & ma], b.m[r & mb]);
          }
        }
        if (a.cur != nullptr && b.cur != nullptr) {
          for (uint32_t k = 0; k < sel.n; ++k) {
            uint32_t r = sel.idx[k];
            if (out->valid[r] && a.cur[r & ma] != b.cur[r & mb]) {
              errors_->Add(r, fmt::format("cannot compare an amount in {} with one in {}", CurrencyCode(a.cur[r & ma]),
                                          CurrencyCode(b.cur[r & mb])));
              out->valid[r] = 0;
            }
          }
        }
        break;
      case PType::kStr:
        for (uint32_t k = 0; k < sel.n; ++k) {
          uint32_t r = sel.idx[k];
          out->valid[r] = valid(r);
          out->b[r] = exec::Compare(op, a.s[r & ma].view(), b.s[r & mb].view());
        }
        break;
    }
  }

  // Dates count days; timestamps and durations microseconds.
  void AddSub(Node& n, const Vec& a, const Vec& b, const Sel& sel, Vec* out) {
    size_t ma = Mask(a), mb = Mask(b);
    bool sub = n.op == Op::kSub;
    if (n.ptype == PType::kI128) {
      bool money = a.cur != nullptr && b.cur != nullptr;
      for (uint32_t k = 0; k < sel.n; ++k) {
        uint32_t r = sel.idx[k];
        out->valid[r] = Valid(a, r & ma) && Valid(b, r & mb);
        i128 x;
        if (sub ? __builtin_sub_overflow(a.m[r & ma], b.m[r & mb], &x) : __builtin_add_overflow(a.m[r & ma], b.m[r & mb], &x)) {
          Overflow(r, n);
          out->valid[r] = 0;
        }
        out->m[r] = x;
        if (out->cur != nullptr) {
          out->cur[r] = a.cur != nullptr ? a.cur[r & ma] : b.cur[r & mb];
          if (money && a.cur[r & ma] != b.cur[r & mb] && out->valid[r]) {
            errors_->Add(r, fmt::format("cannot add amounts in {} and {}", CurrencyCode(a.cur[r & ma]), CurrencyCode(b.cur[r & mb])));
            out->valid[r] = 0;
          }
        }
      }
      return;
    }
    TypeKind ka = n.kids[0]->ir->type.kind, kb = n.kids[1]->ir->type.kind, kr = n.ir->type.kind;
    int64_t fa = ka == TypeKind::kDate && kr != TypeKind::kInteger ? kMicrosPerDay : 1;
    int64_t fb = kb == TypeKind::kDate && kr != TypeKind::kInteger ? kMicrosPerDay : 1;
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      out->valid[r] = Valid(a, r & ma) && Valid(b, r & mb);
      int64_t x = a.i[r & ma] * fa, y = b.i[r & mb] * fb, z;
      if (sub ? __builtin_sub_overflow(x, y, &z) : __builtin_add_overflow(x, y, &z)) {
        Overflow(r, n);
        out->valid[r] = 0;
      }
      out->i[r] = kr == TypeKind::kDate ? FloorDiv(z, kMicrosPerDay) : z;
    }
  }

  void Mul(Node& n, const Vec& a, const Vec& b, const Sel& sel, Vec* out) {
    size_t ma = Mask(a), mb = Mask(b);
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      out->valid[r] = Valid(a, r & ma) && Valid(b, r & mb);
      if (n.ptype == PType::kI64) {
        int64_t z;
        if (__builtin_mul_overflow(a.i[r & ma], b.i[r & mb], &z)) {
          Overflow(r, n);
          out->valid[r] = 0;
        }
        out->i[r] = z;
      } else {
        i128 z;
        if (!MulChecked(a.m[r & ma], b.m[r & mb], &z)) {
          Overflow(r, n);
          out->valid[r] = 0;
        }
        out->m[r] = z;
        if (out->cur != nullptr) out->cur[r] = a.cur != nullptr ? a.cur[r & ma] : b.cur[r & mb];
      }
    }
  }

  // screen(name, list): the best score in 1/10000 (screen/rule_screening.h); names repeat
  // within a batch, and each screener remembers the names it has scored.
  void Screen(const Node& n, const Vec& a, const Sel& sel, Vec* out) {
    size_t ma = Mask(a);
    const screen::RuleScreening& shared = *env_.tables->screening();
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      size_t s = r & ma;
      if (!Valid(a, s)) {
        out->valid[r] = 0;
        continue;
      }
      std::string_view name = a.s[s].view();
      screen::RuleMatch m = env_.screener != nullptr ? env_.screener->Best(n.slot, name) : shared.BestLocked(n.slot, name);
      out->valid[r] = 1;
      out->m[r] = m.score;
    }
  }

  void MultipleOf(const Vec& a, const Vec& b, const Sel& sel, Vec* out) {
    size_t ma = Mask(a), mb = Mask(b);
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      bool valid = Valid(a, r & ma) && Valid(b, r & mb);
      if (a.type == PType::kI64) {
        int64_t step = b.i[r & mb];
        out->valid[r] = valid && step != 0;
        out->b[r] = step != 0 && a.i[r & ma] % step == 0;
      } else {
        i128 step = b.m[r & mb];
        out->valid[r] = valid && step != 0;
        out->b[r] = step != 0 && a.m[r & ma] % step == 0;
      }
    }
  }

  void In(Node& n, const Vec& a, const Sel& sel, Vec* out) {
    size_t ma = Mask(a);
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      size_t s = r & ma;
      out->valid[r] = Valid(a, s);
      bool hit = false;
      switch (a.type) {
        case PType::kI64: hit = std::binary_search(n.set_i.begin(), n.set_i.end(), a.i[s]); break;
        case PType::kI128: hit = std::binary_search(n.set_m.begin(), n.set_m.end(), a.m[s]); break;
        case PType::kStr: {
          std::string_view v = a.s[s].view();
          hit = std::binary_search(n.set_s.begin(), n.set_s.end(), v,
                                   [](const auto& x, const auto& y) { return std::string_view(x) < std::string_view(y); });
          break;
        }
        case PType::kBool: break;
      }
      out->b[r] = hit;
    }
  }

  void Convert(Node& n, const Vec& money, const Vec& date, const Sel& sel, Vec* out) {
    size_t mm = Mask(money), md = Mask(date);
    int target = n.ir->type.currency;
    int last_date = INT32_MIN, last_cur = -1;
    i128 last_rate = 0;
    bool last_ok = false;
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      size_t s = r & mm;
      out->valid[r] = Valid(money, s) && Valid(date, r & md);
      out->cur[r] = static_cast<uint16_t>(target);
      if (!out->valid[r]) continue;
      int cur = money.cur[s];
      i128 m = money.m[s];
      if (cur == target) {
        if (!Rescale(m, money.scale, n.scale, &m)) Overflow(r, n);
        out->m[r] = m;
        continue;
      }
      int d = static_cast<int>(date.i[r & md]);
      if (d != last_date || cur != last_cur) {
        last_date = d;
        last_cur = cur;
        last_ok = n.table->Rate(d, cur, &last_rate);
      }
      if (!last_ok) {
        errors_->Add(r, fmt::format("no {} rate for {} on {}", n.table->decl().name, CurrencyCode(static_cast<CurrencyId>(cur)),
                                    FormatDate(d)));
        out->valid[r] = 0;
        continue;
      }
      i128 z;
      int zs = money.scale + n.table->rate_scale();
      if (!MulChecked(m, last_rate, &z) || (zs < n.scale && !Rescale(z, zs, n.scale, &z))) {
        Overflow(r, n);
        out->valid[r] = 0;
        continue;
      }
      out->m[r] = z;
    }
  }

  // ---- the row-by-row path

  Vec Fallback(Node& n, const Chunk& c, const Sel& sel) {
    Vec out = n.out.vec();
    n.arena.Reset();
    std::vector<Vec> kids;
    std::vector<Vec> ratio_parts;
    for (size_t i = 0; i < n.kids.size(); ++i) {
      if (static_cast<int>(i) == n.ratio_kid) {
        Node& ratio = *n.kids[i];
        ratio_parts.push_back(Eval(*ratio.kids[0], c, sel));
        ratio_parts.push_back(Eval(*ratio.kids[1], c, sel));
        kids.push_back(Vec());
      } else {
        kids.push_back(Eval(*n.kids[i], c, sel));
      }
    }
    std::vector<ir::Value> args(n.kids.size());
    std::string error;
    for (uint32_t k = 0; k < sel.n; ++k) {
      uint32_t r = sel.idx[k];
      for (size_t i = 0; i < n.kids.size(); ++i) {
        if (static_cast<int>(i) == n.ratio_kid) {
          Node& ratio = *n.kids[i];
          std::vector<ir::Value> parts = {SlotValue(ratio_parts[0], r, ratio.kids[0]->ir->type),
                                          SlotValue(ratio_parts[1], r, ratio.kids[1]->ir->type)};
          ir::ApplyOp(*env_.program, *ratio.ir, parts, *env_.scalar, &args[i], &error);
        } else {
          args[i] = SlotValue(kids[i], r, n.kids[i]->ir->type);
        }
      }
      ir::Value v;
      if (!ir::ApplyOp(*env_.program, *n.ir, args, *env_.scalar, &v, &error)) {
        errors_->Add(r, error);
        out.valid[r] = 0;
        continue;
      }
      StoreValue(v, out, r, &n.arena);
    }
    return out;
  }

  const ExecEnv& env_;
  RowErrors* errors_;
};

namespace {

Status Build(const ir::Expr& e, const ExecEnv& env, int key_count, std::unique_ptr<Node>* out, int depth) {
  if (depth > 4096) return Status::Corruption("expression too deep");
  auto n = std::make_unique<Node>();
  n->ir = &e;
  n->op = e.op;
  n->ptype = PhysicalType(e.type.kind);
  n->scale = e.type.scale;
  bool money = e.type.kind == TypeKind::kMoney;
  for (const ir::ExprPtr& k : e.kids) {
    std::unique_ptr<Node> kid;
    Status st = Build(*k, env, key_count, &kid, depth + 1);
    if (!st.ok()) return st;
    n->kids.push_back(std::move(kid));
  }
  switch (e.op) {
    case Op::kConst: {
      n->out.Init(n->ptype, e.value.kind == TypeKind::kInteger ? 0 : e.value.scale, money, true, 1);
      if (n->ptype == PType::kI128) n->out.vec().scale = e.value.null ? e.type.scale : e.value.scale;
      n->out.vec().is_const = true;
      StoreValue(e.value, n->out.vec(), 0, &n->arena);
      *out = std::move(n);
      return Status::Ok();
    }
    case Op::kColumn:
      if (key_count >= 0) return Status::Corruption("a column reference at group level");
      n->column = e.index;
      break;
    case Op::kKey:
    case Op::kAgg:
      if (key_count < 0) return Status::Corruption("a key or aggregate reference at row level");
      n->column = e.op == Op::kKey ? e.index : key_count + e.index;
      break;
    case Op::kDay: {
      Status st = TimeZone::Load(e.name, &n->tz);
      if (!st.ok()) return st;
      if (n->kids[0]->ptype != PType::kI64) return Unsupported(e);
      break;
    }
    case Op::kCurrencyClass: {
      CurrencyId home = LookupCurrency(e.name);
      if (home == kNoCurrency || n->kids[0]->ir->type.kind != TypeKind::kMoney) return Unsupported(e);
      n->home = home;
      break;
    }
    case Op::kConvert:
      n->table = env.tables != nullptr ? env.tables->Get(e.index) : nullptr;
      if (n->table == nullptr) {
        return Status::InvalidArgument(fmt::format("table {} is needed but was not loaded", env.program->tables[e.index].name));
      }
      if (!n->table->is_rates()) return Unsupported(e);
      break;
    case Op::kScreen:
      n->slot = env.tables != nullptr && env.tables->screening() != nullptr ? env.tables->screening()->Slot(e.name) : -1;
      if (n->slot < 0) {
        return Status::MissingInput(fmt::format("watch list \"{}\" is needed but was not loaded", e.name));
      }
      if (n->kids[0]->ptype != PType::kStr || n->ptype != PType::kI128 || n->scale != 4) return Unsupported(e);
      break;
    case Op::kIn: {
      const ir::Value& set = e.kids[1]->value;
      const Node& probe = *n->kids[0];
      for (const ir::Value& v : set.elems) {
        switch (probe.ptype) {
          case PType::kI64:
            if (v.kind != TypeKind::kDecimal) n->set_i.push_back(v.i);
            break;
          case PType::kI128: {
            i128 m = v.kind == TypeKind::kInteger ? v.i : v.m;
            int s = v.kind == TypeKind::kInteger ? 0 : v.scale;
            // An element with more decimals than the probe can never equal it.
            while (s > probe.scale && m % 10 == 0) {
              m /= 10;
              --s;
            }
            if (s <= probe.scale && Rescale(m, s, probe.scale, &m)) n->set_m.push_back(m);
            break;
          }
          case PType::kStr: n->set_s.push_back(v.s); break;
          case PType::kBool: return Unsupported(e);
        }
      }
      std::sort(n->set_i.begin(), n->set_i.end());
      std::sort(n->set_m.begin(), n->set_m.end());
      std::sort(n->set_s.begin(), n->set_s.end());
      break;
    }
    case Op::kAnd:
    case Op::kOr:
      n->state.reset(new uint8_t[kChunkSize]);
      break;
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe:
      for (size_t i = 0; i < 2; ++i) {
        if (e.kids[i]->op == Op::kRatio) {
          n->ratio_kid = static_cast<int>(i);
          n->fallback = true;
        }
      }
      if (!n->fallback && n->kids[0]->ptype != n->kids[1]->ptype) return Unsupported(e);
      break;
    case Op::kCast:
    case Op::kNot:
    case Op::kNeg:
    case Op::kAbs:
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kIf:
    case Op::kIsNull:
    case Op::kIsNotNull:
    case Op::kMoneyValue:
    case Op::kMoneyCurrency:
      break;
    case Op::kMultipleOf:
      if (n->kids[0]->ptype != n->kids[1]->ptype || (n->kids[0]->ptype == PType::kI128 && n->kids[0]->scale != n->kids[1]->scale)) {
        n->fallback = true;
      }
      break;
    default:
      n->fallback = true;  // lookups, regexes, lengths, weekdays, screening, ratios
      break;
  }
  if ((e.op == Op::kAdd || e.op == Op::kSub || e.op == Op::kMul) && n->ptype == PType::kI128 &&
      (n->kids[0]->ptype != PType::kI128 || n->kids[1]->ptype != PType::kI128 ||
       (e.op != Op::kMul && n->kids[0]->scale != n->kids[1]->scale))) {
    n->fallback = true;
  }
  if (e.op == Op::kMul && n->ptype == PType::kI128 && n->kids[0]->scale + n->kids[1]->scale != n->scale) n->fallback = true;
  n->out.Init(n->ptype, n->scale, money, true);
  *out = std::move(n);
  return Status::Ok();
}

}  // namespace

CompiledExpr::~CompiledExpr() = default;

Status CompiledExpr::Compile(const ir::Expr& e, const ExecEnv& env, int key_count, std::unique_ptr<CompiledExpr>* out) {
  std::unique_ptr<CompiledExpr> c(new CompiledExpr());
  c->env_ = env;
  Status st = Build(e, env, key_count, &c->root_, 0);
  if (!st.ok()) return st;
  *out = std::move(c);
  return Status::Ok();
}

const ir::Type& CompiledExpr::type() const { return root_->ir->type; }

Vec CompiledExpr::Eval(const Chunk& input, const Sel& sel, RowErrors* errors) {
  Executor x(env_, errors);
  return x.Eval(*root_, input, sel);
}

void CompiledExpr::Filter(const Chunk& input, const Sel& in, Sel* out, RowErrors* errors) {
  Vec v = Eval(input, in, errors);
  size_t mv = Mask(v);
  uint32_t n = 0;
  for (uint32_t k = 0; k < in.n; ++k) {
    uint32_t r = in.idx[k];
    size_t s = r & mv;
    if (Valid(v, s) && v.b[s]) out->idx[n++] = static_cast<uint16_t>(r);
  }
  out->n = n;
}

}  // namespace decree::exec
