#include "syntax/ast.h"

#include "decree/json.h"

namespace decree::ast {

const char* BinaryOpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kEq: return "=";
    case BinaryOp::kNe: return "!=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kLe: return "<=";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kGe: return ">=";
  }
  return "?";
}

SourceRange RangeOf(const Declaration& d) {
  return std::visit([](const auto& x) { return x.range; }, d);
}

namespace {

class Dumper {
 public:
  std::string out;

  void Str(const std::string& s) { AppendJsonString(&out, s); }
  void Open(const char* tag) {
    out += "(";
    out += tag;
  }
  void Close() { out += ")"; }
  void Sp() { out += " "; }
  void Id(const Ident& i) { Sp(); Str(i.name); }
  void OptId(const std::optional<Ident>& i) {
    Sp();
    if (i) Str(i->name); else out += "_";
  }
  void OptStr(const std::optional<std::string>& s) {
    Sp();
    if (s) Str(*s); else out += "_";
  }
  void OptClause(const std::optional<StringClause>& s) {
    Sp();
    if (s) Str(s->value); else out += "_";
  }
  void OptExpr(const ExprPtr& e) {
    Sp();
    if (e) E(*e); else out += "_";
  }

  void E(const Expr& e) {
    static const char* kNames[] = {"number", "percent", "string", "date", "timestamp", "bool", "null", "list",
                                   "name", "member", "call", "convert", "neg", "not", "binary", "and", "or",
                                   "in", "is_null", "set", "paren", "if", "error"};
    Open(kNames[static_cast<int>(e.kind)]);
    Sp();
    Str(e.text);
    if (!e.unit.empty()) {
      Sp();
      Str(e.unit);
    }
    if (e.kind == ExprKind::kBinary) {
      Sp();
      out += BinaryOpText(e.op);
    }
    if (e.negated) out += " negated";
    if (e.distinct) out += " distinct";
    for (const ExprPtr& a : e.args) {
      Sp();
      if (a) E(*a); else out += "_";
    }
    if (e.filter) {
      out += " where ";
      E(*e.filter);
    }
    Close();
  }

  void T(const TypeRef& t) {
    Open("type");
    switch (t.kind) {
      case TypeRef::Kind::kNamed:
        Id(t.name);
        for (const Ident& a : t.args) Id(a);
        break;
      case TypeRef::Kind::kEnum:
        out += " enum";
        for (const Ident& v : t.enum_values) Id(v);
        break;
      case TypeRef::Kind::kSet:
        out += " set ";
        T(*t.element);
        break;
    }
    if (t.optional) out += " ?";
    Close();
  }

  void F(const FieldDecl& f) {
    Open("field");
    Id(f.name);
    Sp();
    T(f.type);
    OptStr(f.column);
    if (f.positive) out += " positive";
    Close();
  }

  void Eff(const std::optional<Effective>& e) {
    Sp();
    if (!e) {
      out += "_";
      return;
    }
    Open("effective");
    Sp();
    Str(e->from);
    OptStr(e->until);
    Close();
  }

  void Fields(const std::vector<RecordField>& fields) {
    for (const RecordField& f : fields) {
      Sp();
      Open("f");
      Id(f.name);
      Sp();
      E(*f.value);
      Close();
    }
  }

  void For(const ForClause& f) {
    Sp();
    Open("for");
    Id(f.layout);
    Id(f.var);
    OptExpr(f.where);
    Close();
  }

  void V(const Verdict& v) {
    Sp();
    static const char* kKinds[] = {"report", "flag", "block", "allow", "classify"};
    Open(kKinds[static_cast<int>(v.kind)]);
    Id(v.name);
    Id(v.value);
    OptStr(v.message);
    OptStr(v.within);
    if (v.business) out += " business";
    Id(v.unit);
    OptId(v.calendar);
    Close();
  }

  void Tail(const std::vector<Ident>& overrides, const std::vector<Suppress>& sup) {
    for (const Ident& o : overrides) {
      Sp();
      Open("overrides");
      Id(o);
      Close();
    }
    for (const Suppress& s : sup) {
      Sp();
      Open("suppress");
      Id(s.kind);
      OptId(s.other);
      Sp();
      Str(s.reason);
      Close();
    }
  }

  void D(const Declaration& d) {
    std::visit([this](const auto& x) { Decl(x); }, d);
  }

