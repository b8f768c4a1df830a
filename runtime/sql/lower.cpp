// decree::SqlRules: rules lowered to ClickHouse or DuckDB SQL (decree/sql.h; what differs
// between the two is in sql/dialect.h).  A rule becomes one SELECT
// over the layout's table producing (rule, key, txn_ids) for each finding: row rules one row
// per record, grouped rules one row per group whose `when` holds.  Three levels: `b` adds the
// dates rate lookups join on, `r` joins the rate tables and computes the keys, aggregate
// arguments and filters of the records the rule keeps (its `where`, minus exempt and `unless`
// rows), and the outer query groups them.  What is not lowered yet is refused, naming the
// construct.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "common/civil.h"
#include "common/codes.h"
#include "common/decimal.h"
#include "decree/sql.h"
#include "exec/run_source.h"
#include "ir/ir.h"
#include "sql/dialect.h"
#include "sql/lower.h"

namespace decree {

namespace {

bool IsText(ir::TypeKind k) {
  return k == ir::TypeKind::kText || k == ir::TypeKind::kId || k == ir::TypeKind::kCountry || k == ir::TypeKind::kEnum ||
         k == ir::TypeKind::kCurrency;
}

std::string Pow10(int n) { return fmt::format("1{}", std::string(static_cast<size_t>(std::max(n, 0)), '0')); }

class Lowerer {
 public:
  Lowerer(const ir::Program& p, const ir::Layout& l, const ir::Rule& r, const sql::Dialect& d,
          const std::map<std::string, std::string>& names)
      : p_(p), l_(l), r_(r), d_(d), names_(names) {}

  // For each conversion through a rate table in the rule's row-level expressions, a SELECT of
  // the ids of the records whose rate is missing, which the native evaluation rejects (a
  // superset: the rule's guards are not applied).  Conversions whose date needs a join are left out.
  void MissingRates(std::vector<std::string>* out);

  // The rule's SELECT, or false with *why (the construct not lowered).
  bool Lower(std::string* sql, std::string* why) {
    bool ok = LowerRule(sql, why);
    if (ok && !why_.empty()) *why = why_;  // a refusal where no failure could be returned (a literal)
    return ok && why_.empty();
  }

 private:
  bool LowerRule(std::string* sql, std::string* why);
  bool Refuse(const std::string& what) {
    if (why_.empty()) why_ = what;
    return false;
  }
  std::string Col(int f) const { return d_.Ident(l_.fields[f].column); }
  // A table (the layout's or a declared one, by qualified name) as the engine names it.
  std::string Table(const std::string& qualified) const {
    std::string name = qualified.substr(qualified.rfind('.') + 1);
    auto it = names_.find(name);
    if (it != names_.end() && !it->second.empty() && it->second[0] == '(') return it->second;  // a subquery
    return d_.Ident(it != names_.end() ? it->second : name);
  }
  std::string Str(const std::string& s) const { return d_.Str(s); }
  std::string Literal(const ir::Value& v, const ir::Type& t);
  // Row level over the joined record; group level over keys (k<i>) and aggregates.
  bool Row(const ir::Expr& e, std::string* out);
  bool Group(const ir::Expr& e, std::string* out);
  bool Common(const ir::Expr& e, bool group, std::string* out);
  bool Agg(size_t i, std::string* out);
  // A window rule's aggregates over the anchor's window (the arrays w, x<i>s, y<i>s).
  bool WindowAgg(size_t i, std::string* out);
  // Sliding windows (docs/language.md): the group's records as arrays, one row per anchor
  // (ARRAY JOIN), the window as a mask over the arrays, the triggering anchors consolidated
  // per group and local day of the anchor.
  bool Window(const std::string& head, const std::string& inner, std::string* sql);
  // DuckDB: each anchor joined to its window's records, grouped by anchor.
  bool WindowJoin(const std::string& head, const std::string& inner, std::string* sql);
  // A lambda parameter name not used before in the query (ClickHouse 18.16 mixes up
  // parameters that shadow each other or an alias).
  std::string Param() { return fmt::format("p{}", params_++); }
  int params_ = 0;
  std::map<int, std::string> guard_;  // field -> the currency an enclosing `and` fixed it to
  // Row level: whether x and y (x money or not) are known to be in one currency.  Natively,
  // amounts in two currencies do not combine (the record is rejected), so an operation on them
  // is lowered only where a conjunct before it fixed the column's currency to the constant's.
  bool CurrenciesAgree(const ir::Expr& x, const ir::Expr& y) const {
    if (x.type.kind != ir::TypeKind::kMoney) return true;
    // A conversion's currency is its target's, known before any record is read.
    if (x.op == ir::Op::kConvert && y.op == ir::Op::kConst && !y.value.null) return x.type.currency == y.value.currency;
    auto g = x.op == ir::Op::kColumn ? guard_.find(x.index) : guard_.end();
    return g != guard_.end() && y.op == ir::Op::kConst && !y.value.null &&
           g->second == CurrencyCode(static_cast<CurrencyId>(y.value.currency));
  }
  // Records the guard `c` sets when it is `<money column>.currency = <constant>` (or an `and`
  // of such conjuncts, among others).
  void Guard(const ir::Expr& c) {
    if (c.op == ir::Op::kAnd) {
      for (const ir::ExprPtr& k : c.kids) Guard(*k);
    } else if (c.op == ir::Op::kEq && c.kids[0]->op == ir::Op::kMoneyCurrency && c.kids[0]->kids[0]->op == ir::Op::kColumn &&
               c.kids[1]->op == ir::Op::kConst && !c.kids[1]->value.null) {
      guard_[c.kids[0]->kids[0]->index] = std::string(CurrencyCode(static_cast<CurrencyId>(c.kids[1]->value.i)));
    }
  }
  bool window_ = false;  // Group() is lowering a window's `when`

