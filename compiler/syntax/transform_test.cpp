// test blocks: given records and expectations.
#include "syntax/transformer.h"

namespace decree {

ast::TestDecl Transformer::Test(DecreeParser::TestDeclContext* ctx) {
  ast::TestDecl d;
  d.range = Range(ctx);
  d.name = StringClause(ctx->name);
  for (auto* s : ctx->testStatement()) {
    ast::TestStatement st;
    st.range = Range(s);
    if (auto* g = dynamic_cast<DecreeParser::GivenListStatementContext*>(s)) {
      st.kind = ast::TestStatement::Kind::kGivenList;
      st.list = StringClause(g->list);
      for (auto* f : g->recordField()) st.fields.push_back(RecordField(f));
    } else if (auto* g = dynamic_cast<DecreeParser::GivenStatementContext*>(s)) {
      st.kind = ast::TestStatement::Kind::kGiven;
      st.target = Ident(g->identifier(), g);
      for (auto* f : g->recordField()) st.fields.push_back(RecordField(f));
    } else if (auto* e = dynamic_cast<DecreeParser::ExpectStatementContext*>(s)) {
      st.kind = e->NO() != nullptr ? ast::TestStatement::Kind::kExpectNo : ast::TestStatement::Kind::kExpect;
      st.target = RuleRef(e->ruleRef());
      for (auto* k : e->expr()) st.key.push_back(Expr(k, e));
      if (e->TXNS() != nullptr) {
        st.has_txns = true;
        for (auto* t : e->STRING()) st.txns.push_back(StringClause(t));
      }
      if (e->due != nullptr) st.due = ast::StringClause{e->due->getText(), Range(e->due)};
    } else if (auto* r = dynamic_cast<DecreeParser::ExpectRejectedStatementContext*>(s)) {
      st.kind = ast::TestStatement::Kind::kExpectRejected;
      st.rejected = StringClause(r->STRING());
    } else {
      continue;
    }
    d.statements.push_back(std::move(st));
  }
  return d;
}

}  // namespace decree