  void Decl(const ImportDecl& d) {
    Open("import");
    out += d.is_path ? " path " : " module ";
    Str(d.target);
    Close();
  }
  void Decl(const LayoutDecl& d) {
    Open("layout");
    Id(d.name);
    OptId(d.format);
    OptClause(d.record);
    OptId(d.key_field);
    OptId(d.time_field);
    for (const FieldDecl& f : d.fields) {
      Sp();
      F(f);
    }
    Close();
  }
  void Decl(const TableDecl& d) {
    Open("table");
    Id(d.name);
    OptId(d.format);
    OptClause(d.data);
    for (const FieldDecl& f : d.keys) {
      out += " key ";
      F(f);
    }
    for (const FieldDecl& f : d.values) {
      out += " value ";
      F(f);
    }
    Close();
  }
  void Decl(const ConstDecl& d) {
    Open("const");
    Id(d.name);
    Sp();
    if (d.type) T(*d.type); else out += "_";
    OptExpr(d.value);
    if (d.record) {
      Sp();
      Open("record");
      Id(d.record->type);
      Fields(d.record->fields);
      Close();
    }
    Close();
  }
  void Decl(const LetDecl& d) {
    Open("let");
    Id(d.name);
    for (const auto& [n, l] : d.params) {
      Id(n);
      Id(l);
    }
    Sp();
    if (d.result) T(*d.result); else out += "_";
    OptExpr(d.body);
    Close();
  }
  void Decl(const FlowDecl& d) {
    Open("flow");
    Id(d.name);
    OptClause(d.citation);
    For(d.for_clause);
    OptExpr(d.from);
    OptExpr(d.to);
    OptExpr(d.at);
    OptExpr(d.amount);
    Close();
  }
  void Path(const PathClause& p) {
    out += " (path";
    Id(p.var);
    Id(p.flow);
    OptExpr(p.min_hops);
    OptExpr(p.max_hops);
    OptExpr(p.within);
    OptExpr(p.ratio_lo);
    OptExpr(p.ratio_hi);
    if (p.distinct) out += " distinct";
    if (p.maximal) out += " maximal";
    if (p.returns) out += " returns";
    Close();
  }
  void Decl(const RuleDecl& d) {
    Open("rule");
    Id(d.name);
    OptClause(d.citation);
    Eff(d.effective);
    if (d.path) {
      Path(*d.path);
    } else {
      For(d.for_clause);
    }
    for (const KeyExpr& k : d.per) {
      out += " (per ";
      E(*k.expr);
      OptId(k.alias);
      Close();
    }
    OptExpr(d.window);
    OptExpr(d.anchor);
    for (const ExprPtr& u : d.unless_before) {
      out += " (unless ";
      E(*u);
      Close();
    }
    OptExpr(d.when);
    for (const ExprPtr& u : d.unless_after) {
      out += " (unless ";
      E(*u);
      Close();
    }
    for (const Verdict& v : d.verdicts) V(v);
    OptExpr(d.require);
    OptClause(d.require_message);
    Tail(d.overrides, d.suppressions);
    Close();
  }
  void Decl(const ExemptDecl& d) {
    Open("exempt");
    Id(d.name);
    OptClause(d.citation);
    For(d.for_clause);
    for (const Ident& a : d.applies_to) Id(a);
    OptExpr(d.when);
    Tail(d.overrides, d.suppressions);
    Close();
  }
  void Decl(const DecideDecl& d) {
    Open("decide");
    Id(d.name);
    OptClause(d.citation);
    Eff(d.effective);
    For(d.for_clause);
    if (d.exhaustive) out += " exhaustive";
    for (const DecideCase& c : d.cases) {
      out += " (case";
      Id(c.name);
      OptExpr(c.when);
      for (const Verdict& v : c.verdicts) V(v);
      Close();
    }
    Tail(d.overrides, d.suppressions);
    Close();
  }
  void Decl(const TestDecl& d) {
    Open("test");
    Sp();
    Str(d.name.value);
    for (const TestStatement& s : d.statements) {
      // Indexed by TestStatement::Kind (kGiven, kGivenList, kExpect, kExpectNo, kExpectRejected).
      static const char* kKinds[] = {"given", "given_list", "expect", "expect_no", "expect_rejected"};
      static_assert(sizeof(kKinds) / sizeof(kKinds[0]) == static_cast<size_t>(TestStatement::Kind::kExpectRejected) + 1);
      Sp();
      Open(kKinds[static_cast<int>(s.kind)]);
      Id(s.target);
      Fields(s.fields);
      for (const ExprPtr& k : s.key) {
        Sp();
        E(*k);
      }
      if (s.has_txns) {
        out += " (txns";
        for (const StringClause& t : s.txns) {
          Sp();
          Str(t.value);
        }
        Close();
      }
      if (s.due) {
        out += " (due ";
        out += s.due->value;
        Close();
      }
      if (s.kind == TestStatement::Kind::kExpectRejected) {
        Sp();
        Str(s.rejected.value);
      }
      Close();
    }
    Close();
  }

  void M(const Module& m) {
    Open("module");
    if (m.header) {
      const Header& h = *m.header;
      out += h.is_module ? " (module" : " (ruleset";
      Id(h.name);
      OptClause(h.title);
      OptClause(h.source);
      OptClause(h.version);
      Eff(h.effective);
      OptClause(h.timezone);
      OptId(h.currency);
      Close();
    }
    for (const Declaration& d : m.decls) {
      out += "\n ";
      D(d);
    }
    for (const Comment& c : m.comments) {
      out += "\n (comment ";
      Str(c.text);
      Close();
    }
    Close();
  }
};

}  // namespace

std::string Dump(const Module& m) {
  Dumper d;
  d.M(m);
  return d.out;
}

std::string DumpExpr(const Expr& e) {
  Dumper d;
  d.E(e);
  return d.out;
}

}  // namespace decree::ast
