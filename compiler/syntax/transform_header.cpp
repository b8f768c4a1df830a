// ruleset / module headers and effective-date clauses.
#include "syntax/transformer.h"

namespace decree {

ast::Effective Transformer::Effective(DecreeParser::EffectiveContext* ctx) {
  ast::Effective e;
  e.range = Range(ctx);
  if (ctx->from != nullptr) {
    e.from = ctx->from->getText();
    e.from_range = Range(ctx->from);
  }
  if (ctx->until != nullptr) {
    e.until = ctx->until->getText();
    e.until_range = Range(ctx->until);
  }
  return e;
}

ast::Header Transformer::Header(DecreeParser::HeaderContext* ctx) {
  ast::Header h;
  h.range = Range(ctx);
  if (auto* m = dynamic_cast<DecreeParser::ModuleHeaderContext*>(ctx)) {
    h.is_module = true;
    if (m->qualifiedName() != nullptr) h.name = ast::Ident{m->qualifiedName()->getText(), Range(m->qualifiedName())};
    return h;
  }
  auto* r = dynamic_cast<DecreeParser::RulesetHeaderContext*>(ctx);
  if (r == nullptr) return h;
  if (r->qualifiedName() != nullptr) h.name = ast::Ident{r->qualifiedName()->getText(), Range(r->qualifiedName())};
  auto set_string = [&](std::optional<ast::StringClause>* slot, antlr4::tree::TerminalNode* s, DecreeParser::HeaderClauseContext* c) {
    if (slot->has_value()) {
      h.duplicate_clauses.push_back(Range(c));
      return;
    }
    *slot = StringClause(s);
  };
  for (DecreeParser::HeaderClauseContext* c : r->headerClause()) {
    if (auto* x = dynamic_cast<DecreeParser::TitleClauseContext*>(c)) {
      set_string(&h.title, x->STRING(), c);
    } else if (auto* x = dynamic_cast<DecreeParser::SourceClauseContext*>(c)) {
      set_string(&h.source, x->STRING(), c);
    } else if (auto* x = dynamic_cast<DecreeParser::VersionClauseContext*>(c)) {
      set_string(&h.version, x->STRING(), c);
    } else if (auto* x = dynamic_cast<DecreeParser::TimezoneClauseContext*>(c)) {
      set_string(&h.timezone, x->STRING(), c);
    } else if (auto* x = dynamic_cast<DecreeParser::EffectiveClauseContext*>(c)) {
      if (h.effective) {
        h.duplicate_clauses.push_back(Range(c));
      } else if (x->effective() != nullptr) {
        h.effective = Effective(x->effective());
      }
    } else if (auto* x = dynamic_cast<DecreeParser::CurrencyClauseContext*>(c)) {
      if (h.currency) {
        h.duplicate_clauses.push_back(Range(c));
      } else {
        h.currency = Ident(x->identifier(), x);
      }
    }
  }
  return h;
}

}  // namespace decree
