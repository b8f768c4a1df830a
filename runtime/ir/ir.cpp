#include "ir/ir.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <set>

namespace decree::ir {

namespace {

constexpr std::array<const char*, static_cast<size_t>(Op::kScreen) + 1> kOpNames = {
    "const", "column", "key", "agg", "cast", "not", "and", "or", "neg", "eq", "ne", "lt", "le",
    "gt", "ge", "add", "sub", "mul", "mod", "if", "in", "in_table", "lookup", "is_null",
    "is_not_null", "money_value", "money_currency", "convert", "day", "currency_class",
    "multiple_of", "ratio", "length", "matches", "weekday", "abs", "screen"};

}  // namespace

const char* OpName(Op op) { return kOpNames[static_cast<size_t>(op)]; }

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
}

bool OpFromName(const std::string& name, Op* op) {
  for (size_t i = 0; i < kOpNames.size(); ++i) {
    if (name == kOpNames[i]) {
      *op = static_cast<Op>(i);
      return true;
    }
  }
  return false;
}

ExprPtr Expr::Clone() const {
  auto e = std::make_unique<Expr>();
  e->op = op;
  e->type = type;
  e->index = index;
  e->name = name;
  e->value = value;
  e->text = text;
  for (const ExprPtr& k : kids) e->kids.push_back(k->Clone());
  return e;
}

ExprPtr MakeConst(Value v, Type t) {
  auto e = std::make_unique<Expr>();
  e->op = Op::kConst;
  e->type = t;
  e->value = std::move(v);
  return e;
}

namespace {
void Walk(const Expr& e, const Expr* parent, const std::function<void(const Expr&, const Expr*)>& f) {
  f(e, parent);
  for (const ExprPtr& k : e.kids) Walk(*k, &e, f);
}
}  // namespace

void ForEachExpr(const Rule& r, const std::function<void(const Expr& e, const Expr* parent)>& f) {
  auto root = [&](const ExprPtr& e) {
    if (e) Walk(*e, nullptr, f);
  };
  root(r.where);
  root(r.when);
  if (r.has_window) root(r.window.anchor);
  for (const Key& k : r.keys) root(k.expr);
  for (const Agg& a : r.aggs) {
    root(a.arg);
    root(a.filter);
  }
  for (const ExprPtr& u : r.unless) root(u);
}

const char* RuleKindName(RuleKind k) {
  switch (k) {
    case RuleKind::kRow: return "row";
    case RuleKind::kGroup: return "group";
    case RuleKind::kWindow: return "window";
    case RuleKind::kExempt: return "exempt";
    case RuleKind::kRequire: return "require";
    case RuleKind::kPath: return "path";
  }
  return "?";
}

const char* PathAttrName(int attr) {
  switch (attr) {
    case kPathHops: return "hops";
    case kPathElapsed: return "elapsed";
    case kPathFirstAmount: return "first_amount";
    case kPathLastAmount: return "last_amount";
    default: return "?";
  }
}

const char* AggKindName(AggKind k) {
  switch (k) {
    case AggKind::kSum: return "sum";
    case AggKind::kCount: return "count";
    case AggKind::kCountDistinct: return "count_distinct";
    case AggKind::kMin: return "min";
    case AggKind::kMax: return "max";
  }
  return "?";
}

const char* VerdictKindName(VerdictKind k) {
  switch (k) {
    case VerdictKind::kReport: return "report";
    case VerdictKind::kFlag: return "flag";
    case VerdictKind::kBlock: return "block";
    case VerdictKind::kAllow: return "allow";
    case VerdictKind::kClassify: return "classify";
    case VerdictKind::kError: return "error";
  }
  return "?";
}

int Layout::FieldIndex(const std::string& n) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == n) return static_cast<int>(i);
  }
  return -1;
}

const Layout* Program::FindLayout(const std::string& name) const {
  for (const Layout& l : layouts) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

const TableDecl* Program::FindTable(const std::string& name) const {
  int i = TableIndex(name);
  return i < 0 ? nullptr : &tables[i];
}

int Program::TableIndex(const std::string& name) const {
  for (size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const Rule* Program::FindRule(const std::string& id) const {
  for (const Rule& r : rules) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const RulesetInfo* Program::FindRuleset(const std::string& id) const {
  for (const RulesetInfo& r : rulesets) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

int SharedKeyField(const Program& program, const std::string& layout) {
  bool any = false;
  std::set<int> common;
  for (const Rule& r : program.rules) {
    if (r.layout != layout || !r.is_aggregate()) continue;
    std::set<int> keys;
    for (const Key& k : r.keys) {
      if (k.expr && k.expr->op == Op::kColumn) keys.insert(k.expr->index);
    }
    if (any) {
      std::set<int> both;
      std::set_intersection(common.begin(), common.end(), keys.begin(), keys.end(), std::inserter(both, both.begin()));
      keys = std::move(both);
    }
    common = std::move(keys);
    any = true;
  }
  return !any ? kNoGroupedRules : common.empty() ? kNoSharedKey : *common.begin();
}

}  // namespace decree::ir
