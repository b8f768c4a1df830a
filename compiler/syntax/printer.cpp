#include "syntax/printer.h"

#include <fmt/format.h>

#include "common/utf8.h"

namespace decree {

namespace {

constexpr size_t kLineWidth = 100;

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  return out + "\"";
}

void PrintExpr(const ast::Expr& e, std::string* out);

void PrintList(const std::vector<ast::ExprPtr>& v, const char* sep, std::string* out) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) *out += sep;
    PrintExpr(*v[i], out);
  }
}

void PrintExpr(const ast::Expr& e, std::string* out) {
  using K = ast::ExprKind;
  switch (e.kind) {
    case K::kNumber:
      *out += e.text;
      if (!e.unit.empty()) *out += " " + e.unit;
      return;
    case K::kPercent: *out += e.text + "%"; return;
    case K::kString: *out += Quote(e.text); return;
    case K::kDate:
    case K::kTimestamp:
    case K::kBool:
    case K::kName: *out += e.text; return;
    case K::kNull: *out += "null"; return;
    case K::kError: *out += "null"; return;
    case K::kList: *out += "list " + Quote(e.text); return;
    case K::kMember:
      PrintExpr(*e.args[0], out);
      *out += "." + e.text;
      return;
    case K::kCall: {
      *out += e.text + "(";
      if (e.distinct) *out += "distinct ";
      PrintList(e.args, ", ", out);
      if (e.filter) {
        *out += " where ";
        PrintExpr(*e.filter, out);
      }
      *out += ")";
      return;
    }
    case K::kConvert:
      PrintExpr(*e.args[0], out);
      *out += " in " + e.unit + " using " + e.text;
      if (e.args.size() > 1) {
        *out += " on ";
        PrintExpr(*e.args[1], out);
      }
      return;
    case K::kNeg:
      *out += "-";
      PrintExpr(*e.args[0], out);
      return;
    case K::kNot:
      *out += "not ";
      PrintExpr(*e.args[0], out);
      return;
    case K::kBinary:
      PrintExpr(*e.args[0], out);
      *out += fmt::format(" {} ", ast::BinaryOpText(e.op));
      PrintExpr(*e.args[1], out);
      return;
    case K::kAnd: PrintList(e.args, " and ", out); return;
    case K::kOr: PrintList(e.args, " or ", out); return;
    case K::kIn:
      PrintExpr(*e.args[0], out);
      *out += e.negated ? " not in " : " in ";
      PrintExpr(*e.args[1], out);
      return;
    case K::kIsNull:
      PrintExpr(*e.args[0], out);
      *out += e.negated ? " is not null" : " is null";
      return;
    case K::kSet:
      *out += "{";
      PrintList(e.args, ", ", out);
      *out += "}";
      return;
    case K::kParen:
      *out += "(";
      PrintExpr(*e.args[0], out);
      *out += ")";
      return;
    case K::kIf:
      *out += "if ";
      PrintExpr(*e.args[0], out);
      *out += " then ";
      PrintExpr(*e.args[1], out);
      *out += " else ";
      PrintExpr(*e.args[2], out);
      return;
  }
}

std::string TypeText(const ast::TypeRef& t) {
  std::string s;
  switch (t.kind) {
    case ast::TypeRef::Kind::kNamed:
      s = t.name.name;
      if (!t.args.empty()) {
        s += "(";
        for (size_t i = 0; i < t.args.size(); ++i) s += (i > 0 ? ", " : "") + t.args[i].name;
        s += ")";
      }
      break;
    case ast::TypeRef::Kind::kEnum:
      s = "enum { ";
      for (size_t i = 0; i < t.enum_values.size(); ++i) s += (i > 0 ? ", " : "") + t.enum_values[i].name;
      s += " }";
      break;
    case ast::TypeRef::Kind::kSet: return "set<" + TypeText(*t.element) + ">";
  }
  if (t.optional) s += "?";
  return s;
}

std::string FieldText(const ast::FieldDecl& f) {
  std::string s = f.name.name + ": " + TypeText(f.type);
  if (f.column) s += " column " + Quote(*f.column);
  if (f.positive) s += " positive";
  return s;
}

