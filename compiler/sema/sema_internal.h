// Sema's internal state, shared by sema*.cpp.  Not a public header.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "sema/sema.h"

namespace decree::sema {

// Per-file symbol tables.  Names are looked up in the file itself, then in its imports.
struct ModuleScope {
  const ast::Module* ast = nullptr;
  int file = -1;
  std::string id;  // the ruleset or module id; "" when the header is missing
  bool is_module = false;
  std::vector<int> imports;
  std::string timezone = "UTC";
  int home_currency = -1;
  int32_t effective_from = ir::kNoDate;
  int32_t effective_until = ir::kNoDate;

  std::map<std::string, int> layouts;  // -> Program::layouts
  std::map<std::string, int> tables;   // -> Program::tables
  std::map<std::string, const ast::ConstDecl*> consts;
  std::map<std::string, const ast::LetDecl*> lets;
  std::map<std::string, const ast::FlowDecl*> flows;
  // Rule-like declarations by name, for `overrides`, `applies to` and `expect`.
  std::map<std::string, std::vector<std::string>> rule_ids;  // name -> rule ids (decide cases too)
  int group = -1;             // the ruleset (index into Program::rulesets) the file belongs to
  std::vector<int> siblings;  // the files of that ruleset, this one included
};

struct ConstState {
  enum class Phase { kPending, kBusy, kDone, kFailed } phase = Phase::kPending;
  ir::Type type;
  ir::Value value;
  // A record constant (a test fixture): field values by name.
  bool is_record = false;
  std::string record_target;
  bool record_is_table = false;
  std::vector<std::pair<std::string, ir::Value>> fields;
  // `const PUBLIC = {government, bank}`: a set of enum values, typed where it is used (with the
  // enum of the field it is compared with).
  bool enum_names = false;
  std::vector<ast::Ident> names;
};

enum class Level { kConst, kRow, kGroup, kPath };

// What an expression can see.
struct Env {
  Level level = Level::kConst;
  int module = -1;         // where names are looked up
  int ruleset_module = -1; // whose time zone and home currency apply (the rule's file)
  int layout = -1;         // the row variable's layout (kRow, kGroup)
  std::string var;         // the row variable's name
  std::map<std::string, std::string> aliases;  // let parameters standing for the row variable
  ir::Rule* rule = nullptr;                    // kGroup: keys to refer to, aggregates to add
  // Currency facts: encoded money expression -> CurrencyId, established by guards.
  std::vector<std::pair<std::string, int>> facts;
  std::vector<std::string> let_stack;
  bool in_aggregate = false;
  // Group level: keys known to equal a constant where the expression being checked is
  // evaluated (earlier `and` operands, an `if` condition).  Aggregates created there read only
  // the rows with those key values: they are never needed for other groups.
  std::vector<std::pair<int, ir::Value>> key_guards;
  // kPath: the path variable and the types of its attributes (ir::PathAttr order).
  std::string path_var;
  std::vector<ir::Type> path_types;
};

class Sema {
 public:
  Sema(const SourceManager& sources, DiagnosticEngine* diags, ir::Program* program)
      : sources_(sources), diags_(diags), p_(program) {}

  void Run(const std::vector<SemaModule>& modules);
  // The phases of Run, in order.
  void Headers(const std::vector<SemaModule>& modules);
  void MergeRulesetFiles();
  void Declarations();
  // Numbers the tables and layouts in name order, as a library lists them.
  void SortTables();
  void RuleIds();
  void MergeRuleIds();
  void Rules();
  void Tests();
  void SetHeaderClauses(const ast::Header& h, ModuleScope* s, ir::RulesetInfo* info);

  // ---- sema.cpp: scopes and lookup
  const ast::ConstDecl* FindConst(int module, const std::string& name, int* owner);
  const ast::LetDecl* FindLet(int module, const std::string& name, int* owner);
  const ast::FlowDecl* FindFlow(int module, const std::string& name, int* owner);
  int FindLayout(int module, const std::string& name);
  int FindTable(int module, const std::string& name);
  std::string Qualify(int module, const std::string& name) const;
  std::string SourceText(const SourceRange& r) const;
  ir::SourceLoc Loc(const SourceRange& r) const;
  bool ParseDateLiteral(const std::string& text, const SourceRange& r, int32_t* out);
  int InternEnum(const std::vector<std::string>& values);
  int CurrencyClassEnum(int home);

