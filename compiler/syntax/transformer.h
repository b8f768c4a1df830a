// Parse tree -> AST.  Internal to the parse stage: the only header outside the generated code
// that names ANTLR types.  One transform_<section>.cpp per grammar section.
#pragma once

#include <string>

#include "DecreeParser.h"
#include "diag/diagnostic.h"
#include "syntax/ast.h"

namespace decree {

using decree_gen::DecreeParser;

class Transformer {
 public:
  Transformer(const SourceFile& file, int file_id, DiagnosticEngine* diags)
      : file_(file), file_id_(file_id), diags_(diags) {}

  void Transform(DecreeParser::CompilationUnitContext* ctx, ast::Module* out);

 private:
  // Locations and leaves (transform.cpp).
  SourceRange Range(antlr4::Token* t) const;
  SourceRange Range(antlr4::tree::TerminalNode* n) const;
  SourceRange Range(antlr4::ParserRuleContext* ctx) const;
  ast::Ident Ident(DecreeParser::IdentifierContext* ctx, antlr4::ParserRuleContext* parent);
  ast::Ident Ident(antlr4::Token* t);
  // `name`, `decision.case` or a qualified rule id, as one name.
  ast::Ident RuleRef(DecreeParser::RuleRefContext* ctx);
  // Decodes a STRING token's escapes; reports E0110 for a bad escape, E0109 for a huge string.
  std::string StringValue(antlr4::Token* t);
  ast::StringClause StringClause(antlr4::Token* t);
  ast::StringClause StringClause(antlr4::tree::TerminalNode* n) { return StringClause(n ? n->getSymbol() : nullptr); }

  // transform_header.cpp
  ast::Header Header(DecreeParser::HeaderContext* ctx);
  ast::Effective Effective(DecreeParser::EffectiveContext* ctx);

  // transform_decl.cpp
  ast::ImportDecl Import(DecreeParser::ImportDeclContext* ctx);
  ast::LayoutDecl Layout(DecreeParser::LayoutDeclContext* ctx);
  ast::TableDecl Table(DecreeParser::TableDeclContext* ctx);
  ast::ConstDecl Const(DecreeParser::ConstDeclContext* ctx);
  ast::LetDecl Let(DecreeParser::LetDeclContext* ctx);
  ast::FieldDecl Field(DecreeParser::FieldDeclContext* ctx);
  ast::TypeRef Type(DecreeParser::TypeRefContext* ctx, antlr4::ParserRuleContext* parent);
  ast::RecordField RecordField(DecreeParser::RecordFieldContext* ctx);
  ast::RecordLiteral Record(DecreeParser::RecordLiteralContext* ctx);

  // transform_rule.cpp
  ast::RuleDecl Rule(DecreeParser::RuleDeclContext* ctx);
  ast::FlowDecl Flow(DecreeParser::FlowDeclContext* ctx);
  ast::PathClause Path(DecreeParser::PathClauseContext* ctx);
  ast::ExemptDecl Exempt(DecreeParser::ExemptDeclContext* ctx);
  ast::DecideDecl Decide(DecreeParser::DecideDeclContext* ctx);
  ast::ForClause For(DecreeParser::ForClauseContext* ctx, antlr4::ParserRuleContext* parent);
  ast::Verdict Verdict(DecreeParser::VerdictContext* ctx);
  void Tail(DecreeParser::RuleTailContext* ctx, std::vector<ast::Ident>* overrides,
            std::vector<ast::Suppress>* suppressions);

  // transform_test.cpp
  ast::TestDecl Test(DecreeParser::TestDeclContext* ctx);

  // transform_expr.cpp.  Never returns null: a missing or too-deep expression becomes a
  // placeholder (kNull) after its diagnostic.
  ast::ExprPtr Expr(DecreeParser::ExprContext* ctx, antlr4::ParserRuleContext* parent);
  ast::ExprPtr Primary(DecreeParser::PrimaryContext* ctx);
  ast::ExprPtr Placeholder(const SourceRange& r);

  const SourceFile& file_;
  int file_id_;
  DiagnosticEngine* diags_;
  int depth_ = 0;
  bool depth_reported_ = false;
};

}  // namespace decree
