#include "ir/ir_codec.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/civil.h"
#include "decree/sha256.h"

namespace decree::ir {

namespace {

SExpr Tagged(const char* tag, SExpr v) { return SExpr::List({SExpr::Atom(tag), std::move(v)}); }
SExpr TaggedStr(const char* tag, std::string v) { return Tagged(tag, SExpr::Str(std::move(v))); }
SExpr TaggedInt(const char* tag, int64_t v) { return Tagged(tag, SExpr::Atom(std::to_string(v))); }

Status Bad(const std::string& what) { return Status::Corruption("rule IR: " + what); }

bool AtomInt(const SExpr& s, int64_t* out) {
  if (s.kind != SExpr::Kind::kAtom || s.text.empty() || s.text.size() > 19) return false;
  size_t i = s.text[0] == '-' ? 1 : 0;
  if (i == s.text.size()) return false;
  int64_t v = 0;
  for (; i < s.text.size(); ++i) {
    char c = s.text[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = s.text[0] == '-' ? -v : v;
  return true;
}

// Value of a (tag <atom-int>) form.
bool FormInt(const SExpr* f, int64_t* out) { return f != nullptr && f->items.size() == 2 && AtomInt(f->items[1], out); }
// Value of a (tag "string") form.
bool FormStr(const SExpr* f, std::string* out) {
  if (f == nullptr || f->items.size() != 2 || f->items[1].kind != SExpr::Kind::kString) return false;
  *out = f->items[1].text;
  return true;
}
// All strings of a (tag "a" "b" ...) form.
bool FormStrings(const SExpr* f, std::vector<std::string>* out) {
  out->clear();
  if (f == nullptr) return true;
  for (size_t i = 1; i < f->items.size(); ++i) {
    if (f->items[i].kind != SExpr::Kind::kString) return false;
    out->push_back(f->items[i].text);
  }
  return true;
}

SExpr EncodeLoc(const SourceLoc& l) {
  return SExpr::List({SExpr::Atom("loc"), SExpr::Str(l.file), SExpr::Atom(std::to_string(l.line)),
                      SExpr::Atom(std::to_string(l.col)), SExpr::Atom(std::to_string(l.end_line)),
                      SExpr::Atom(std::to_string(l.end_col))});
}

bool DecodeLoc(const SExpr* f, SourceLoc* l) {
  if (f == nullptr) return true;
  int64_t a, b, c, d;
  if (f->items.size() != 6 || f->items[1].kind != SExpr::Kind::kString || !AtomInt(f->items[2], &a) ||
      !AtomInt(f->items[3], &b) || !AtomInt(f->items[4], &c) || !AtomInt(f->items[5], &d)) {
    return false;
  }
  l->file = f->items[1].text;
  l->line = static_cast<int>(a);
  l->col = static_cast<int>(b);
  l->end_line = static_cast<int>(c);
  l->end_col = static_cast<int>(d);
  return true;
}

}  // namespace

SExpr EncodeExpr(const Expr& e) {
  SExpr s = SExpr::List({SExpr::Atom(OpName(e.op)), SExpr::Str(TypeToString(e.type))});
  if (e.index >= 0) s.Add(TaggedInt("i", e.index));
  if (!e.name.empty()) s.Add(TaggedStr("n", e.name));
  if (e.op == Op::kConst) s.Add(TaggedStr("v", EncodeValue(e.value)));
  if (!e.text.empty()) s.Add(TaggedStr("t", e.text));
  for (const ExprPtr& k : e.kids) s.Add(EncodeExpr(*k));
  return s;
}

Status DecodeExpr(const SExpr& s, ExprPtr* out) {
  if (!s.is_list() || s.items.size() < 2 || s.items[0].kind != SExpr::Kind::kAtom ||
      s.items[1].kind != SExpr::Kind::kString) {
    return Bad("malformed expression");
  }
  auto e = std::make_unique<Expr>();
  if (!OpFromName(s.items[0].text, &e->op)) return Bad("unknown operator '" + s.items[0].text + "'");
  if (!ParseType(s.items[1].text, &e->type)) return Bad("bad type '" + s.items[1].text + "'");
  for (size_t i = 2; i < s.items.size(); ++i) {
    const SExpr& it = s.items[i];
    if (it.IsForm("i")) {
      int64_t v;
      if (!FormInt(&it, &v) || v < 0 || v > INT32_MAX) return Bad("bad index");
      e->index = static_cast<int32_t>(v);
    } else if (it.IsForm("n")) {
      if (!FormStr(&it, &e->name)) return Bad("bad name");
    } else if (it.IsForm("v")) {
      std::string v;
      if (!FormStr(&it, &v) || !DecodeValue(v, &e->value)) return Bad("bad constant");
    } else if (it.IsForm("t")) {
      if (!FormStr(&it, &e->text)) return Bad("bad text");
    } else {
      ExprPtr kid;
      Status st = DecodeExpr(it, &kid);
      if (!st.ok()) return st;
      e->kids.push_back(std::move(kid));
    }
  }
  *out = std::move(e);
  return Status::Ok();
}

std::string EncodeRuleBody(const Rule& r) {
  SExpr s = SExpr::List({SExpr::Atom("rule")});
  s.Add(Tagged("kind", SExpr::Atom(RuleKindName(r.kind))));
  s.Add(TaggedStr("layout", r.layout));
  s.Add(TaggedStr("var", r.var));
  if (r.where) s.Add(Tagged("where", EncodeExpr(*r.where)));
  if (!r.keys.empty()) {
    SExpr keys = SExpr::List({SExpr::Atom("keys")});
    for (const Key& k : r.keys) keys.Add(SExpr::List({SExpr::Atom("key"), SExpr::Str(k.name), EncodeExpr(*k.expr)}));
    s.Add(std::move(keys));
  }
  if (r.has_window) {
    SExpr w = SExpr::List({SExpr::Atom("window"), SExpr::Atom(std::to_string(r.window.duration_us))});
    if (r.window.anchor) w.Add(Tagged("anchor", EncodeExpr(*r.window.anchor)));
    s.Add(std::move(w));
  }
  if (r.kind == RuleKind::kPath) {
    const PathSpec& ps = r.path;
    SExpr p = SExpr::List({SExpr::Atom("path"), SExpr::Str(ps.flow), SExpr::Atom(std::to_string(ps.min_hops)),
                           SExpr::Atom(std::to_string(ps.max_hops)), SExpr::Atom(std::to_string(ps.within_us))});
    if (ps.has_ratio) p.Add(SExpr::List({SExpr::Atom("ratio"), SExpr::Str(EncodeValue(ps.ratio_lo)), SExpr::Str(EncodeValue(ps.ratio_hi))}));
    if (ps.distinct) p.Add(SExpr::Atom("distinct"));
    if (ps.maximal) p.Add(SExpr::Atom("maximal"));
    if (ps.cycle) p.Add(SExpr::Atom("cycle"));
    s.Add(std::move(p));
  }
  if (!r.aggs.empty()) {
    SExpr aggs = SExpr::List({SExpr::Atom("aggs")});
    for (const Agg& a : r.aggs) {
      SExpr g = SExpr::List({SExpr::Atom("agg"), SExpr::Atom(AggKindName(a.kind)), SExpr::Str(TypeToString(a.type)),
                             SExpr::Str(a.text)});
      if (a.arg) g.Add(Tagged("arg", EncodeExpr(*a.arg)));
      if (a.filter) g.Add(Tagged("filter", EncodeExpr(*a.filter)));
      aggs.Add(std::move(g));
    }
    s.Add(std::move(aggs));
  }
  if (r.when) s.Add(Tagged("when", EncodeExpr(*r.when)));
  if (!r.unless.empty()) {
    SExpr u = SExpr::List({SExpr::Atom("unless")});
    for (const ExprPtr& x : r.unless) u.Add(EncodeExpr(*x));
    s.Add(std::move(u));
  }
  auto strings = [&](const char* tag, const std::vector<std::string>& v) {
    if (v.empty()) return;
    SExpr l = SExpr::List({SExpr::Atom(tag)});
    for (const std::string& x : v) l.Add(SExpr::Str(x));
    s.Add(std::move(l));
  };
  strings("exempted_by", r.exempted_by);
  strings("applies_to", r.applies_to);
  strings("overrides", r.overrides);
  SExpr verdicts = SExpr::List({SExpr::Atom("verdicts")});
  for (const Verdict& v : r.verdicts) {
    verdicts.Add(SExpr::List({SExpr::Atom(VerdictKindName(v.kind)), SExpr::Str(v.name), SExpr::Str(v.value),
                              SExpr::Atom(std::to_string(v.within)), SExpr::Atom(v.business ? "business" : "calendar"),
                              SExpr::Str(v.calendar)}));
  }
  s.Add(std::move(verdicts));
  if (!r.decision.empty()) s.Add(TaggedStr("decision", r.decision));
  if (!r.suppressions.empty()) {
    SExpr l = SExpr::List({SExpr::Atom("suppress")});
    for (const Suppression& x : r.suppressions) {
      l.Add(SExpr::List({SExpr::Atom("s"), SExpr::Str(x.kind), SExpr::Str(x.other), SExpr::Str(x.reason), EncodeLoc(x.loc)}));
    }
    s.Add(std::move(l));
  }
  return PrintSExpr(s);
}

namespace {

Status DecodePath(const SExpr* p, PathSpec* out) {
  int64_t lo, hi, within;
  if (p == nullptr || p->items.size() < 5 || p->items[1].kind != SExpr::Kind::kString || !AtomInt(p->items[2], &lo) ||
      !AtomInt(p->items[3], &hi) || !AtomInt(p->items[4], &within)) {
    return Bad("malformed path");
  }
  if (lo < 1 || hi < lo || hi > kMaxPathHops || within <= 0) return Bad("path bounds out of range");
  out->flow = p->items[1].text;
  out->min_hops = static_cast<int>(lo);
  out->max_hops = static_cast<int>(hi);
  out->within_us = within;
  for (size_t i = 5; i < p->items.size(); ++i) {
    const SExpr& x = p->items[i];
    if (x.IsForm("ratio")) {
      if (x.items.size() != 3 || x.items[1].kind != SExpr::Kind::kString || x.items[2].kind != SExpr::Kind::kString ||
          !DecodeValue(x.items[1].text, &out->ratio_lo) || !DecodeValue(x.items[2].text, &out->ratio_hi) ||
          out->ratio_lo.kind != TypeKind::kDecimal || out->ratio_hi.kind != TypeKind::kDecimal) {
        return Bad("malformed path ratio");
      }
      out->has_ratio = true;
    } else if (x.kind == SExpr::Kind::kAtom && x.text == "distinct") {
      out->distinct = true;
    } else if (x.kind == SExpr::Kind::kAtom && x.text == "maximal") {
      out->maximal = true;
    } else if (x.kind == SExpr::Kind::kAtom && x.text == "cycle") {
      out->cycle = true;
    } else {
      return Bad("unknown path option");
    }
  }
  return Status::Ok();
}

}  // namespace

Status DecodeRuleBody(const std::string& text, Rule* r) {
  SExpr s;
  std::string err;
  if (!ParseSExpr(text, &s, &err)) return Bad(err);
  if (!s.IsForm("rule")) return Bad("not a rule");
  const SExpr* kind = s.Find("kind");
  if (kind == nullptr || kind->items.size() != 2) return Bad("missing kind");
  bool found = false;
  for (RuleKind k : {RuleKind::kRow, RuleKind::kGroup, RuleKind::kWindow, RuleKind::kExempt, RuleKind::kRequire, RuleKind::kPath}) {
    if (kind->items[1].text == RuleKindName(k)) {
      r->kind = k;
      found = true;
    }
  }
  if (!found) return Bad("unknown rule kind");
  if (!FormStr(s.Find("layout"), &r->layout)) return Bad("missing layout");
  if (!FormStr(s.Find("var"), &r->var)) return Bad("missing var");
  auto one = [&](const char* tag, ExprPtr* out) -> Status {
    const SExpr* f = s.Find(tag);
    if (f == nullptr) return Status::Ok();
    if (f->items.size() != 2) return Bad(std::string("malformed ") + tag);
    return DecodeExpr(f->items[1], out);
  };
  Status st = one("where", &r->where);
  if (!st.ok()) return st;
  if (const SExpr* keys = s.Find("keys")) {
    for (size_t i = 1; i < keys->items.size(); ++i) {
      const SExpr& k = keys->items[i];
      if (!k.IsForm("key") || k.items.size() != 3 || k.items[1].kind != SExpr::Kind::kString) return Bad("malformed key");
      Key key;
      key.name = k.items[1].text;
      st = DecodeExpr(k.items[2], &key.expr);
      if (!st.ok()) return st;
      r->keys.push_back(std::move(key));
    }
  }
  if (const SExpr* w = s.Find("window")) {
    int64_t d;
    if (w->items.size() < 2 || !AtomInt(w->items[1], &d) || d <= 0) return Bad("malformed window");
    r->has_window = true;
    r->window.duration_us = d;
    if (const SExpr* a = w->Find("anchor")) {
      if (a->items.size() != 2) return Bad("malformed anchor");
      st = DecodeExpr(a->items[1], &r->window.anchor);
      if (!st.ok()) return st;
    }
  }
  if (r->kind == RuleKind::kPath) {
    st = DecodePath(s.Find("path"), &r->path);
    if (!st.ok()) return st;
  }
  if (const SExpr* aggs = s.Find("aggs")) {
    for (size_t i = 1; i < aggs->items.size(); ++i) {
      const SExpr& g = aggs->items[i];
      if (!g.IsForm("agg") || g.items.size() < 4 || g.items[2].kind != SExpr::Kind::kString ||
          g.items[3].kind != SExpr::Kind::kString) {
        return Bad("malformed aggregate");
      }
      Agg a;
      bool ok = false;
      for (AggKind k : {AggKind::kSum, AggKind::kCount, AggKind::kCountDistinct, AggKind::kMin, AggKind::kMax}) {
        if (g.items[1].text == AggKindName(k)) {
          a.kind = k;
          ok = true;
        }
      }
      if (!ok || !ParseType(g.items[2].text, &a.type)) return Bad("bad aggregate kind or type");
      a.text = g.items[3].text;
      if (const SExpr* arg = g.Find("arg")) {
        if (arg->items.size() != 2) return Bad("malformed aggregate argument");
        st = DecodeExpr(arg->items[1], &a.arg);
        if (!st.ok()) return st;
      }
      if (const SExpr* f = g.Find("filter")) {
        if (f->items.size() != 2) return Bad("malformed aggregate filter");
        st = DecodeExpr(f->items[1], &a.filter);
        if (!st.ok()) return st;
      }
      r->aggs.push_back(std::move(a));
    }
  }
  st = one("when", &r->when);
  if (!st.ok()) return st;
  if (const SExpr* u = s.Find("unless")) {
    for (size_t i = 1; i < u->items.size(); ++i) {
      ExprPtr x;
      st = DecodeExpr(u->items[i], &x);
      if (!st.ok()) return st;
      r->unless.push_back(std::move(x));
    }
  }
  if (!FormStrings(s.Find("exempted_by"), &r->exempted_by) || !FormStrings(s.Find("applies_to"), &r->applies_to) ||
      !FormStrings(s.Find("overrides"), &r->overrides)) {
    return Bad("malformed rule references");
  }
  const SExpr* verdicts = s.Find("verdicts");
  if (verdicts == nullptr) return Bad("missing verdicts");
  for (size_t i = 1; i < verdicts->items.size(); ++i) {
    const SExpr& v = verdicts->items[i];
    int64_t within;
    if (!v.is_list() || v.items.size() != 6 || v.items[1].kind != SExpr::Kind::kString ||
        v.items[2].kind != SExpr::Kind::kString || !AtomInt(v.items[3], &within) ||
        v.items[5].kind != SExpr::Kind::kString) {
      return Bad("malformed verdict");
    }
    Verdict out;
    bool ok = false;
    for (VerdictKind k : {VerdictKind::kReport, VerdictKind::kFlag, VerdictKind::kBlock, VerdictKind::kAllow,
                          VerdictKind::kClassify, VerdictKind::kError}) {
      if (v.items[0].text == VerdictKindName(k)) {
        out.kind = k;
        ok = true;
      }
    }
    if (!ok || within < -1 || within > 100000) return Bad("bad verdict");
    out.name = v.items[1].text;
    out.value = v.items[2].text;
    out.within = static_cast<int>(within);
    out.business = v.items[4].text == "business";
    out.calendar = v.items[5].text;
    r->verdicts.push_back(std::move(out));
  }
  if (const SExpr* d = s.Find("decision")) {
    if (!FormStr(d, &r->decision)) return Bad("malformed decision");
  }
  if (const SExpr* sup = s.Find("suppress")) {
    for (size_t i = 1; i < sup->items.size(); ++i) {
      const SExpr& x = sup->items[i];
      if (!x.IsForm("s") || x.items.size() != 5 || x.items[1].kind != SExpr::Kind::kString ||
          x.items[2].kind != SExpr::Kind::kString || x.items[3].kind != SExpr::Kind::kString) {
        return Bad("malformed suppression");
      }
      Suppression out;
      out.kind = x.items[1].text;
      out.other = x.items[2].text;
      out.reason = x.items[3].text;
      if (!DecodeLoc(&x.items[4], &out.loc)) return Bad("malformed suppression location");
      r->suppressions.push_back(std::move(out));
    }
  }
  return Status::Ok();
}

std::string EncodeTest(const Test& t) {
  SExpr s = SExpr::List({SExpr::Atom("test"), SExpr::Str(t.name), EncodeLoc(t.loc)});
  for (const TestRecord& g : t.given) {
    SExpr rec = SExpr::List({SExpr::Atom(g.is_list ? "given_list" : g.is_table ? "given_table" : "given"), SExpr::Str(g.target), EncodeLoc(g.loc)});
    for (const auto& [name, value] : g.fields) {
      rec.Add(SExpr::List({SExpr::Atom("f"), SExpr::Str(name), SExpr::Str(EncodeValue(value))}));
    }
    s.Add(std::move(rec));
  }
  for (const Expectation& e : t.expects) {
    const char* tag = e.kind == ExpectKind::kFires ? "expect" : e.kind == ExpectKind::kNotFires ? "expect_no" : "expect_rejected";
    SExpr x = SExpr::List({SExpr::Atom(tag), SExpr::Str(e.kind == ExpectKind::kRejected ? e.record : e.rule), EncodeLoc(e.loc)});
    SExpr key = SExpr::List({SExpr::Atom("key")});
    for (const Value& v : e.key_prefix) key.Add(SExpr::Str(EncodeValue(v)));
    x.Add(std::move(key));
    if (e.has_txns) {
      SExpr txns = SExpr::List({SExpr::Atom("txns")});
      for (const std::string& id : e.txns) txns.Add(SExpr::Str(id));
      x.Add(std::move(txns));
    }
    if (e.due != kNoDate) x.Add(SExpr::List({SExpr::Atom("due"), SExpr::Str(FormatDate(e.due))}));
    s.Add(std::move(x));
  }
  return PrintSExpr(s);
}

Status DecodeTest(const std::string& text, Test* t) {
  SExpr s;
  std::string err;
  if (!ParseSExpr(text, &s, &err)) return Status::Corruption("test IR: " + err);
  if (!s.IsForm("test") || s.items.size() < 3 || s.items[1].kind != SExpr::Kind::kString ||
      !DecodeLoc(&s.items[2], &t->loc)) {
    return Status::Corruption("test IR: malformed header");
  }
  t->name = s.items[1].text;
  for (size_t i = 3; i < s.items.size(); ++i) {
    const SExpr& x = s.items[i];
    if (!x.is_list() || x.items.size() < 3 || x.items[1].kind != SExpr::Kind::kString) {
      return Status::Corruption("test IR: malformed statement");
    }
    const std::string& head = x.items[0].text;
    if (head == "given" || head == "given_table" || head == "given_list") {
      TestRecord g;
      g.is_table = head == "given_table";
      g.is_list = head == "given_list";
      g.target = x.items[1].text;
      if (!DecodeLoc(&x.items[2], &g.loc)) return Status::Corruption("test IR: bad location");
      for (size_t j = 3; j < x.items.size(); ++j) {
        const SExpr& f = x.items[j];
        Value v;
        if (!f.IsForm("f") || f.items.size() != 3 || f.items[1].kind != SExpr::Kind::kString ||
            f.items[2].kind != SExpr::Kind::kString || !DecodeValue(f.items[2].text, &v)) {
          return Status::Corruption("test IR: malformed field");
        }
        g.fields.emplace_back(f.items[1].text, std::move(v));
      }
      t->given.push_back(std::move(g));
    } else if (head == "expect" || head == "expect_no" || head == "expect_rejected") {
      Expectation e;
      e.kind = head == "expect" ? ExpectKind::kFires : head == "expect_no" ? ExpectKind::kNotFires : ExpectKind::kRejected;
      (e.kind == ExpectKind::kRejected ? e.record : e.rule) = x.items[1].text;
      if (!DecodeLoc(&x.items[2], &e.loc)) return Status::Corruption("test IR: bad location");
      if (const SExpr* key = x.Find("key")) {
        for (size_t j = 1; j < key->items.size(); ++j) {
          Value v;
          if (key->items[j].kind != SExpr::Kind::kString || !DecodeValue(key->items[j].text, &v)) {
            return Status::Corruption("test IR: bad key value");
          }
          e.key_prefix.push_back(std::move(v));
        }
      }
      if (const SExpr* txns = x.Find("txns")) {
        e.has_txns = true;
        if (!FormStrings(txns, &e.txns)) return Status::Corruption("test IR: bad txns");
      }
      if (const SExpr* due = x.Find("due")) {
        if (due->items.size() != 2 || due->items[1].kind != SExpr::Kind::kString || !ParseDate(due->items[1].text, &e.due)) {
          return Status::Corruption("test IR: bad due date");
        }
      }
      t->expects.push_back(std::move(e));
    } else {
      return Status::Corruption("test IR: unknown statement '" + head + "'");
    }
  }
  return Status::Ok();
}

namespace {

enum class Level { kRow, kGroup, kPath };

struct CheckContext {
  const Program* program;
  const Layout* layout;
  const Rule* rule;
  Level level;
};

int Arity(Op op) {
  switch (op) {
    case Op::kConst:
    case Op::kColumn:
    case Op::kKey:
    case Op::kAgg: return 0;
    case Op::kCast:
    case Op::kNot:
    case Op::kNeg:
    case Op::kIsNull:
    case Op::kIsNotNull:
    case Op::kMoneyValue:
    case Op::kMoneyCurrency:
    case Op::kDay:
    case Op::kCurrencyClass:
    case Op::kLength:
    case Op::kWeekday:
    case Op::kAbs:
    case Op::kScreen: return 1;
    case Op::kIf: return 3;
    case Op::kAnd:
    case Op::kOr:
    case Op::kInTable:
    case Op::kLookup: return -1;  // one or more
    default: return 2;
  }
}

Status Check(const Expr& e, const CheckContext& c, int depth) {
  if (depth > kMaxSExprDepth) return Bad("expression too deep");
  if (e.type.is_error()) return Bad(fmt::format("'{}' has no type", OpName(e.op)));
  int arity = Arity(e.op);
  if ((arity >= 0 && static_cast<int>(e.kids.size()) != arity) || (arity < 0 && e.kids.empty())) {
    return Bad(fmt::format("'{}' has {} operands", OpName(e.op), e.kids.size()));
  }
  switch (e.op) {
    case Op::kConst:
      if (!e.value.null && e.value.kind != e.type.kind) return Bad("constant does not match its type");
      if (e.value.kind == TypeKind::kEnum &&
          (e.value.enum_id < 0 || e.value.enum_id >= static_cast<int>(c.program->enums.size()))) {
        return Bad("constant of unknown enum");
      }
      break;
    case Op::kColumn:
      if (c.level != Level::kRow) return Bad("column reference at group level");
      if (c.layout == nullptr || e.index < 0 || e.index >= static_cast<int>(c.layout->fields.size())) {
        return Bad("column index out of range");
      }
      if (c.layout->fields[e.index].type.kind != e.type.kind) return Bad("column type mismatch");
      break;
    case Op::kKey:
      if (c.level != Level::kGroup || e.index < 0 || e.index >= static_cast<int>(c.rule->keys.size())) {
        return Bad("key reference out of range");
      }
      break;
    case Op::kAgg:
      if (c.level == Level::kPath) {
        if (e.index < 0 || e.index >= kPathAttrCount) return Bad("path attribute out of range");
        break;
      }
      if (c.level != Level::kGroup || e.index < 0 || e.index >= static_cast<int>(c.rule->aggs.size())) {
        return Bad("aggregate reference out of range");
      }
      break;
    case Op::kInTable:
    case Op::kLookup:
    case Op::kConvert: {
      if (e.index < 0 || e.index >= static_cast<int>(c.program->tables.size())) return Bad("table index out of range");
      // The table must fit the reference: as many keys as given, the value column it names.
      // (Libraries built before tables were numbered in name order could point at another.)
      const TableDecl& t = c.program->tables[static_cast<size_t>(e.index)];
      const size_t keys = e.op == Op::kConvert ? 2 : e.kids.size();
      bool fits = t.keys.size() == keys;
      if (e.op == Op::kLookup) {
        fits = fits && std::any_of(t.values.begin(), t.values.end(), [&](const Field& f) { return f.name == e.name; });
      }
      if (e.op == Op::kConvert) fits = fits && t.values.size() == 1;
      if (!fits) return Bad(fmt::format("a reference to table {} that does not fit its columns (rebuild the library)", t.name));
      break;
    }
    case Op::kAnd:
    case Op::kOr:
    case Op::kNot:
      for (const ExprPtr& k : e.kids) {
        if (k->type.kind != TypeKind::kBool) return Bad("logical operator over a non-boolean");
      }
      break;
    default: break;
  }
  if (e.type.kind == TypeKind::kEnum && (e.type.ref < 0 || e.type.ref >= static_cast<int>(c.program->enums.size()))) {
    return Bad("unknown enum type");
  }
  for (const ExprPtr& k : e.kids) {
    Status st = Check(*k, c, depth + 1);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status CheckBool(const ExprPtr& e, const CheckContext& c, const char* what) {
  if (!e) return Status::Ok();
  if (e->type.kind != TypeKind::kBool) return Bad(std::string(what) + " is not boolean");
  return Check(*e, c, 0);
}

}  // namespace

Status ValidateRule(const Program& p, const Rule& r) {
  const Layout* layout = p.FindLayout(r.layout);
  if (layout == nullptr) return Bad("rule " + r.id + " uses unknown layout " + r.layout);
  CheckContext row{&p, layout, &r, Level::kRow};
  CheckContext group{&p, layout, &r, Level::kGroup};
  CheckContext path{&p, layout, &r, Level::kPath};
  bool is_path = r.kind == RuleKind::kPath;
  bool grouped = !is_path && (!r.keys.empty() || r.kind == RuleKind::kGroup || r.kind == RuleKind::kWindow);
  if (r.kind == RuleKind::kWindow && !r.has_window) return Bad("window rule without a window");
  if (is_path && (r.keys.size() != 4 || !r.aggs.empty() || r.has_window || !r.unless.empty() ||
                  !r.keys[kPathFrom].expr || !r.keys[kPathTo].expr || !r.keys[kPathAt].expr || !r.keys[kPathAmount].expr ||
                  !r.keys[kPathFrom].expr->type.is_textual() || r.keys[kPathTo].expr->type.kind != r.keys[kPathFrom].expr->type.kind ||
                  r.keys[kPathAt].expr->type.kind != TypeKind::kTimestamp || r.keys[kPathAmount].expr->type.kind != TypeKind::kMoney)) {
    return Bad("malformed path rule");
  }
  Status st = CheckBool(r.where, row, "where");
  if (st.ok()) st = CheckBool(r.when, is_path ? path : grouped ? group : row, "when");
  if (st.ok() && r.has_window) st = CheckBool(r.window.anchor, row, "anchor");
  for (const Key& k : r.keys) {
    if (st.ok()) st = k.expr ? Check(*k.expr, row, 0) : Bad("empty key");
  }
  for (const Agg& a : r.aggs) {
    if (st.ok() && a.arg) st = Check(*a.arg, row, 0);
    if (st.ok()) st = CheckBool(a.filter, row, "aggregate filter");
    if (st.ok() && !a.arg && a.kind != AggKind::kCount) st = Bad("aggregate without argument");
  }
  for (const ExprPtr& u : r.unless) {
    if (st.ok()) st = CheckBool(u, row, "unless");
  }
  if (!st.ok()) return Status::Corruption("rule " + r.id + ": " + st.message());
  return Status::Ok();
}

std::string ComputeRuleHash(const Program& p, const Rule& r) {
  Sha256 h;
  h.UpdateField(r.id);
  h.UpdateField(EncodeRuleBody(r));
  h.UpdateField(std::to_string(r.effective_from));
  h.UpdateField(std::to_string(r.effective_until));
  if (const Layout* l = p.FindLayout(r.layout)) {
    for (const Field& f : l->fields) {
      h.UpdateField(f.name);
      h.UpdateField(TypeToString(f.type));
      h.UpdateField(f.positive ? "+" : "");
    }
  }
  if (const RulesetInfo* rs = p.FindRuleset(r.ruleset)) h.UpdateField(rs->timezone);
  return h.FinishHex();
}

}  // namespace decree::ir