std::string EffectiveText(const ast::Effective& e) {
  std::string s = "effective " + e.from;
  if (e.until) s += " until " + *e.until;
  return s;
}

std::string VerdictText(const ast::Verdict& v) {
  switch (v.kind) {
    case ast::Verdict::Kind::kReport: {
      std::string s = "report " + v.name.name;
      if (v.within) {
        s += " within " + *v.within + (v.business ? " business " : " ") + v.unit.name;
        if (v.calendar) s += " calendar " + v.calendar->name;
      }
      return s;
    }
    case ast::Verdict::Kind::kFlag: return "flag " + v.name.name + (v.message ? " " + Quote(*v.message) : "");
    case ast::Verdict::Kind::kBlock: return "block";
    case ast::Verdict::Kind::kAllow: return "allow";
    case ast::Verdict::Kind::kClassify: return "classify " + v.name.name + " as " + v.value.name;
  }
  return "";
}

std::string VerdictsText(const std::vector<ast::Verdict>& vs) {
  std::string s;
  for (size_t i = 0; i < vs.size(); ++i) s += (i > 0 ? " and " : "") + VerdictText(vs[i]);
  return s;
}

std::string RecordText(const std::vector<ast::RecordField>& fields) {
  std::string s = "{ ";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) s += ", ";
    s += fields[i].name.name + ": " + FormatExpr(*fields[i].value);
  }
  return fields.empty() ? "{}" : s + " }";
}

class Printer {
 public:
  explicit Printer(const ast::Module& m) : m_(m) {}

  std::string Run() {
    if (m_.header) Header(*m_.header);
    const ast::Declaration* prev = nullptr;
    for (const ast::Declaration& d : m_.decls) {
      if (!out_.empty() && !(prev != nullptr && Compact(*prev) && prev->index() == d.index())) out_ += "\n";
      std::visit([this](const auto& x) { Decl(x); }, d);
      prev = &d;
    }
    // Comments after the last declaration.
    if (next_comment_ < m_.comments.size() && !out_.empty()) out_ += "\n";
    CommentsBefore(UINT32_MAX, "");
    return out_;
  }

 private:
  // Single-line declaration kinds are kept together without blank lines.
  static bool Compact(const ast::Declaration& d) {
    return std::holds_alternative<ast::ImportDecl>(d) || std::holds_alternative<ast::ConstDecl>(d) ||
           std::holds_alternative<ast::TableDecl>(d) || std::holds_alternative<ast::LetDecl>(d);
  }

  void CommentsBefore(uint32_t pos, const std::string& indent) {
    while (next_comment_ < m_.comments.size() && m_.comments[next_comment_].range.begin < pos) {
      out_ += indent + m_.comments[next_comment_].text + "\n";
      ++next_comment_;
    }
  }

  // Emits one output line for an item that spans `r` in the source: leading comments first,
  // then the text, then a trailing comment that sat on the item's last line.
  void Line(const SourceRange& r, const std::string& indent, const std::string& text) {
    if (r.valid()) CommentsBefore(r.begin, indent);
    out_ += indent + text;
    if (r.valid() && next_comment_ < m_.comments.size()) {
      const ast::Comment& c = m_.comments[next_comment_];
      if (c.range.line == r.end_line && c.range.begin >= r.end && c.text.rfind("//", 0) == 0) {
        out_ += "  " + c.text;
        ++next_comment_;
      }
    }
    out_ += "\n";
  }

  // A clause whose expression may be broken at a top-level `or` / `and` when too long.
  void ExprClause(const SourceRange& r, const std::string& indent, const std::string& keyword, const ast::Expr& e) {
    std::string one = keyword + " " + FormatExpr(e);
    if (CountCodePoints(indent + one) <= kLineWidth ||
        (e.kind != ast::ExprKind::kOr && e.kind != ast::ExprKind::kAnd)) {
      Line(r, indent, one);
      return;
    }
    const char* op = e.kind == ast::ExprKind::kOr ? "or " : "and ";
    CommentsBefore(r.begin, indent);
    out_ += indent + keyword + " " + FormatExpr(*e.args[0]) + "\n";
    for (size_t i = 1; i < e.args.size(); ++i) {
      std::string text = std::string(op) + FormatExpr(*e.args[i]);
      if (i + 1 < e.args.size()) {
        out_ += indent + "  " + text + "\n";
      } else {
        Line(SourceRange{r.file, r.end, r.end, r.end_line, r.end_col, r.end_line, r.end_col}, indent + "  ", text);
      }
    }
  }

