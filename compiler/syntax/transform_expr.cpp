// Expressions.  `and` / `or` chains are flattened into n-ary nodes (iteratively, so a long
// chain is not a deep tree); other nesting is bounded by kMaxNesting.
#include <fmt/format.h>

#include "syntax/parser.h"
#include "syntax/transformer.h"

namespace decree {

namespace {

struct DepthGuard {
  explicit DepthGuard(int* d) : d_(d) { ++*d_; }
  ~DepthGuard() { --*d_; }
  int* d_;
};

ast::BinaryOp OpFromToken(size_t type) {
  switch (type) {
    case DecreeParser::STAR: return ast::BinaryOp::kMul;
    case DecreeParser::SLASH: return ast::BinaryOp::kDiv;
    case DecreeParser::PLUS: return ast::BinaryOp::kAdd;
    case DecreeParser::MINUS: return ast::BinaryOp::kSub;
    case DecreeParser::EQ: return ast::BinaryOp::kEq;
    case DecreeParser::NE: return ast::BinaryOp::kNe;
    case DecreeParser::LT: return ast::BinaryOp::kLt;
    case DecreeParser::LE: return ast::BinaryOp::kLe;
    case DecreeParser::GT: return ast::BinaryOp::kGt;
    default: return ast::BinaryOp::kGe;
  }
}

}  // namespace

ast::ExprPtr Transformer::Placeholder(const SourceRange& r) {
  return std::make_unique<ast::Expr>(ast::ExprKind::kError, r);
}

ast::ExprPtr Transformer::Expr(DecreeParser::ExprContext* ctx, antlr4::ParserRuleContext* parent) {
  if (ctx == nullptr || ctx->getStart() == nullptr) return Placeholder(Range(parent));
  SourceRange range = Range(ctx);
  DepthGuard guard(&depth_);
  if (depth_ > kMaxNesting) {
    if (!depth_reported_) {
      diags_->Error("E0105", range, fmt::format("expression nested too deeply (more than {} levels)", kMaxNesting))
          .Help("split it with `let` helpers or named constants");
      depth_reported_ = true;
    }
    return Placeholder(range);
  }

  if (auto* p = dynamic_cast<DecreeParser::PrimaryExprContext*>(ctx)) {
    return p->primary() != nullptr ? Primary(p->primary()) : Placeholder(range);
  }

  // Flattened n-ary `and` / `or`: walk the left spine iteratively.
  if (dynamic_cast<DecreeParser::AndExprContext*>(ctx) != nullptr ||
      dynamic_cast<DecreeParser::OrExprContext*>(ctx) != nullptr) {
    bool is_and = dynamic_cast<DecreeParser::AndExprContext*>(ctx) != nullptr;
    std::vector<DecreeParser::ExprContext*> right_operands;
    DecreeParser::ExprContext* cur = ctx;
    for (;;) {
      auto operands = cur->children.size() == 3 ? std::vector<DecreeParser::ExprContext*>{
                                                      dynamic_cast<DecreeParser::ExprContext*>(cur->children[0]),
                                                      dynamic_cast<DecreeParser::ExprContext*>(cur->children[2])}
                                                : std::vector<DecreeParser::ExprContext*>{nullptr, nullptr};
      right_operands.push_back(operands[1]);
      DecreeParser::ExprContext* left = operands[0];
      bool same = left != nullptr && (is_and ? dynamic_cast<DecreeParser::AndExprContext*>(left) != nullptr
                                             : dynamic_cast<DecreeParser::OrExprContext*>(left) != nullptr);
      if (!same) {
        right_operands.push_back(left);
        break;
      }
      cur = left;
    }
    auto e = std::make_unique<ast::Expr>(is_and ? ast::ExprKind::kAnd : ast::ExprKind::kOr, range);
    for (auto it = right_operands.rbegin(); it != right_operands.rend(); ++it) e->args.push_back(Expr(*it, ctx));
    return e;
  }

  if (auto* m = dynamic_cast<DecreeParser::MemberExprContext*>(ctx)) {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::kMember, range);
    e->args.push_back(Expr(m->expr(), m));
    ast::Ident id = Ident(m->identifier(), m);
    e->text = id.name;
    e->unit_range = id.range;
    return e;
  }
  if (auto* c = dynamic_cast<DecreeParser::ConvertExprContext*>(ctx)) {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::kConvert, range);
    auto exprs = c->expr();
    e->args.push_back(Expr(exprs.empty() ? nullptr : exprs[0], c));
    if (c->currency != nullptr) {
      e->unit = c->currency->getText();
      e->unit_range = Range(c->currency);
    }
    e->text = c->table != nullptr ? c->table->getText() : std::string();
    if (c->on != nullptr) e->args.push_back(Expr(c->on, c));
    return e;
  }
  if (auto* n = dynamic_cast<DecreeParser::NegExprContext*>(ctx)) {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::kNeg, range);
    e->args.push_back(Expr(n->expr(), n));
    return e;
  }
  if (auto* n = dynamic_cast<DecreeParser::NotExprContext*>(ctx)) {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::kNot, range);
    e->args.push_back(Expr(n->expr(), n));
    return e;
  }
  auto binary = [&](DecreeParser::ExprContext* a, DecreeParser::ExprContext* b, antlr4::Token* op) {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::kBinary, range);
    e->op = OpFromToken(op != nullptr ? op->getType() : static_cast<size_t>(DecreeParser::EQ));
    e->args.push_back(Expr(a, ctx));
    e->args.push_back(Expr(b, ctx));
    return e;
  };
  if (auto* m = dynamic_cast<DecreeParser::MulExprContext*>(ctx)) return binary(m->expr(0), m->expr(1), m->op);
  if (auto* a = dynamic_cast<DecreeParser::AddExprContext*>(ctx)) return binary(a->expr(0), a->expr(1), a->op);
  if (auto* c = dynamic_cast<DecreeParser::CompareExprContext*>(ctx)) return binary(c->expr(0), c->expr(1), c->op);
  if (auto* i = dynamic_cast<DecreeParser::InExprContext*>(ctx)) {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::kIn, range);
    e->negated = i->NOT() != nullptr;
    e->args.push_back(Expr(i->expr(0), i));
    e->args.push_back(Expr(i->expr(1), i));
    return e;
  }
  if (auto* n = dynamic_cast<DecreeParser::IsNullExprContext*>(ctx)) {
    auto e = std::make_unique<ast::Expr>(ast::ExprKind::kIsNull, range);
    e->negated = n->NOT() != nullptr;
    e->args.push_back(Expr(n->expr(), n));
    return e;
  }
  return Placeholder(range);
}

