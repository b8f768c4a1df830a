#include "exec/explain.h"

#include <fmt/format.h>

#include "common/civil.h"
#include "common/decimal.h"
#include "common/codes.h"
#include "decree/json.h"

namespace decree::exec {

namespace {

using ir::Op;

const char* OpText(Op op) {
  switch (op) {
    case Op::kEq: return "=";
    case Op::kNe: return "!=";
    case Op::kLt: return "<";
    case Op::kLe: return "<=";
    case Op::kGt: return ">";
    case Op::kGe: return ">=";
    case Op::kIn: return "in";
    default: return "?";
  }
}

// True when `e` reads only keys and constants.
bool KeysOnly(const ir::Expr& e) {
  if (e.op == Op::kAgg || e.op == Op::kColumn) return false;
  for (const ir::ExprPtr& k : e.kids) {
    if (!KeysOnly(*k)) return false;
  }
  return true;
}

}  // namespace

// The plan mirrors `when`: the text of each comparison is fixed but for the values of its
// non-constant sides, which are evaluated per explanation; constants are rendered once.
struct ExplainPlan::Side {
  const ir::Expr* expr = nullptr;
  std::string label;            // "sum(t.amount)", "t.channel", … ("" for constants)
  bool constant = false;        // a literal or named constant: its text never changes
  bool total_candidate = false; // a money operand that can be the finding's total
  bool cached = false;
  std::string text;             // constant: the rendered side
  const ir::Expr* screen = nullptr;  // a screen() call: the entry matched is named
};

struct ExplainPlan::Node {
  enum class Kind { kAnd, kOr, kSkip, kCompare, kIn, kInTable, kText, kValue } kind = Kind::kSkip;
  const ir::Expr* expr = nullptr;
  std::vector<Node> kids;  // kAnd, kOr
  Side left, right;        // kCompare, kIn, kInTable (left only)
  std::string text;        // kCompare: the operator; kInTable: the table; kText: the atom
};

ExplainPlan::ExplainPlan(const ir::Program& p, const ir::Rule& rule, const ir::Expr& when)
    : p_(p), rule_(rule), root_(std::make_unique<Node>(Build(when))) {
  if (when.op == Op::kOr) {
    for (const ir::ExprPtr& k : when.kids) branches_.push_back(k.get());
  }
}

ExplainPlan::~ExplainPlan() = default;

ExplainPlan::Node ExplainPlan::Build(const ir::Expr& e) const {
  Node n;
  n.expr = &e;
  if (e.op == Op::kAnd || e.op == Op::kOr) {
    n.kind = e.op == Op::kAnd ? Node::Kind::kAnd : Node::Kind::kOr;
    for (const ir::ExprPtr& k : e.kids) n.kids.push_back(Build(*k));
    return n;
  }
  if (KeysOnly(e)) return n;  // kSkip: the key shows it
  if (ir::IsComparison(e.op) && e.kids.size() == 2) {
    n.kind = Node::Kind::kCompare;
    n.left = MakeSide(*e.kids[0]);
    n.right = MakeSide(*e.kids[1]);
    n.text = OpText(e.op);
  } else if (e.op == Op::kIn) {
    n.kind = Node::Kind::kIn;
    n.left = MakeSide(*e.kids[0]);
    n.right = MakeSide(*e.kids[1]);
  } else if (e.op == Op::kInTable) {
    n.kind = Node::Kind::kInTable;
    n.left = MakeSide(*e.kids[0]);
    n.text = p_.tables[e.index].name;
  } else if (!e.text.empty()) {
    n.kind = Node::Kind::kText;
    n.text = e.text;
  } else {
    n.kind = Node::Kind::kValue;
  }
  return n;
}

ExplainPlan::Side ExplainPlan::MakeSide(const ir::Expr& e) const {
  Side s;
  s.expr = &e;
  const ir::Expr* x = &e;
  while (x->op == Op::kCast) x = x->kids[0].get();
  switch (x->op) {
    case Op::kConst: s.constant = true; break;
    case Op::kAgg: s.label = rule_.aggs[x->index].text; break;
    case Op::kKey: s.label = rule_.keys[x->index].name; break;
    case Op::kColumn: {
      const ir::Layout* l = p_.FindLayout(rule_.layout);
      s.label = l != nullptr ? rule_.var + "." + l->fields[x->index].name : "?";
      break;
    }
    case Op::kScreen: {
      const ir::Expr& arg = *x->kids[0];
      const ir::Layout* l = p_.FindLayout(rule_.layout);
      std::string name = arg.op == Op::kColumn && l != nullptr ? rule_.var + "." + l->fields[arg.index].name : arg.text;
      s.label = fmt::format("screen({}, list \"{}\")", name.empty() ? "…" : name, x->name);
      s.screen = x;
      break;
    }
    default: s.label = x->text; break;
  }
  s.total_candidate = x->op == Op::kAgg || x->op == Op::kColumn || x->op == Op::kConvert;
  return s;
}

void ExplainPlan::AppendSide(Side& s, const ir::EvalContext& ctx, Explanation* out) {
  if (s.constant && s.cached) {
    out->text += s.text;
    return;
  }
  std::string err;
  bool ok = ir::EvalScalar(p_, *s.expr, ctx, &value_, &err);
  std::string rendered = !ok ? "?" : s.screen != nullptr && !value_.null ? FormatDecimal(value_.m, value_.scale)
                                                                          : ir::ValueToDisplay(value_, &p_);
  if (s.constant) {
    if (ok) {
      s.text = rendered;
      s.cached = true;
    }
    out->text += rendered;
    return;
  }
  if (ok && s.total_candidate && !out->has_total && value_.kind == ir::TypeKind::kMoney) {
    out->has_total = true;
    out->total = value_;
  }
  if (!s.label.empty()) {
    out->text += s.label;
    out->text.push_back(' ');
  }
  out->text += rendered;
  if (s.screen != nullptr && ok && !value_.null) {
    ir::Value name;
    if (ir::EvalScalar(p_, *s.screen->kids[0], ctx, &name, &err) && !name.null) {
      std::string match = ctx.ScreenMatch(s.screen->name, name.s);
      if (!match.empty()) out->text += " [" + match + "]";
    }
  }
}

void ExplainPlan::Walk(Node& n, const ir::EvalContext& ctx, Explanation* out) {
  switch (n.kind) {
    case Node::Kind::kAnd:
      for (Node& k : n.kids) Walk(k, ctx, out);
      return;
    case Node::Kind::kOr:
      for (Node& k : n.kids) {
        std::string err;
        if (ir::EvalScalar(p_, *k.expr, ctx, &value_, &err) && value_.truthy()) {
          Walk(k, ctx, out);
          return;
        }
      }
      return;
    case Node::Kind::kSkip: return;
    default: break;
  }
  size_t before = out->text.size();
  if (before > 0) out->text += " and ";
  size_t start = out->text.size();
  switch (n.kind) {
    case Node::Kind::kCompare:
      AppendSide(n.left, ctx, out);
      out->text.push_back(' ');
      out->text += n.text;
      out->text.push_back(' ');
      AppendSide(n.right, ctx, out);
      break;
    case Node::Kind::kIn:
      AppendSide(n.left, ctx, out);
      out->text += " in ";
      AppendSide(n.right, ctx, out);
      break;
    case Node::Kind::kInTable:
      AppendSide(n.left, ctx, out);
      out->text += " in ";
      out->text += n.text;
      break;
    case Node::Kind::kText: out->text += n.text; break;
    default: {
      std::string err;
      if (ir::EvalScalar(p_, *n.expr, ctx, &value_, &err)) out->text += ir::ValueToDisplay(value_, &p_);
      break;
    }
  }
  if (out->text.size() == start) out->text.resize(before);  // an empty atom adds nothing
}

void ExplainPlan::Explain(const ir::EvalContext& ctx, Explanation* out, int branch) {
  out->text.clear();
  out->has_total = false;
  out->total = ir::Value();
  if (branch >= 0 && root_->kind == Node::Kind::kOr && static_cast<size_t>(branch) < root_->kids.size()) {
    Walk(root_->kids[static_cast<size_t>(branch)], ctx, out);
  } else {
    Walk(*root_, ctx, out);
  }
}

Explanation Explain(const ir::Program& p, const ir::Rule& rule, const ir::Expr& when, const ir::EvalContext& ctx) {
  ExplainPlan plan(p, rule, when);
  Explanation out;
  plan.Explain(ctx, &out);
  return out;
}

int32_t AddDays(int32_t date, int days, bool business, const TableData* calendar, int* uncovered_year) {
  if (!business) return date + days;
  int32_t d = date;
  int counted = 0;
  while (counted < days) {
    ++d;
    bool working = Weekday(d) < 5;
    if (calendar != nullptr && uncovered_year != nullptr && *uncovered_year == 0) {
      int y;
      unsigned m, day;
      CivilFromDays(d, &y, &m, &day);
      if (!calendar->CoversYear(y)) *uncovered_year = y;
    }
    if (calendar != nullptr) {
      switch (calendar->Calendar(d)) {
        case TableData::CalendarDay::kHoliday: working = false; break;
        case TableData::CalendarDay::kWorking: working = true; break;
        case TableData::CalendarDay::kUnlisted: break;
      }
    }
    counted += working;
  }
  return d;
}

void FillVerdicts(const ir::Program& p, const ir::Rule& rule, int32_t date, const Tables* tables, Finding* f) {
  for (const ir::Verdict& v : rule.verdicts) {
    f->actions.push_back(ir::VerdictKindName(v.kind));
    switch (v.kind) {
      case ir::VerdictKind::kReport:
        if (f->report.empty()) {
          f->report = v.name;
          if (v.within >= 0 && date != ir::kNoDate) {
            const TableData* cal = nullptr;
            if (!v.calendar.empty() && tables != nullptr) cal = tables->Get(p.TableIndex(v.calendar));
            int uncovered = 0;
            f->due = FormatDate(AddDays(date, v.within, v.business, cal, &uncovered));
            if (uncovered != 0) {
              f->due_note = fmt::format("Monday–Friday in {}: calendar {} does not cover it", uncovered, v.calendar);
            } else if (!v.calendar.empty() && cal == nullptr) {
              f->due_note = fmt::format("Monday–Friday: calendar {} was not given", v.calendar);
            }
          }
        }
        break;
      case ir::VerdictKind::kFlag:
        if (f->flag.empty()) {
          f->flag = v.name;
          if (!v.value.empty()) f->message = v.value;
        }
        break;
      case ir::VerdictKind::kClassify: f->classification.emplace_back(v.name, v.value); break;
      case ir::VerdictKind::kError: f->message = v.value; break;
      default: break;
    }
  }
}

std::string KeyText(const ir::Value& v, const ir::Program& p) {
  if (v.null) return "";
  return ir::ValueToDisplay(v, &p);
}

}  // namespace decree::exec