  void Header(const ast::Header& h) {
    if (h.is_module) {
      Line(h.range, "", "module " + h.name.name);
      return;
    }
    Line(h.name.range, "", "ruleset " + h.name.name);
    if (h.title) Line(h.title->range, "  ", "title " + Quote(h.title->value));
    if (h.source) Line(h.source->range, "  ", "source " + Quote(h.source->value));
    if (h.version) Line(h.version->range, "  ", "version " + Quote(h.version->value));
    if (h.effective) Line(h.effective->range, "  ", EffectiveText(*h.effective));
    if (h.timezone) Line(h.timezone->range, "  ", "timezone " + Quote(h.timezone->value));
    if (h.currency) Line(h.currency->range, "  ", "currency " + h.currency->name);
  }

  void Decl(const ast::ImportDecl& d) {
    Line(d.range, "", "import " + (d.is_path ? Quote(d.target) : d.target));
  }

  void Decl(const ast::LayoutDecl& d) {
    std::string head = "layout " + d.name.name;
    if (d.format) head += " from " + d.format->name;
    if (d.record) head += " " + Quote(d.record->value);
    if (d.key_field) head += " key " + d.key_field->name;
    if (d.time_field) head += " time " + d.time_field->name;
    Line(d.name.range, "", head + " {");
    for (const ast::FieldDecl& f : d.fields) Line(f.range, "  ", FieldText(f));
    CommentsBefore(d.range.end, "  ");
    out_ += "}\n";
  }

  void Decl(const ast::TableDecl& d) {
    std::string s = "table " + d.name.name;
    if (d.format) s += " from " + d.format->name;
    if (d.data) s += " " + Quote(d.data->value);
    s += " key (";
    for (size_t i = 0; i < d.keys.size(); ++i) s += (i > 0 ? ", " : "") + FieldText(d.keys[i]);
    s += ")";
    if (!d.values.empty()) {
      s += " value ";
      for (size_t i = 0; i < d.values.size(); ++i) s += (i > 0 ? ", " : "") + FieldText(d.values[i]);
    }
    Line(d.range, "", s);
  }

  void Decl(const ast::ConstDecl& d) {
    std::string head = "const " + d.name.name;
    if (d.type) head += ": " + TypeText(*d.type);
    head += " = ";
    if (d.record) {
      std::string one = head + d.record->type.name + " " + RecordText(d.record->fields);
      if (CountCodePoints(one) <= kLineWidth) {
        Line(d.range, "", one);
        return;
      }
      Line(d.name.range, "", head + d.record->type.name + " {");
      for (size_t i = 0; i < d.record->fields.size(); ++i) {
        const ast::RecordField& f = d.record->fields[i];
        Line(f.range, "  ", f.name.name + ": " + FormatExpr(*f.value) + (i + 1 < d.record->fields.size() ? "," : ""));
      }
      CommentsBefore(d.range.end, "  ");
      out_ += "}\n";
      return;
    }
    Line(d.range, "", head + FormatExpr(*d.value));
  }

  void Decl(const ast::LetDecl& d) {
    std::string s = "let " + d.name.name + "(";
    for (size_t i = 0; i < d.params.size(); ++i) {
      s += (i > 0 ? ", " : "") + d.params[i].first.name + ": " + d.params[i].second.name;
    }
    s += ")";
    if (d.result) s += ": " + TypeText(*d.result);
    Line(d.range, "", s + " = " + FormatExpr(*d.body));
  }