ast::ExprPtr Transformer::Primary(DecreeParser::PrimaryContext* ctx) {
  SourceRange range = Range(ctx);
  auto make = [&](ast::ExprKind k) { return std::make_unique<ast::Expr>(k, range); };
  if (auto* n = dynamic_cast<DecreeParser::NumberLiteralContext*>(ctx)) {
    auto e = make(ast::ExprKind::kNumber);
    std::string digits = n->NUMBER() != nullptr ? n->NUMBER()->getText() : "0";
    for (char c : digits) {
      if (c != '_') e->text.push_back(c);
    }
    if (n->unit != nullptr) {
      e->unit = n->unit->getText();
      e->unit_range = Range(n->unit);
    }
    return e;
  }
  if (auto* p = dynamic_cast<DecreeParser::PercentLiteralContext*>(ctx)) {
    auto e = make(ast::ExprKind::kPercent);
    std::string t = p->PERCENT()->getText();
    e->text = t.substr(0, t.size() - 1);
    return e;
  }
  if (auto* s = dynamic_cast<DecreeParser::StringLiteralContext*>(ctx)) {
    auto e = make(ast::ExprKind::kString);
    e->text = StringValue(s->STRING() != nullptr ? s->STRING()->getSymbol() : nullptr);
    return e;
  }
  if (auto* d = dynamic_cast<DecreeParser::DateLiteralContext*>(ctx)) {
    auto e = make(ast::ExprKind::kDate);
    e->text = d->getText();
    return e;
  }
  if (auto* t = dynamic_cast<DecreeParser::TimestampLiteralContext*>(ctx)) {
    auto e = make(ast::ExprKind::kTimestamp);
    e->text = t->getText();
    return e;
  }
  if (auto* b = dynamic_cast<DecreeParser::BoolLiteralContext*>(ctx)) {
    auto e = make(ast::ExprKind::kBool);
    e->text = b->TRUE() != nullptr ? "true" : "false";
    return e;
  }
  if (dynamic_cast<DecreeParser::NullLiteralContext*>(ctx) != nullptr) return make(ast::ExprKind::kNull);
  if (auto* l = dynamic_cast<DecreeParser::ListLiteralContext*>(ctx)) {
    auto e = make(ast::ExprKind::kList);
    e->text = StringValue(l->STRING() != nullptr ? l->STRING()->getSymbol() : nullptr);
    return e;
  }
  if (auto* c = dynamic_cast<DecreeParser::CallExprContext*>(ctx)) {
    auto e = make(ast::ExprKind::kCall);
    ast::Ident fn = Ident(c->identifier(), c);
    e->text = fn.name;
    e->unit_range = fn.range;
    e->distinct = c->DISTINCT() != nullptr;
    for (auto* a : c->expr()) {
      if (a == c->filter) continue;
      e->args.push_back(Expr(a, c));
    }
    if (c->filter != nullptr) e->filter = Expr(c->filter, c);
    return e;
  }
  if (auto* n = dynamic_cast<DecreeParser::NameExprContext*>(ctx)) {
    auto e = make(ast::ExprKind::kName);
    e->text = n->getText();
    return e;
  }
  if (auto* s = dynamic_cast<DecreeParser::SetLiteralContext*>(ctx)) {
    auto e = make(ast::ExprKind::kSet);
    for (auto* a : s->expr()) e->args.push_back(Expr(a, s));
    return e;
  }
  if (auto* p = dynamic_cast<DecreeParser::ParenExprContext*>(ctx)) {
    auto e = make(ast::ExprKind::kParen);
    e->args.push_back(Expr(p->expr(), p));
    return e;
  }
  if (auto* i = dynamic_cast<DecreeParser::IfExprContext*>(ctx)) {
    auto e = make(ast::ExprKind::kIf);
    auto exprs = i->expr();
    for (size_t k = 0; k < 3; ++k) e->args.push_back(Expr(k < exprs.size() ? exprs[k] : nullptr, i));
    return e;
  }
  return Placeholder(range);
}

}  // namespace decree