namespace decree {

std::string Finding::ToJson() const {
  std::string out;
  AppendJson(&out);
  return out;
}

void Finding::AppendJson(std::string* buffer) const {
  std::string& out = *buffer;
  // No reserve() here: `buffer` is usually a large shared blob, and reserve() to an exact size
  // would reallocate it on every call (appending grows it geometrically instead).
  out += "{\"rule\":";
  AppendJsonString(&out, rule);
  out += ",\"citation\":";
  AppendJsonString(&out, citation);
  out += ",\"ruleset_version\":";
  AppendJsonString(&out, ruleset_version);
  AppendJsonTail(&out);
}

void Finding::AppendJsonTail(std::string* buffer) const {
  // Keys are literals (no escaping needed); every value goes through AppendJsonString.
  std::string& out = *buffer;
  if (keyed) {
    out += ",\"key\":{";
    for (size_t i = 0; i < key.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(&out, key[i].first);
      out.push_back(':');
      AppendJsonString(&out, key[i].second);
    }
    out.push_back('}');
  }
  out += ",\"txn_ids\":[";
  for (size_t i = 0; i < txn_ids.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(&out, txn_ids[i]);
  }
  out.push_back(']');
  if (!paths.empty()) {
    out += ",\"paths\":[";
    for (size_t p = 0; p < paths.size(); ++p) {
      if (p > 0) out.push_back(',');
      out.push_back('[');
      for (size_t h = 0; h < paths[p].size(); ++h) {
        const PathHop& hop = paths[p][h];
        out += h > 0 ? ",{\"txn_id\":" : "{\"txn_id\":";
        AppendJsonString(&out, hop.txn_id);
        out += ",\"from\":";
        AppendJsonString(&out, hop.from);
        out += ",\"to\":";
        AppendJsonString(&out, hop.to);
        out += ",\"amount\":";
        AppendJsonString(&out, hop.amount);
        out += ",\"booked_at\":";
        AppendJsonString(&out, hop.booked_at);
        out.push_back('}');
      }
      out.push_back(']');
    }
    out.push_back(']');
  }
  out += ",\"total\":";
  if (has_total) {
    out += "{\"amount\":";
    AppendJsonString(&out, total_amount);
    out += ",\"currency\":";
    AppendJsonString(&out, total_currency);
    out.push_back('}');
  } else {
    out += "null";
  }
  out += ",\"action\":";
  AppendJsonString(&out, actions.empty() ? std::string_view() : std::string_view(actions.front()));
  if (actions.size() > 1) {
    out += ",\"actions\":[";
    for (size_t i = 0; i < actions.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(&out, actions[i]);
    }
    out.push_back(']');
  }
  auto field = [&](const char* literal_key, const std::string& value) {
    if (value.empty()) return;
    out += literal_key;
    AppendJsonString(&out, value);
  };
  field(",\"report\":", report);
  field(",\"due\":", due);
  field(",\"due_note\":", due_note);
  field(",\"flag\":", flag);
  field(",\"message\":", message);
  if (!classification.empty()) {
    out += ",\"classification\":{";
    for (size_t i = 0; i < classification.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(&out, classification[i].first);
      out.push_back(':');
      AppendJsonString(&out, classification[i].second);
    }
    out.push_back('}');
  }
  field(",\"date\":", date);
  out += ",\"explain\":";
  AppendJsonString(&out, explain);
  out.push_back('}');
}

std::string FindingsToJsonl(const std::vector<Finding>& findings) {
  std::string out;
  for (const Finding& f : findings) {
    out += f.ToJson();
    out.push_back('\n');
  }
  return out;
}

}  // namespace decree
