// import, layout, table, const and let declarations; types and record literals.
#include "syntax/transformer.h"

namespace decree {

ast::ImportDecl Transformer::Import(DecreeParser::ImportDeclContext* ctx) {
  ast::ImportDecl d;
  d.range = Range(ctx);
  if (ctx->STRING() != nullptr) {
    d.is_path = true;
    d.target = StringValue(ctx->STRING()->getSymbol());
  } else if (ctx->qualifiedName() != nullptr) {
    d.target = ctx->qualifiedName()->getText();
  }
  return d;
}

ast::TypeRef Transformer::Type(DecreeParser::TypeRefContext* ctx, antlr4::ParserRuleContext* parent) {
  ast::TypeRef t;
  t.range = Range(ctx != nullptr ? static_cast<antlr4::ParserRuleContext*>(ctx) : parent);
  if (auto* e = dynamic_cast<DecreeParser::EnumTypeContext*>(ctx)) {
    t.kind = ast::TypeRef::Kind::kEnum;
    for (auto* v : e->identifier()) t.enum_values.push_back(Ident(v, e));
    t.optional = e->optional != nullptr;
  } else if (auto* s = dynamic_cast<DecreeParser::SetTypeContext*>(ctx)) {
    t.kind = ast::TypeRef::Kind::kSet;
    t.element = std::make_unique<ast::TypeRef>(Type(s->typeRef(), s));
  } else if (auto* n = dynamic_cast<DecreeParser::NamedTypeContext*>(ctx)) {
    t.name = Ident(n->identifier(), n);
    for (auto* a : n->typeArg()) {
      t.args.push_back(a->identifier() != nullptr ? Ident(a->identifier(), a) : Ident(a->NUMBER()->getSymbol()));
    }
    t.optional = n->optional != nullptr;
  }
  return t;
}

ast::FieldDecl Transformer::Field(DecreeParser::FieldDeclContext* ctx) {
  ast::FieldDecl f;
  f.range = Range(ctx);
  f.name = Ident(ctx->identifier(), ctx);
  f.type = Type(ctx->typeRef(), ctx);
  for (auto* o : ctx->fieldOption()) {
    if (auto* c = dynamic_cast<DecreeParser::ColumnOptionContext*>(o)) {
      f.column = StringValue(c->STRING() ? c->STRING()->getSymbol() : nullptr);
      f.column_range = Range(c);
    } else if (dynamic_cast<DecreeParser::PositiveOptionContext*>(o) != nullptr) {
      f.positive = true;
    }
  }
  return f;
}

ast::LayoutDecl Transformer::Layout(DecreeParser::LayoutDeclContext* ctx) {
  ast::LayoutDecl d;
  d.range = Range(ctx);
  d.name = Ident(ctx->name, ctx);
  if (ctx->format != nullptr) d.format = Ident(ctx->format, ctx);
  if (ctx->record != nullptr) d.record = StringClause(ctx->record);
  for (auto* o : ctx->layoutOption()) {
    if (auto* k = dynamic_cast<DecreeParser::LayoutKeyOptionContext*>(o)) {
      d.key_field = Ident(k->identifier(), k);
    } else if (auto* t = dynamic_cast<DecreeParser::LayoutTimeOptionContext*>(o)) {
      d.time_field = Ident(t->identifier(), t);
    }
  }
  for (auto* f : ctx->fieldDecl()) d.fields.push_back(Field(f));
  return d;
}

ast::TableDecl Transformer::Table(DecreeParser::TableDeclContext* ctx) {
  ast::TableDecl d;
  d.range = Range(ctx);
  d.name = Ident(ctx->name, ctx);
  if (ctx->format != nullptr) d.format = Ident(ctx->format, ctx);
  if (ctx->data != nullptr) d.data = StringClause(ctx->data);
  // Fields before the RPAREN are keys, after VALUE are values.
  size_t rparen = ctx->RPAREN() != nullptr ? ctx->RPAREN()->getSymbol()->getTokenIndex() : SIZE_MAX;
  for (auto* f : ctx->fieldDecl()) {
    if (f->getStart()->getTokenIndex() < rparen) {
      d.keys.push_back(Field(f));
    } else {
      d.values.push_back(Field(f));
    }
  }
  return d;
}

ast::RecordField Transformer::RecordField(DecreeParser::RecordFieldContext* ctx) {
  ast::RecordField f;
  f.range = Range(ctx);
  f.name = Ident(ctx->identifier(), ctx);
  f.value = Expr(ctx->expr(), ctx);
  return f;
}

ast::RecordLiteral Transformer::Record(DecreeParser::RecordLiteralContext* ctx) {
  ast::RecordLiteral r;
  r.range = Range(ctx);
  r.type = Ident(ctx->identifier(), ctx);
  for (auto* f : ctx->recordField()) r.fields.push_back(RecordField(f));
  return r;
}

ast::ConstDecl Transformer::Const(DecreeParser::ConstDeclContext* ctx) {
  ast::ConstDecl d;
  d.range = Range(ctx);
  d.name = Ident(ctx->identifier(), ctx);
  if (ctx->typeRef() != nullptr) d.type = Type(ctx->typeRef(), ctx);
  if (ctx->recordLiteral() != nullptr) {
    d.record = Record(ctx->recordLiteral());
  } else {
    d.value = Expr(ctx->expr(), ctx);
  }
  return d;
}

ast::LetDecl Transformer::Let(DecreeParser::LetDeclContext* ctx) {
  ast::LetDecl d;
  d.range = Range(ctx);
  d.name = Ident(ctx->identifier(), ctx);
  for (auto* p : ctx->param()) d.params.emplace_back(Ident(p->name, p), Ident(p->type, p));
  if (ctx->typeRef() != nullptr) d.result = Type(ctx->typeRef(), ctx);
  d.body = Expr(ctx->expr(), ctx);
  return d;
}

}  // namespace decree
