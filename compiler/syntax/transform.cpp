// Locations, leaves and the top level of the parse-tree -> AST transformation.
#include <fmt/format.h>

#include "common/utf8.h"
#include "syntax/parser.h"
#include "syntax/transformer.h"

namespace decree {

SourceRange Transformer::Range(antlr4::Token* t) const {
  SourceRange r;
  r.file = file_id_;
  if (t == nullptr) return r;
  r.line = static_cast<int>(t->getLine());
  r.col = static_cast<int>(t->getCharPositionInLine()) + 1;
  r.begin = static_cast<uint32_t>(t->getStartIndex());
  if (t->getType() == antlr4::Token::EOF || t->getStopIndex() < t->getStartIndex()) {
    r.end = r.begin;
    r.end_line = r.line;
    r.end_col = r.col;
    return r;
  }
  r.end = static_cast<uint32_t>(t->getStopIndex() + 1);
  r.end_line = r.line;
  r.end_col = r.col + static_cast<int>(r.end - r.begin);
  return r;
}

SourceRange Transformer::Range(antlr4::tree::TerminalNode* n) const {
  return Range(n == nullptr ? nullptr : n->getSymbol());
}

SourceRange Transformer::Range(antlr4::ParserRuleContext* ctx) const {
  if (ctx == nullptr) return SourceRange();
  SourceRange r = Range(ctx->getStart());
  antlr4::Token* stop = ctx->getStop();
  if (stop != nullptr && ctx->getStart() != nullptr && stop->getTokenIndex() >= ctx->getStart()->getTokenIndex() &&
      stop->getType() != antlr4::Token::EOF) {
    r = SourceRange::Join(r, Range(stop));
  }
  return r;
}

ast::Ident Transformer::Ident(DecreeParser::IdentifierContext* ctx, antlr4::ParserRuleContext* parent) {
  ast::Ident id;
  if (ctx == nullptr) {
    id.range = Range(parent);
    return id;
  }
  id.name = ctx->getText();
  id.range = Range(ctx);
  return id;
}

ast::Ident Transformer::RuleRef(DecreeParser::RuleRefContext* ctx) {
  ast::Ident id;
  if (ctx == nullptr) return id;
  id.name = ctx->getText();
  id.range = Range(ctx);
  return id;
}

ast::Ident Transformer::Ident(antlr4::Token* t) {
  ast::Ident id;
  if (t == nullptr) return id;
  id.name = t->getText();
  id.range = Range(t);
  return id;
}

std::string Transformer::StringValue(antlr4::Token* t) {
  if (t == nullptr) return std::string();
  std::string raw = t->getText();
  if (raw.size() < 2) return std::string();
  if (raw.size() > kMaxStringBytes) {
    diags_->Error("E0109", Range(t), fmt::format("string literal too long: {} bytes (the limit is {})", raw.size(),
                                                 kMaxStringBytes));
    return std::string();
  }
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 1; i + 1 < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case '"': out.push_back('"'); break;
      case '\\': out.push_back('\\'); break;
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      default: {
        SourceRange r = Range(t);
        r.col += static_cast<int>(CountCodePoints(std::string_view(raw).substr(0, i - 1)));
        r.end_col = r.col + 2;
        r.end_line = r.line;
        diags_->Error("E0110", r, fmt::format("unknown escape `\\{}` in string", e))
            .Help("the escapes are \\\" \\\\ \\n \\t \\r");
        out.push_back(e);
      }
    }
  }
  return out;
}

ast::StringClause Transformer::StringClause(antlr4::Token* t) {
  return ast::StringClause{StringValue(t), Range(t)};
}

void Transformer::Transform(DecreeParser::CompilationUnitContext* ctx, ast::Module* out) {
  if (ctx == nullptr) return;
  if (ctx->header() != nullptr) out->header = Header(ctx->header());
  for (DecreeParser::DeclarationContext* d : ctx->declaration()) {
    if (auto* x = d->importDecl()) {
      out->decls.emplace_back(Import(x));
    } else if (auto* x = d->layoutDecl()) {
      out->decls.emplace_back(Layout(x));
    } else if (auto* x = d->tableDecl()) {
      out->decls.emplace_back(Table(x));
    } else if (auto* x = d->constDecl()) {
      out->decls.emplace_back(Const(x));
    } else if (auto* x = d->letDecl()) {
      out->decls.emplace_back(Let(x));
    } else if (auto* x = d->flowDecl()) {
      out->decls.emplace_back(Flow(x));
    } else if (auto* x = d->ruleDecl()) {
      out->decls.emplace_back(Rule(x));
    } else if (auto* x = d->exemptDecl()) {
      out->decls.emplace_back(Exempt(x));
    } else if (auto* x = d->decideDecl()) {
      out->decls.emplace_back(Decide(x));
    } else if (auto* x = d->testDecl()) {
      out->decls.emplace_back(Test(x));
    }
  }
}

}  // namespace decree