  void For(const ast::ForClause& f) {
    std::string s = "for " + f.layout.name + " " + f.var.name;
    if (f.where) {
      ExprClause(f.range, "  ", s + " where", *f.where);
    } else {
      Line(f.range, "  ", s);
    }
  }

  void Tails(const std::vector<ast::Ident>& overrides, const std::vector<ast::Suppress>& suppressions) {
    if (!overrides.empty()) {
      std::string s = "overrides ";
      for (size_t i = 0; i < overrides.size(); ++i) s += (i > 0 ? ", " : "") + overrides[i].name;
      Line(overrides.front().range, "  ", s);
    }
    for (const ast::Suppress& s : suppressions) {
      std::string t = "suppress " + s.kind.name;
      if (s.other) t += " with " + s.other->name;
      Line(s.range, "  ", t + " because " + Quote(s.reason));
    }
  }

  void Decl(const ast::FlowDecl& d) {
    Line(d.name.range, "", "flow " + d.name.name + (d.citation ? " " + Quote(d.citation->value) : ""));
    For(d.for_clause);
    Line(SourceRange::Join(d.from->range, d.to->range), "  ", "from " + FormatExpr(*d.from) + " to " + FormatExpr(*d.to));
    Line(d.at->range, "  ", "at " + FormatExpr(*d.at));
    Line(d.amount->range, "  ", "amount " + FormatExpr(*d.amount));
    CommentsBefore(d.range.end, "  ");
  }

  void Path(const ast::PathClause& p) {
    Line(p.var.range, "  ", "for path " + p.var.name + " through " + p.flow.name);
    if (p.min_hops) Line(p.hops_range, "  ", "hops " + FormatExpr(*p.min_hops) + " to " + FormatExpr(*p.max_hops));
    if (p.within) Line(p.within->range, "  ", "hop within " + FormatExpr(*p.within));
    if (p.ratio_lo) Line(p.ratio_range, "  ", "hop amount " + FormatExpr(*p.ratio_lo) + " to " + FormatExpr(*p.ratio_hi));
    if (p.distinct) Line(p.distinct_range, "  ", "distinct accounts");
    if (p.maximal) Line(p.maximal_range, "  ", "maximal");
    if (p.returns) Line(p.returns_range, "  ", "returns to origin");
  }

  void Decl(const ast::RuleDecl& d) {
    Line(d.name.range, "", "rule " + d.name.name + (d.citation ? " " + Quote(d.citation->value) : ""));
    if (d.effective) Line(d.effective->range, "  ", EffectiveText(*d.effective));
    if (d.path) {
      Path(*d.path);
    } else {
      For(d.for_clause);
    }
    if (!d.per.empty()) {
      std::string s = "per ";
      for (size_t i = 0; i < d.per.size(); ++i) {
        s += (i > 0 ? ", " : "") + FormatExpr(*d.per[i].expr);
        if (d.per[i].alias) s += " as " + d.per[i].alias->name;
      }
      Line(d.per_range, "  ", s);
    }
    if (d.window) {
      std::string s = "over sliding " + FormatExpr(*d.window);
      if (d.anchor) s += " anchor " + FormatExpr(*d.anchor);
      Line(SourceRange::Join(d.window->range, d.anchor ? d.anchor->range : d.window->range), "  ", s);
    }
    for (const ast::ExprPtr& u : d.unless_before) ExprClause(u->range, "  ", "unless", *u);
    if (d.when) ExprClause(d.when->range, "  ", "when", *d.when);
    for (const ast::ExprPtr& u : d.unless_after) ExprClause(u->range, "  ", "unless", *u);
    if (d.require) {
      ExprClause(d.require->range, "  ", "require", *d.require);
      if (d.require_message) Line(d.require_message->range, "    ", "else error " + Quote(d.require_message->value));
    } else if (!d.verdicts.empty()) {
      Line(SourceRange::Join(d.verdicts.front().range, d.verdicts.back().range), "  ", "then " + VerdictsText(d.verdicts));
    }
    Tails(d.overrides, d.suppressions);
    CommentsBefore(d.range.end, "  ");
  }

