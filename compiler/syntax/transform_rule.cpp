// rule, exempt and decide declarations, their clauses and verdicts.
#include "syntax/transformer.h"

namespace decree {

ast::ForClause Transformer::For(DecreeParser::ForClauseContext* ctx, antlr4::ParserRuleContext* parent) {
  ast::ForClause f;
  if (ctx == nullptr) {
    f.range = Range(parent);
    f.layout.range = f.var.range = f.range;
    return f;
  }
  f.range = Range(ctx);
  f.layout = Ident(ctx->layout, ctx);
  f.var = Ident(ctx->var, ctx);
  if (ctx->WHERE() != nullptr) f.where = Expr(ctx->expr(), ctx);
  return f;
}

ast::Verdict Transformer::Verdict(DecreeParser::VerdictContext* ctx) {
  ast::Verdict v;
  v.range = Range(ctx);
  if (auto* r = dynamic_cast<DecreeParser::ReportVerdictContext*>(ctx)) {
    v.kind = ast::Verdict::Kind::kReport;
    auto ids = r->identifier();
    if (!ids.empty()) v.name = Ident(ids[0], r);
    if (r->WITHIN() != nullptr && r->NUMBER() != nullptr) {
      v.within = r->NUMBER()->getText();
      v.within_range = Range(r->NUMBER());
      v.business = r->BUSINESS() != nullptr;
      if (r->unit != nullptr) v.unit = Ident(r->unit, r);
      if (r->calendar != nullptr) v.calendar = Ident(r->calendar, r);
    }
  } else if (auto* f = dynamic_cast<DecreeParser::FlagVerdictContext*>(ctx)) {
    v.kind = ast::Verdict::Kind::kFlag;
    v.name = Ident(f->identifier(), f);
    if (f->message != nullptr) v.message = StringValue(f->message);
  } else if (dynamic_cast<DecreeParser::BlockVerdictContext*>(ctx) != nullptr) {
    v.kind = ast::Verdict::Kind::kBlock;
  } else if (dynamic_cast<DecreeParser::AllowVerdictContext*>(ctx) != nullptr) {
    v.kind = ast::Verdict::Kind::kAllow;
  } else if (auto* c = dynamic_cast<DecreeParser::ClassifyVerdictContext*>(ctx)) {
    v.kind = ast::Verdict::Kind::kClassify;
    v.name = Ident(c->attribute, c);
    v.value = Ident(c->value, c);
  }
  return v;
}

void Transformer::Tail(DecreeParser::RuleTailContext* ctx, std::vector<ast::Ident>* overrides,
                       std::vector<ast::Suppress>* suppressions) {
  if (auto* o = dynamic_cast<DecreeParser::OverridesTailContext*>(ctx)) {
    for (auto* r : o->ruleRef()) overrides->push_back(RuleRef(r));
  } else if (auto* s = dynamic_cast<DecreeParser::SuppressTailContext*>(ctx)) {
    ast::Suppress sup;
    sup.range = Range(s);
    sup.kind = Ident(s->kind, s);
    if (s->other != nullptr) sup.other = Ident(s->other, s);
    sup.reason = StringValue(s->reason);
    suppressions->push_back(std::move(sup));
  }
}

ast::RuleDecl Transformer::Rule(DecreeParser::RuleDeclContext* ctx) {
  ast::RuleDecl d;
  d.range = Range(ctx);
  d.name = Ident(ctx->identifier(), ctx);
  if (ctx->citation != nullptr) d.citation = StringClause(ctx->citation);
  if (ctx->effective() != nullptr) d.effective = Effective(ctx->effective());
  if (auto* path = ctx->pathClause()) {
    d.path = Path(path);
  } else {
    d.for_clause = For(ctx->forClause(), ctx);
  }
  if (auto* per = ctx->perClause()) {
    d.per_range = Range(per);
    for (auto* k : per->keyExpr()) {
      ast::KeyExpr key;
      key.expr = Expr(k->expr(), k);
      if (k->identifier() != nullptr) key.alias = Ident(k->identifier(), k);
      d.per.push_back(std::move(key));
    }
  }
  if (auto* w = ctx->windowClause()) {
    d.window = Expr(w->duration, w);
    if (w->anchor != nullptr) d.anchor = Expr(w->anchor, w);
  }
  if (auto* body = dynamic_cast<DecreeParser::VerdictBodyContext*>(ctx->ruleBody())) {
    auto* when = body->whenClause();
    size_t when_index = when != nullptr ? when->getStart()->getTokenIndex() : SIZE_MAX;
    for (auto* u : body->unlessClause()) {
      auto& list = u->getStart()->getTokenIndex() < when_index ? d.unless_before : d.unless_after;
      list.push_back(Expr(u->expr(), u));
    }
    if (when != nullptr) d.when = Expr(when->expr(), when);
    if (auto* then = body->thenClause()) {
      for (auto* v : then->verdict()) d.verdicts.push_back(Verdict(v));
    }
  } else if (auto* req = dynamic_cast<DecreeParser::RequireBodyContext*>(ctx->ruleBody())) {
    d.require = Expr(req->expr(), req);
    if (req->message != nullptr) d.require_message = StringClause(req->message);
  }
  for (auto* t : ctx->ruleTail()) Tail(t, &d.overrides, &d.suppressions);
  return d;
}

ast::FlowDecl Transformer::Flow(DecreeParser::FlowDeclContext* ctx) {
  ast::FlowDecl d;
  d.range = Range(ctx);
  d.name = Ident(ctx->name, ctx);
  if (ctx->citation != nullptr) d.citation = StringClause(ctx->citation);
  d.for_clause = For(ctx->forClause(), ctx);
  d.from = Expr(ctx->from, ctx);
  d.to = Expr(ctx->to, ctx);
  d.at = Expr(ctx->at, ctx);
  d.amount = Expr(ctx->amount, ctx);
  return d;
}

ast::PathClause Transformer::Path(DecreeParser::PathClauseContext* ctx) {
  ast::PathClause p;
  p.range = Range(ctx);
  p.var = Ident(ctx->var, ctx);
  p.flow = Ident(ctx->flow, ctx);
  for (auto* o : ctx->pathOption()) {
    if (auto* h = dynamic_cast<DecreeParser::HopsOptionContext*>(o)) {
      p.min_hops = Expr(h->min, h);
      p.max_hops = Expr(h->max, h);
      p.hops_range = Range(h);
    } else if (auto* w = dynamic_cast<DecreeParser::HopWithinOptionContext*>(o)) {
      p.within = Expr(w->expr(), w);
    } else if (auto* a = dynamic_cast<DecreeParser::HopAmountOptionContext*>(o)) {
      p.ratio_lo = Expr(a->lo, a);
      p.ratio_hi = Expr(a->hi, a);
      p.ratio_range = Range(a);
    } else if (dynamic_cast<DecreeParser::DistinctOptionContext*>(o) != nullptr) {
      p.distinct = true;
      p.distinct_range = Range(o);
    } else if (dynamic_cast<DecreeParser::MaximalOptionContext*>(o) != nullptr) {
      p.maximal = true;
      p.maximal_range = Range(o);
    } else if (dynamic_cast<DecreeParser::ReturnsOptionContext*>(o) != nullptr) {
      p.returns = true;
      p.returns_range = Range(o);
    }
  }
  return p;
}

ast::ExemptDecl Transformer::Exempt(DecreeParser::ExemptDeclContext* ctx) {
  ast::ExemptDecl d;
  d.range = Range(ctx);
  d.name = Ident(ctx->identifier(), ctx);
  for (auto* r : ctx->ruleRef()) d.applies_to.push_back(RuleRef(r));
  if (ctx->citation != nullptr) d.citation = StringClause(ctx->citation);
  d.for_clause = For(ctx->forClause(), ctx);
  d.when = Expr(ctx->expr(), ctx);
  for (auto* t : ctx->ruleTail()) Tail(t, &d.overrides, &d.suppressions);
  return d;
}

ast::DecideDecl Transformer::Decide(DecreeParser::DecideDeclContext* ctx) {
  ast::DecideDecl d;
  d.range = Range(ctx);
  d.name = Ident(ctx->identifier(), ctx);
  if (ctx->citation != nullptr) d.citation = StringClause(ctx->citation);
  if (ctx->effective() != nullptr) d.effective = Effective(ctx->effective());
  d.for_clause = For(ctx->forClause(), ctx);
  d.exhaustive = ctx->EXHAUSTIVE() != nullptr;
  for (auto* c : ctx->decideCase()) {
    ast::DecideCase dc;
    dc.range = Range(c);
    dc.name = Ident(c->identifier(), c);
    if (c->WHEN() != nullptr) dc.when = Expr(c->expr(), c);
    for (auto* v : c->verdict()) dc.verdicts.push_back(Verdict(v));
    d.cases.push_back(std::move(dc));
  }
  for (auto* t : ctx->ruleTail()) Tail(t, &d.overrides, &d.suppressions);
  return d;
}

}  // namespace decree