  const ir::Program& p_;
  const ir::Layout& l_;
  const ir::Rule& r_;
  const sql::Dialect& d_;
  const std::map<std::string, std::string>& names_;
  std::string why_;
  std::vector<std::string> pre_;    // b: `<expr> AS d<i>` (dates of rate lookups)
  std::vector<std::string> joins_;  // r: rate-table joins
};

std::string Lowerer::Literal(const ir::Value& v, const ir::Type& t) {
  if (v.null) return "NULL";
  switch (v.kind) {
    case ir::TypeKind::kBool: return d_.Bool(v.i != 0);
    case ir::TypeKind::kInteger: return fmt::format("{}", v.i);
    case ir::TypeKind::kDuration:
    case ir::TypeKind::kTimestamp:  // seconds (whole: see Lowerer::Row)
      if (v.i % 1000000 != 0) {
        Refuse("a time or duration with fractions of a second");
        return "NULL";
      }
      return fmt::format("{}", v.i / 1000000);
    case ir::TypeKind::kDecimal:
    case ir::TypeKind::kMoney:
    case ir::TypeKind::kRate: return d_.Decimal(FormatDecimal(v.m, v.scale), v.scale);
    case ir::TypeKind::kDate: return d_.Date(FormatDate(static_cast<int32_t>(v.i)));
    case ir::TypeKind::kEnum: return Str(p_.enums[v.enum_id].values[static_cast<size_t>(v.i)]);
    case ir::TypeKind::kCurrency: return Str(std::string(CurrencyCode(static_cast<CurrencyId>(v.i))));
    default: return Str(v.s);
  }
  (void)t;
}

bool Lowerer::Common(const ir::Expr& e, bool group, std::string* out) {
  auto kid = [&](size_t i, std::string* s) { return group ? Group(*e.kids[i], s) : Row(*e.kids[i], s); };
  std::string a, b;
  switch (e.op) {
    case ir::Op::kConst: *out = Literal(e.value, e.type); return true;
    case ir::Op::kNot:
      if (!kid(0, &a)) return false;
      *out = fmt::format("NOT ({})", a);
      return true;
    case ir::Op::kAnd:
    case ir::Op::kOr: {
      // `and` evaluates a conjunct only where the ones before it hold: after
      // `t.amount.currency = CNY`, the amount is known to be in CNY (see the money comparison).
      std::map<int, std::string> saved = guard_;
      std::string s;
      for (size_t i = 0; i < e.kids.size(); ++i) {
        if (!kid(i, &a)) return false;
        s += fmt::format("{}({})", i ? (e.op == ir::Op::kAnd ? " AND " : " OR ") : "", a);
        if (e.op == ir::Op::kAnd && !group) Guard(*e.kids[i]);
      }
      guard_ = saved;
      *out = fmt::format("({})", s);
      return true;
    }
    case ir::Op::kEq: case ir::Op::kNe: case ir::Op::kLt: case ir::Op::kLe: case ir::Op::kGt: case ir::Op::kGe: {
      static const char* const kOps[] = {"=", "!=", "<", "<=", ">", ">="};
      static const char* const kFlipped[] = {"=", "!=", ">", ">=", "<", "<="};
      const int op = static_cast<int>(e.op) - static_cast<int>(ir::Op::kEq);
      if (e.kids[0]->op == ir::Op::kRatio && e.kids[1]->op != ir::Op::kRatio) {
        // ratio(n, d) OP c, exactly: n OP c·d when d > 0, c·d OP n when d < 0, null when d = 0.
        std::string n, d;
        const ir::Expr& ratio = *e.kids[0];
        if (!(group ? Group(*ratio.kids[0], &n) : Row(*ratio.kids[0], &n))) return false;
        if (!(group ? Group(*ratio.kids[1], &d) : Row(*ratio.kids[1], &d))) return false;
        if (!kid(1, &b)) return false;
        *out = fmt::format("if(({1}) = 0, NULL, if(({1}) > 0, ({0}) {3} ({2}) * ({1}), ({0}) {4} ({2}) * ({1})))", n, d, b, kOps[op],
                           kFlipped[op]);
        return true;
      }
      if (e.kids[0]->op == ir::Op::kRatio || e.kids[1]->op == ir::Op::kRatio) return Refuse("this comparison of a ratio");
      if (!kid(0, &a) || !kid(1, &b)) return false;
      if (!group && !CurrenciesAgree(*e.kids[0], *e.kids[1])) {
        return Refuse("a money comparison at the row level whose currencies are not known to agree");
      }
      *out = fmt::format("({} {} {})", a, kOps[op], b);
      return true;
    }
    case ir::Op::kAdd: case ir::Op::kSub: case ir::Op::kMul: {
      // Times are seconds, dates the engines' dates: date - date is a number of days.
      const bool dates = e.kids[0]->type.kind == ir::TypeKind::kDate || e.kids[1]->type.kind == ir::TypeKind::kDate;
      if (dates && !(e.op == ir::Op::kSub && e.kids[0]->type.kind == ir::TypeKind::kDate && e.kids[1]->type.kind == ir::TypeKind::kDate)) {
        return Refuse("arithmetic on a date with a duration");
      }
      if (!kid(0, &a) || !kid(1, &b)) return false;
      if (dates) {
        *out = d_.DaysBetweenSeconds(a, b);
        return true;
      }
      *out = fmt::format("({} {} {})", a, e.op == ir::Op::kAdd ? "+" : e.op == ir::Op::kSub ? "-" : "*", b);
      return true;
    }
    case ir::Op::kIn: {
      if (!kid(0, &a)) return false;
      const ir::Value& set = e.kids[1]->value;
      std::string items;
      for (const ir::Value& v : set.elems) items += (items.empty() ? "" : ", ") + Literal(v, e.kids[0]->type);
      *out = fmt::format("({} IN ({}))", a, items.empty() ? "NULL" : items);
      return true;
    }
    case ir::Op::kMultipleOf: {
      // Exactly, at the operands' common scale; null for a zero step.
      const ir::Expr& x = *e.kids[0];
      const ir::Expr& y = *e.kids[1];
      if (!group && !CurrenciesAgree(x, y)) return Refuse("multiple_of over amounts whose currencies are not known to agree");
      if (!kid(0, &a) || !kid(1, &b)) return false;
      int scale = std::max<int>(x.type.scale, y.type.scale);
      *out = d_.MultipleOf(a, b, scale);
      return true;
    }
    case ir::Op::kNeg:
      if (!kid(0, &a)) return false;
      *out = fmt::format("(-({}))", a);
      return true;
    case ir::Op::kAbs:
      if (!kid(0, &a)) return false;
      *out = fmt::format("abs({})", a);
      return true;
    case ir::Op::kIf: {
      // A null condition takes the else branch, as natively (and as SQL's CASE does).
      std::string c;
      if (!kid(0, &c) || !kid(1, &a) || !kid(2, &b)) return false;
      *out = fmt::format("(CASE WHEN {} THEN {} ELSE {} END)", d_.OrFalse(c), a, b);
      return true;
    }
    case ir::Op::kLength:
      if (!kid(0, &a)) return false;
      *out = d_.Length(a);
      return true;
    case ir::Op::kWeekday:
      if (!kid(0, &a)) return false;
      *out = d_.Weekday(a);
      return true;
    case ir::Op::kCast:
      if (!kid(0, &a)) return false;
      switch (e.type.kind) {
        case ir::TypeKind::kDecimal: case ir::TypeKind::kMoney: case ir::TypeKind::kRate: *out = d_.ToDecimal(a, e.type.scale); return true;
        case ir::TypeKind::kText: case ir::TypeKind::kId: case ir::TypeKind::kCountry: *out = a; return true;
        default: return Refuse(fmt::format("a conversion to {}", ir::TypeToString(e.type)));
      }
    case ir::Op::kIsNull:
    case ir::Op::kIsNotNull:
      if (!kid(0, &a)) return false;
      *out = fmt::format("({} IS {}NULL)", a, e.op == ir::Op::kIsNull ? "" : "NOT ");
      return true;
    case ir::Op::kInTable: return Refuse("a membership test in a table (`in <table>`)");
    case ir::Op::kScreen: return Refuse("screen() (watch-list screening)");
    case ir::Op::kMatches: {
      const ir::Expr& pat = *e.kids[1];
      if (pat.op != ir::Op::kConst || pat.value.null) return Refuse("matches() with a computed pattern");
      if (!sql::SafePattern(pat.value.s)) {
        return Refuse(fmt::format("matches() with the pattern \"{}\" (ICU and the engine's RE2 agree only on ASCII literals, [...] "
                                  "classes, groups, | and the quantifiers ? * + {{n,m}}: no escapes such as \\d, no `.`)",
                                  pat.value.s));
      }
      if (!kid(0, &a)) return false;
      *out = d_.FullMatch(a, pat.value.s);
      return true;
    }
    default: return Refuse(fmt::format("the operation {}", ir::OpName(e.op)));
  }
}

bool Lowerer::Row(const ir::Expr& e, std::string* out) {
  std::string a;
  switch (e.op) {
    case ir::Op::kColumn:
      // Timestamps are lowered to seconds since the epoch, durations to seconds.
      if (l_.fields[e.index].type.kind == ir::TypeKind::kBool) {
        *out = d_.BoolColumn(Col(e.index));
      } else if (l_.fields[e.index].type.kind == ir::TypeKind::kTimestamp) {
        *out = d_.Seconds(Col(e.index));
      } else if (l_.fields[e.index].type.optional && IsText(l_.fields[e.index].type.kind)) {
        // Natively an empty optional field is null; a CSV loader may keep it as ''.
        *out = fmt::format("NULLIF({}, '')", Col(e.index));
      } else {
        *out = Col(e.index);
      }
      return true;
    case ir::Op::kLookup: {
      // lookup(T, key): one join of T on its single key; null where T has no such key.
      const ir::TableDecl& t = p_.tables[e.index];
      if (t.keys.size() != 1 || e.kids.size() != 1) return Refuse("a lookup in a table of several keys");
      if (!joins_.empty() && d_.clickhouse()) return Refuse("a second table lookup in one rule (ClickHouse 18.16 joins one table per query)");
      std::string key;
      if (!Row(*e.kids[0], &key)) return false;
      size_t n = joins_.size();
      pre_.push_back(fmt::format("{} AS d{}", key, n));
      joins_.push_back(fmt::format("{} (SELECT {} AS j{}_key, {} AS j{}_val, 1 AS j{}_hit FROM {}) ON d{} = j{}_key", d_.LeftJoin(),
                                   d_.Ident(t.keys[0].name), n, d_.Ident(e.name), n, n, Table(t.name), n, n));
      std::string val = fmt::format("j{}_val", n);
      if (e.type.kind == ir::TypeKind::kTimestamp) val = d_.Seconds(val);
      *out = fmt::format("if(j{}_hit = 1, {}, NULL)", n, val);
      return true;
    }
    case ir::Op::kMoneyValue:
      // A money column's amount is its column (the currency is another).
      return Row(*e.kids[0], out);
    case ir::Op::kMoneyCurrency: {
      if (e.kids[0]->op != ir::Op::kColumn) return Refuse("the currency of a computed amount");
      *out = d_.Ident(l_.fields[e.kids[0]->index].currency_column);
      return true;
    }
    case ir::Op::kDay:
      if (e.kids[0]->op == ir::Op::kColumn) {
        *out = d_.LocalDay(Col(e.kids[0]->index), e.name);
        return true;
      }
      if (!Row(*e.kids[0], &a)) return false;
      *out = d_.LocalDayOfSeconds(a, e.name);
      return true;
    case ir::Op::kCurrencyClass: {
      if (e.kids[0]->op != ir::Op::kColumn) return Refuse("currency_class of a computed amount");
      *out = fmt::format("if({} = {}, {}, 'FX')", d_.Ident(l_.fields[e.kids[0]->index].currency_column), Str(e.name), Str(e.name));
      return true;
    }
    case ir::Op::kConvert: {
      // amount in C using T: T maps (date, currency) to the value of one unit in C.
      const ir::TableDecl& t = p_.tables[e.index];
      if (t.keys.size() != 2 || t.values.size() != 1 || t.values[0].type.kind != ir::TypeKind::kRate ||
          t.values[0].type.currency != e.type.currency || e.kids[0]->op != ir::Op::kColumn) {
        return Refuse("a conversion other than a column's amount into its rate table's currency");
      }
      std::string date;
      if (!Row(*e.kids[1], &date)) return false;
      if (!joins_.empty() && d_.clickhouse()) return Refuse("a second rate lookup in one rule (ClickHouse 18.16 joins one table per query)");
      size_t n = joins_.size();
      pre_.push_back(fmt::format("{} AS d{}", date, n));
      const std::string cur_col = d_.Ident(l_.fields[e.kids[0]->index].currency_column);
      joins_.push_back(fmt::format("{} (SELECT {} AS j{}_date, {} AS j{}_cur, {} AS j{}_rate FROM {}) ON d{} = j{}_date AND {} = j{}_cur",
                                   d_.LeftJoin(), d_.Ident(t.keys[0].name), n, d_.Ident(t.keys[1].name), n, d_.Ident(t.values[0].name), n,
                                   Table(t.name), n, n, cur_col, n));
      std::string cur(CurrencyCode(static_cast<CurrencyId>(e.type.currency)));
      *out = fmt::format("if({} = {}, {}, {} * j{}_rate)", cur_col, Str(cur), d_.ToDecimal(Col(e.kids[0]->index), e.type.scale),
                         Col(e.kids[0]->index), n);
      return true;
    }
    default: return Common(e, false, out);
  }
}

bool Lowerer::Agg(size_t i, std::string* out) {
  const ir::Agg& g = r_.aggs[i];
  // Over a DuckDB window (WindowJoin), the window's records are the joined `r`.
  const std::string row = window_ ? "r." : "";
  std::string f = g.filter ? fmt::format("{}f{}", row, i) : d_.Bool(true);
  std::string a = fmt::format("{}a{}", row, i);
  // Natively an aggregate takes the records passing its filter whose argument is not null:
  // count(x) counts them, and sum/min/max of none is null.
  if (g.arg && g.arg->type.optional) f = fmt::format("({}) AND ({} IS NOT NULL)", f, a);
  switch (g.kind) {
    case ir::AggKind::kCount: *out = d_.CountIf(f); return true;
    case ir::AggKind::kCountDistinct: *out = d_.CountDistinctIf(a, f); return true;
    case ir::AggKind::kSum: *out = d_.AggIf("sum", a, f); return true;
    case ir::AggKind::kMin: *out = d_.AggIf("min", a, f); return true;
    case ir::AggKind::kMax: *out = d_.AggIf("max", a, f); return true;
  }
  return Refuse("an aggregate");
}

bool Lowerer::WindowAgg(size_t i, std::string* out) {
  const ir::Agg& g = r_.aggs[i];
  // groupArray skips nulls, which would shift an optional argument's array against the others.
  if (g.arg && g.arg->type.optional) return Refuse("an aggregate of an optional value over a sliding window");
  std::string m = Param(), f = Param(), v = Param();
  // In the window and passing the aggregate's filter.
  std::string keep = g.filter ? fmt::format("({}, {}) -> {} AND {}", m, f, m, f) : fmt::format("({}, {}) -> {}", m, f, m);
  std::string fs = g.filter ? fmt::format("y{}s", i) : "w";
  switch (g.kind) {
    case ir::AggKind::kCount: *out = fmt::format("arrayCount({}, w, {})", keep, fs); return true;
    case ir::AggKind::kCountDistinct:
      *out = fmt::format("length(arrayDistinct(arrayFilter(({}, {}, {}) -> {}{}, x{}s, w, {})))", v, m, f, m, g.filter ? " AND " + f : "", i, fs);
      return true;
    case ir::AggKind::kSum: {
      // 18.16's arraySum has no Decimal (and arrayReduce('sum', …) over Decimal brought the
      // server down in our tests): each value is summed as its integer part and its fraction
      // in units of its scale, both Int64 (exact while the integer parts' sum stays within
      // ±9.2e18), and put together as a Decimal of the same scale.
      int scale = g.arg ? g.arg->type.scale : 0;
      std::string m2 = Param(), f2 = Param(), v2 = Param(), m3 = Param(), f3 = Param(), v3 = Param();
      std::string hi = fmt::format("arraySum(arrayFilter(({}, {}, {}) -> {}{}, h{}s, w, {}))", v2, m2, f2, m2, g.filter ? " AND " + f2 : "", i, fs);
      std::string lo = fmt::format("arraySum(arrayFilter(({}, {}, {}) -> {}{}, l{}s, w, {}))", v3, m3, f3, m3, g.filter ? " AND " + f3 : "", i, fs);
      *out = fmt::format("if(arrayCount({}, w, {}) = 0, NULL, toDecimal128({}, {}) + toDecimal128({}, {}) / {})", keep, fs, hi, scale, lo,
                         scale, Pow10(scale));
      return true;
    }
    default: return Refuse(fmt::format("{} over a sliding window", ir::AggKindName(g.kind)));
  }
}

bool Lowerer::Window(const std::string& head, const std::string& inner, std::string* sql) {
  std::vector<std::string> keys, arrays;
  for (size_t k = 0; k < r_.keys.size(); ++k) keys.push_back(fmt::format("k{}", k));
  arrays = {"groupArray(id) AS ids", "groupArray(tm) AS tms", "groupArray(an) AS ans", "groupArray(dy) AS dys"};
  for (size_t i = 0; i < r_.aggs.size(); ++i) {
    if (r_.aggs[i].arg) arrays.push_back(fmt::format("groupArray(a{}) AS x{}s", i, i));
    if (r_.aggs[i].arg && r_.aggs[i].kind == ir::AggKind::kSum) {  // see WindowAgg
      int scale = r_.aggs[i].arg->type.scale;
      arrays.push_back(fmt::format("groupArray(toInt64(a{})) AS h{}s", i, i));
      arrays.push_back(fmt::format("groupArray(toInt64((a{0} - toDecimal128(toInt64(a{0}), {1})) * {2})) AS l{0}s", i, scale, Pow10(scale)));
    }
    if (r_.aggs[i].filter) arrays.push_back(fmt::format("groupArray(f{}) AS y{}s", i, i));
  }
  window_ = true;
  std::string when = "1";
  if (r_.when && !Group(*r_.when, &when)) return false;
  window_ = false;
  std::string t = Param();
  int64_t span = r_.window.duration_us / 1000000;
  std::string by = keys.empty() ? "tuple()" : fmt::format("{}", fmt::join(keys, ", "));
  std::string w = Param(), wid = Param();
  std::string anchors = fmt::format(
      "SELECT {}{}dys[i] AS ady, arrayMap({} -> {} >= tms[i] - {} AND {} <= tms[i], tms) AS w, arrayFilter(({}, {}) -> {}, ids, w) AS wids, "
      "ifNull({}, 0) AS hit\n  FROM (SELECT {}{}{} FROM ({}) GROUP BY {})\n  ARRAY JOIN arrayEnumerate(ids) AS i\n  WHERE ans[i] = 1",
      fmt::join(keys, ", "), keys.empty() ? "" : ", ", t, t, span, t, wid, w, w, when, fmt::join(keys, ", "), keys.empty() ? "" : ", ",
      fmt::join(arrays, ", "), inner, by);
  std::vector<std::string> key_text;
  for (const std::string& k : keys) key_text.push_back(fmt::format("toString({})", k));
  key_text.push_back("toString(ady)");
  *sql = head + fmt::format(
                    "SELECT {} AS rule, arrayStringConcat([{}], '|') AS key, arrayStringConcat(arraySort(groupUniqArrayArray(wids)), ',') AS txn_ids\n"
                    "FROM ({})\nWHERE hit = 1\nGROUP BY {}{}ady",
                    Str(r_.id), fmt::join(key_text, ", "), anchors, fmt::join(keys, ", "), keys.empty() ? "" : ", ");
  return true;
}

bool Lowerer::WindowJoin(const std::string& head, const std::string& inner, std::string* sql) {
  // Each anchor (a) meets the records of its group from `span` seconds before it up to its own
  // instant, same-instant records included (r); the window's aggregates are over r.  The
  // triggering anchors are consolidated per group and local day of the anchor, as natively.
  window_ = true;
  std::string when = d_.Bool(true);
  if (r_.when && !Group(*r_.when, &when)) return false;
  window_ = false;
  int64_t span = r_.window.duration_us / 1000000;
  std::vector<std::string> keys, on, a_keys;
  for (size_t k = 0; k < r_.keys.size(); ++k) {
    keys.push_back(fmt::format("k{}", k));
    a_keys.push_back(fmt::format("a.k{0} AS k{0}", k));
    on.push_back(fmt::format("a.k{0} IS NOT DISTINCT FROM r.k{0}", k));
  }
  on.push_back(fmt::format("r.tm >= a.tm - {} AND r.tm <= a.tm", span));
  a_keys.push_back("a.dy AS ady");
  std::vector<std::string> by = keys;
  by.push_back("ady");
  std::vector<std::string> anchor_by = {"a.n"};
  for (const std::string& k : keys) anchor_by.push_back(fmt::format("a.{}", k));
  anchor_by.push_back("a.dy");
  *sql = head + fmt::format(
                    "WITH t AS (SELECT *, row_number() OVER () AS n FROM ({}))\n"
                    "SELECT {} AS rule, {} AS key, array_to_string(list_sort(list_distinct(flatten(list(wids)))), ',') AS txn_ids\n"
                    "FROM (SELECT {}, list(r.id) AS wids\n"
                    "  FROM t a JOIN t r ON {}\n  WHERE a.an\n  GROUP BY {}\n  HAVING {})\n"
                    "GROUP BY {}",
                    inner, Str(r_.id), d_.KeyText(by), fmt::join(a_keys, ", "), fmt::join(on, " AND "), fmt::join(anchor_by, ", "),
                    d_.OrFalse(when), fmt::join(by, ", "));
  return true;
}

bool Lowerer::Group(const ir::Expr& e, std::string* out) {
  switch (e.op) {
    case ir::Op::kKey: *out = fmt::format("k{}", e.index); return true;
    case ir::Op::kAgg:
      return window_ && d_.clickhouse() ? WindowAgg(static_cast<size_t>(e.index), out) : Agg(static_cast<size_t>(e.index), out);
    default: return Common(e, true, out);
  }
}

bool Lowerer::LowerRule(std::string* sql, std::string* why) {
  auto fail = [&]() {
    *why = why_;
    return false;
  };
  if (!r_.overrides.empty()) return Refuse("overrides"), fail();
  for (const ir::Rule& o : p_.rules) {
    // Its findings drop the records the overriding rule matches (precedence), which the
    // lowered query does not know of.
    if (o.layout == r_.layout && std::find(o.overrides.begin(), o.overrides.end(), r_.id) != o.overrides.end()) {
      return Refuse(fmt::format("a rule overridden by {}", o.id)), fail();
    }
  }
  if (r_.kind == ir::RuleKind::kPath) return Refuse("a path rule (fund flows across accounts)"), fail();
  // A require rule finds the records (or groups) where its condition is not true.
  const bool require = r_.kind == ir::RuleKind::kRequire;
  const bool row_level = r_.kind == ir::RuleKind::kRow || (require && r_.keys.empty());
  if (!row_level && r_.kind != ir::RuleKind::kGroup && r_.kind != ir::RuleKind::kWindow && !require) {
    return Refuse("a rule of this kind"), fail();
  }
  if (r_.has_window && (r_.window.duration_us % 1000000 != 0 || l_.time_field < 0)) {
    return Refuse("a window that is not whole seconds"), fail();
  }
  std::string keep = "1";
  std::string s;
  if (r_.where) {
    if (!Row(*r_.where, &s)) return fail();
    keep = d_.OrFalse(s);
    Guard(*r_.where);  // a record reaches the rest only through `where` (docs/language.md, Money)
  }
  if ((r_.effective_from != ir::kNoDate || r_.effective_until != ir::kNoDate) && l_.time_field >= 0) {
    const ir::RulesetInfo* rs = p_.FindRuleset(r_.ruleset);
    std::string day = d_.LocalDay(Col(l_.time_field), rs != nullptr ? rs->timezone : "UTC");
    if (r_.effective_from != ir::kNoDate) keep += fmt::format(" AND {} >= {}", day, d_.Date(FormatDate(r_.effective_from)));
    if (r_.effective_until != ir::kNoDate) keep += fmt::format(" AND {} <= {}", day, d_.Date(FormatDate(r_.effective_until)));
  }
  for (const std::string& x : r_.exempted_by) {
    for (const ir::Rule& ex : p_.rules) {
      if (ex.kind != ir::RuleKind::kExempt || ex.id != x) continue;
      std::string w = "1", c = "1";
      if (ex.where && !Row(*ex.where, &w)) return fail();
      if (ex.when && !Row(*ex.when, &c)) return fail();
      keep += fmt::format(" AND NOT {}", d_.OrFalse(fmt::format("({}) AND ({})", w, c)));
    }
  }
  for (const ir::ExprPtr& u : r_.unless) {
    if (!Row(*u, &s)) return fail();
    keep += fmt::format(" AND NOT {}", d_.OrFalse(s));
  }
  std::string cols = fmt::format("{} AS id", Col(l_.id_field));
  if (row_level) {
    if (r_.when) {
      if (!Row(*r_.when, &s)) return fail();
      keep += (require ? " AND NOT " : " AND ") + d_.OrFalse(s);
    }
  } else {
    for (size_t k = 0; k < r_.keys.size(); ++k) {
      if (!Row(*r_.keys[k].expr, &s)) return fail();
      cols += fmt::format(", {} AS k{}", s, k);
    }
    for (size_t i = 0; i < r_.aggs.size(); ++i) {
      if (r_.aggs[i].arg) {
        if (!Row(*r_.aggs[i].arg, &s)) return fail();
        cols += fmt::format(", {} AS a{}", s, i);
      }
      if (r_.aggs[i].filter) {
        if (!Row(*r_.aggs[i].filter, &s)) return fail();
        cols += fmt::format(", {} AS f{}", d_.OrFalse(s), i);
      }
    }
  }
  if (r_.has_window) {
    // The event time in seconds, whether the record anchors, and its local day.
    const ir::RulesetInfo* rs = p_.FindRuleset(r_.ruleset);
    cols += fmt::format(", {} AS tm", d_.Seconds(Col(l_.time_field)));
    std::string an = "1";
    if (r_.window.anchor && !Row(*r_.window.anchor, &an)) return fail();
    cols += fmt::format(", {} AS an, {} AS dy", d_.OrFalse(an), d_.LocalDay(Col(l_.time_field), rs != nullptr ? rs->timezone : "UTC"));
  }
  std::string base = pre_.empty() ? Table(l_.name) : fmt::format("(SELECT *, {} FROM {})", fmt::join(pre_, ", "), Table(l_.name));
  std::string joined = joins_.empty() ? "" : fmt::format(" {}", fmt::join(joins_, " "));
  std::string inner = fmt::format("SELECT {} FROM {}{} WHERE {}", cols, base, joined, d_.OrFalse(keep));
  std::string head = fmt::format("-- {} \"{}\"\n", r_.id, r_.citation);
  if (row_level) {
    *sql = head + fmt::format("SELECT {} AS rule, '' AS key, id AS txn_ids FROM ({})", Str(r_.id), inner);
    return true;
  }
  if (r_.has_window) return (d_.clickhouse() ? Window(head, inner, sql) : WindowJoin(head, inner, sql)) || fail();
  std::string when = "1";
  if (r_.when && !Group(*r_.when, &when)) return fail();
  std::vector<std::string> keys;
  for (size_t k = 0; k < r_.keys.size(); ++k) keys.push_back(fmt::format("k{}", k));
  *sql = head + fmt::format("SELECT {} AS rule, {} AS key, {} AS txn_ids\nFROM ({})\nGROUP BY {}\nHAVING {}", Str(r_.id), d_.KeyText(keys),
                            d_.SortedIds("id"), inner, d_.GroupBy(keys), require ? "NOT " + d_.OrFalse(when) : d_.OrFalse(when));
  return true;
}

void Lowerer::MissingRates(std::vector<std::string>* out) {
  std::vector<const ir::Expr*> todo;
  auto add = [&](const ir::ExprPtr& e) {
    if (e) todo.push_back(e.get());
  };
  add(r_.where);
  add(r_.when);
  add(r_.window.anchor);
  for (const ir::Key& k : r_.keys) add(k.expr);
  for (const ir::Agg& g : r_.aggs) {
    add(g.arg);
    add(g.filter);
  }
  for (const ir::ExprPtr& u : r_.unless) add(u);
  while (!todo.empty()) {
    const ir::Expr& e = *todo.back();
    todo.pop_back();
    for (const ir::ExprPtr& k : e.kids) add(k);
    if (e.op != ir::Op::kConvert || e.kids.size() != 2 || e.kids[0]->op != ir::Op::kColumn) continue;
    const ir::TableDecl& t = p_.tables[e.index];
    if (t.keys.size() != 2) continue;
    pre_.clear();
    joins_.clear();
    why_.clear();
    std::string date;
    if (!Row(*e.kids[1], &date) || !pre_.empty() || !joins_.empty()) continue;
    const std::string cur_col = d_.Ident(l_.fields[e.kids[0]->index].currency_column);
    std::string cur(CurrencyCode(static_cast<CurrencyId>(e.type.currency)));
    out->push_back(fmt::format("-- {}: records without a {} rate\nSELECT id FROM (SELECT {} AS id, {} AS c, {} AS dd FROM {}) {} (SELECT {} AS "
                               "m_date, {} AS m_cur, 1 AS m_hit FROM {}) ON dd = m_date AND c = m_cur WHERE c != {} AND {}",
                               r_.id, t.name, Col(l_.id_field), cur_col, date, Table(l_.name), d_.LeftJoin(), d_.Ident(t.keys[0].name),
                               d_.Ident(t.keys[1].name), Table(t.name), Str(cur), d_.clickhouse() ? "m_hit = 0" : "m_hit IS NULL"));
  }
}

}  // namespace

namespace sql {

Status SqlMissingRates(const ir::Program& program, const SqlOptions& options, std::vector<std::string>* queries) {
  const ir::Layout* layout = nullptr;
  if (Status st = exec::SelectLayout(program, options.layout, &layout); !st.ok()) return st;
  std::unique_ptr<sql::Dialect> dialect = sql::Dialect::For(options.dialect);
  std::set<std::string> only(options.rules.begin(), options.rules.end());
  std::set<std::string> seen;
  for (const ir::Rule& r : program.rules) {
    if (r.layout != layout->name || r.kind == ir::RuleKind::kExempt || (!only.empty() && only.count(r.id) == 0)) continue;
    std::vector<std::string> found;
    Lowerer(program, *layout, r, *dialect, options.table_names).MissingRates(&found);
    for (std::string& q : found) {
      // One query per conversion, whichever rules share it.
      std::string body = q.substr(q.find('\n') + 1);
      if (seen.insert(body).second) queries->push_back(std::move(q));
    }
  }
  return Status::Ok();
}

}  // namespace sql

Status SqlRules(const ir::Program& program, const SqlOptions& options, std::string* out, std::vector<std::string>* refused) {
  const ir::Layout* layout = nullptr;
  if (Status st = exec::SelectLayout(program, options.layout, &layout); !st.ok()) return st;
  std::unique_ptr<sql::Dialect> dialect = sql::Dialect::For(options.dialect);
  std::set<std::string> only(options.rules.begin(), options.rules.end());
  std::vector<const ir::Rule*> rules;
  for (const ir::Rule& r : program.rules) {
    if (r.layout == layout->name && r.kind != ir::RuleKind::kExempt && (only.empty() || only.count(r.id) != 0)) rules.push_back(&r);
  }
  std::sort(rules.begin(), rules.end(), [](const ir::Rule* a, const ir::Rule* b) { return a->id != b->id ? a->id < b->id : a->version < b->version; });
  for (const ir::Rule* r : rules) {
    std::string sql, why;
    if (Lowerer(program, *layout, *r, *dialect, options.table_names).Lower(&sql, &why)) {
      *out += sql + ";\n\n";
    } else {
      refused->push_back(fmt::format("{}: {} is not lowered yet", r->id, why));
    }
  }
  return Status::Ok();
}

}  // namespace decree