  void Decl(const ast::ExemptDecl& d) {
    Line(d.name.range, "", "exempt " + d.name.name + (d.citation ? " " + Quote(d.citation->value) : ""));
    For(d.for_clause);
    if (!d.applies_to.empty()) {
      std::string s = "applies to ";
      for (size_t i = 0; i < d.applies_to.size(); ++i) s += (i > 0 ? ", " : "") + d.applies_to[i].name;
      Line(d.applies_to.front().range, "  ", s);
    }
    if (d.when) ExprClause(d.when->range, "  ", "when", *d.when);
    Tails(d.overrides, d.suppressions);
    CommentsBefore(d.range.end, "  ");
  }

  void Decl(const ast::DecideDecl& d) {
    Line(d.name.range, "", "decide " + d.name.name + (d.citation ? " " + Quote(d.citation->value) : ""));
    if (d.effective) Line(d.effective->range, "  ", EffectiveText(*d.effective));
    std::string f = "for " + d.for_clause.layout.name + " " + d.for_clause.var.name;
    if (d.for_clause.where) f += " where " + FormatExpr(*d.for_clause.where);
    Line(d.for_clause.range, "  ", f + (d.exhaustive ? " exhaustive {" : " {"));
    for (const ast::DecideCase& c : d.cases) {
      std::string s = "case " + c.name.name + ":";
      if (c.when) s += " when " + FormatExpr(*c.when);
      Line(c.range, "    ", s + " then " + VerdictsText(c.verdicts));
    }
    CommentsBefore(d.range.end, "    ");
    out_ += "  }\n";
    Tails(d.overrides, d.suppressions);
  }

  void Decl(const ast::TestDecl& d) {
    Line(d.name.range, "", "test " + Quote(d.name.value) + " {");
    for (const ast::TestStatement& s : d.statements) {
      switch (s.kind) {
        case ast::TestStatement::Kind::kGiven:
        case ast::TestStatement::Kind::kGivenList: {
          bool list = s.kind == ast::TestStatement::Kind::kGivenList;
          std::string head = "given " + (list ? "list " + Quote(s.list.value) : s.target.name);
          std::string one = head + (s.fields.empty() ? (list ? " {}" : "") : " " + RecordText(s.fields));
          if (CountCodePoints("  " + one) <= kLineWidth) {
            Line(s.range, "  ", one);
            break;
          }
          Line(list ? s.list.range : s.target.range, "  ", head + " {");
          for (size_t i = 0; i < s.fields.size(); ++i) {
            const ast::RecordField& f = s.fields[i];
            Line(f.range, "    ", f.name.name + ": " + FormatExpr(*f.value) + (i + 1 < s.fields.size() ? "," : ""));
          }
          CommentsBefore(s.range.end, "    ");
          out_ += "  }\n";
          break;
        }
        case ast::TestStatement::Kind::kExpect:
        case ast::TestStatement::Kind::kExpectNo: {
          std::string t = s.kind == ast::TestStatement::Kind::kExpectNo ? "expect no " : "expect ";
          t += s.target.name;
          if (!s.key.empty()) {
            t += " for ";
            for (size_t i = 0; i < s.key.size(); ++i) t += (i > 0 ? ", " : "") + FormatExpr(*s.key[i]);
          }
          if (s.has_txns) {
            t += " txns [";
            for (size_t i = 0; i < s.txns.size(); ++i) t += (i > 0 ? ", " : "") + Quote(s.txns[i].value);
            t += "]";
          }
          if (s.due) t += " due " + s.due->value;
          Line(s.range, "  ", t);
          break;
        }
        case ast::TestStatement::Kind::kExpectRejected:
          Line(s.range, "  ", "expect rejected " + Quote(s.rejected.value));
          break;
      }
    }
    CommentsBefore(d.range.end, "  ");
    out_ += "}\n";
  }

  const ast::Module& m_;
  std::string out_;
  size_t next_comment_ = 0;
};

}  // namespace

std::string FormatExpr(const ast::Expr& e) {
  std::string out;
  PrintExpr(e, &out);
  return out;
}

std::string FormatModule(const ast::Module& m) {
  Printer p(m);
  return p.Run();
}

}  // namespace decree