  // ---- sema_types.cpp: types, layouts, tables
  bool ResolveType(int module, const ast::TypeRef& t, ir::Type* out, std::string* currency_column);
  void DeclareLayout(int module, const ast::LayoutDecl& d);
  void DeclareTable(int module, const ast::TableDecl& d);
  void LoadTableData(int module, const ast::StringClause& data, int index);
  std::string TypeName(const ir::Type& t) const;

  // ---- sema_expr.cpp: expressions
  ir::ExprPtr Check(const ast::Expr& e, Env& env, const ir::Type* hint);
  ir::ExprPtr CheckBool(const ast::Expr& e, Env& env, const char* what);
  // Constant folding of a const-level expression into a value.
  bool EvalConst(const ast::Expr& e, Env& env, const ir::Type* hint, ir::Value* out, ir::Type* type);
  ConstState* ResolveConst(int module, const std::string& name, const SourceRange& use);
  // Adds facts implied by a guard that holds (`m.currency = CNY`, `currency_class(m) = CNY`).
  void AddFacts(const ir::Expr& guard, Env* env);
  // Adds the key guards implied by a group-level guard that holds (`currency_class = FX`).
  void AddKeyGuards(const ir::Expr& guard, Env* env);

  // ---- sema_rule.cpp
  void CheckRule(int module, const ast::RuleDecl& d, int version);
  // A flow's `for` clause and fields into r (layout, var, where, the path keys) and its row
  // environment; false after reporting an error.
  bool ResolveFlow(int module, const ast::FlowDecl& f, ir::Rule* r, Env* row);
  // ---- sema_path.cpp: a path rule's flow fields and options into r (keys, PathSpec), and
  // its `when` over the path.  `row` is the flow's row environment.
  bool CheckPathRule(int module, const ast::RuleDecl& d, const Env& row, ir::Rule* r);
  bool CheckPath(int module, const ast::PathClause& path, ir::Rule* r);
  bool CheckFlowFields(const ast::FlowDecl& flow, Env& row, ir::Rule* r);
  ir::ExprPtr CheckPathGuard(int module, const ast::Expr& when, const ast::PathClause& path, const Env& row, const ir::Rule& r);
  void CheckExempt(int module, const ast::ExemptDecl& d);
  void CheckDecide(int module, const ast::DecideDecl& d, int version);
  void LinkRules();

  // ---- sema_test.cpp
  void CheckTest(int module, const ast::TestDecl& d);
  bool GivenListEntry(int module, const ast::TestStatement& s, ir::Test* t);
  bool RecordFields(int module, const ast::Ident& target, const std::vector<ast::RecordField>& fields,
                    const SourceRange& range, ConstState* out);
  // Checks `fields` against `decl` over `base` (a fixture's values; `what` names the record in
  // errors) and writes every declared field in declaration order to *out: given, from the base,
  // or null when optional.  A missing required field is an error with `missing_help`.
  bool FillRecord(int module, const std::string& what, const std::vector<ir::Field>& decl,
                  const std::vector<std::pair<std::string, ir::Value>>& base, const std::vector<ast::RecordField>& fields,
                  const SourceRange& range, const std::string& missing_help,
                  std::vector<std::pair<std::string, ir::Value>>* out);

  const SourceManager& sources_;
  DiagnosticEngine* diags_;
  ir::Program* p_;
  std::vector<ModuleScope> scopes_;
  std::map<std::string, ConstState> consts_;  // by qualified name
  // Pending links, resolved once every rule exists.
  struct PendingLink {
    int module;
    std::string rule_id;
    std::vector<ast::Ident> names;
  };
  std::vector<PendingLink> overrides_;
  std::vector<PendingLink> applies_;
  std::set<std::string> exempt_ids_with_explicit_scope_;
  std::map<const ast::FlowDecl*, bool> flow_ok_;  // checked once, before the rules using them
};

// Checks a group guard in which expressions written like one of `key_asts` stand for that key.
ir::ExprPtr CheckWithKeys(Sema& s, const ast::Expr& e, Env& env, const std::vector<const ast::Expr*>& key_asts,
                          const char* what);

}  // namespace decree::sema
