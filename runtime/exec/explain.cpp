#include "exec/explain.h"

#include <fmt/format.h>

#include "ir/civil.h"
#include "ir/codes.h"
#include "ir/json.h"

namespace decree::exec {

namespace {

using ir::Op;

bool IsComparison(Op op) {
  return op == Op::kEq || op == Op::kNe || op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe ||
         op == Op::kIn || op == Op::kInTable;
}

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

class Explainer {
 public:
  Explainer(const ir::Program& p, const ir::Rule& r, const ir::EvalContext& ctx) : p_(p), r_(r), ctx_(ctx) {}

  void Walk(const ir::Expr& e, Explanation* out) {
    if (e.op == Op::kAnd) {
      for (const ir::ExprPtr& k : e.kids) Walk(*k, out);
      return;
    }
    if (e.op == Op::kOr) {
      for (const ir::ExprPtr& k : e.kids) {
        ir::Value v;
        std::string err;
        if (ir::EvalScalar(p_, *k, ctx_, &v, &err) && v.truthy()) {
          Walk(*k, out);
          return;
        }
      }
      return;
    }
    if (KeysOnly(e)) return;
    std::string atom;
    if (IsComparison(e.op) && e.kids.size() == 2 && e.op != Op::kIn) {
      atom = Side(*e.kids[0], out) + " " + OpText(e.op) + " " + Side(*e.kids[1], out);
    } else if (e.op == Op::kIn || e.op == Op::kInTable) {
      atom = Side(*e.kids[0], out) + " " + (e.op == Op::kIn ? "in " + Side(*e.kids[1], out) : "in " + p_.tables[e.index].name);
    } else if (!e.text.empty()) {
      atom = e.text;
    } else {
      ir::Value v;
      std::string err;
      if (ir::EvalScalar(p_, e, ctx_, &v, &err)) atom = ir::ValueToDisplay(v, &p_);
    }
    if (atom.empty()) return;
    if (!out->text.empty()) out->text += " and ";
    out->text += atom;
  }

 private:
  std::string Side(const ir::Expr& e, Explanation* out) {
    ir::Value v;
    std::string err;
    bool ok = ir::EvalScalar(p_, e, ctx_, &v, &err);
    std::string value = ok ? ir::ValueToDisplay(v, &p_) : "?";
    const ir::Expr* x = &e;
    while (x->op == Op::kCast) x = x->kids[0].get();
    std::string label;
    switch (x->op) {
      case Op::kConst: return value;
      case Op::kAgg:
        label = r_.aggs[x->index].text;
        break;
      case Op::kKey: label = r_.keys[x->index].name; break;
      case Op::kColumn: {
        const ir::Layout* l = p_.FindLayout(r_.layout);
        label = l != nullptr ? r_.var + "." + l->fields[x->index].name : "?";
        break;
      }
      default: label = x->text; break;
    }
    if (ok && !out->has_total && v.kind == ir::TypeKind::kMoney && (x->op == Op::kAgg || x->op == Op::kColumn ||
                                                                      x->op == Op::kConvert)) {
      out->has_total = true;
      out->total = v;
    }
    return label.empty() ? value : label + " " + value;
  }

  const ir::Program& p_;
  const ir::Rule& r_;
  const ir::EvalContext& ctx_;
};

}  // namespace

Explanation Explain(const ir::Program& p, const ir::Rule& rule, const ir::Expr& when, const ir::EvalContext& ctx) {
  Explanation out;
  Explainer x(p, rule, ctx);
  x.Walk(when, &out);
  return out;
}

int32_t AddDays(int32_t date, int days, bool business, const TableData* calendar) {
  if (!business) return date + days;
  int32_t d = date;
  int counted = 0;
  while (counted < days) {
    ++d;
    bool working = Weekday(d) < 5;
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
            f->due = FormatDate(AddDays(date, v.within, v.business, cal));
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
  // No reserve() here: `buffer` is usually a large shared blob, and reserve() to an exact size
  // would reallocate it on every call (appending grows it geometrically instead).
  std::string& out = *buffer;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("rule", rule).Field("citation", citation).Field("ruleset_version", ruleset_version);
  if (keyed) {
    w.Key("key").BeginObject();
    for (const auto& [k, v] : key) w.Field(k, v);
    w.EndObject();
  }
  w.Key("txn_ids").BeginArray();
  for (const std::string& id : txn_ids) w.String(id);
  w.EndArray();
  w.Key("total");
  if (has_total) {
    w.BeginObject().Field("amount", total_amount).Field("currency", total_currency).EndObject();
  } else {
    w.Null();
  }
  w.Field("action", actions.empty() ? "" : actions.front());
  if (actions.size() > 1) {
    w.Key("actions").BeginArray();
    for (const std::string& a : actions) w.String(a);
    w.EndArray();
  }
  if (!report.empty()) w.Field("report", report);
  if (!due.empty()) w.Field("due", due);
  if (!flag.empty()) w.Field("flag", flag);
  if (!message.empty()) w.Field("message", message);
  if (!classification.empty()) {
    w.Key("classification").BeginObject();
    for (const auto& [k, v] : classification) w.Field(k, v);
    w.EndObject();
  }
  if (!date.empty()) w.Field("date", date);
  w.Field("explain", explain);
  w.EndObject();
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
