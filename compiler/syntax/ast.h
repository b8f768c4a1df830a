// The Decree abstract syntax tree: what the source says, before names are resolved and types
// checked.  Produced by the transformer (transform_*.cpp) from ANTLR's parse tree; consumed by
// sema (which produces the typed IR, runtime/ir/ir.h) and by the formatter (printer.h).
//
// Every node carries its SourceRange.  The AST keeps what the formatter needs to reproduce the
// source (parentheses, comments, declaration order) and nothing ANTLR-specific.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "diag/source.h"

namespace decree::ast {

struct Ident {
  std::string name;
  SourceRange range;
};

// ------------------------------------------------------------------------------------------
// Expressions

enum class ExprKind {
  kNumber,     // 50000   50000 CNY   24 hours          text = digits, unit = "CNY" / "hours"
  kPercent,    // 80%                                  text = "80"
  kString,     // "第七条"                              text = decoded value
  kDate,       // 2026-03-01                           text
  kTimestamp,  // 2026-03-01T10:00:00+08:00            text
  kBool,       // true                                 text = "true" / "false"
  kNull,       // null
  kList,       // list "un-sc"                         text = list id
  kName,       // t   cash   MAX_AMOUNT                text = name
  kMember,     // t.amount                             args[0] = object, text = member
  kCall,       // sum(t.amount where t.x = y)          text = function, args, filter, distinct
  kConvert,    // t.amount in USD using usd_rate on d  args[0] = money, unit = "USD", text = table,
               //                                      args[1] = date (optional)
  kNeg,        // -x                                   args[0]
  kNot,        // not x                                args[0]
  kBinary,     // a + b   a >= b                       op, args[0], args[1]
  kAnd,        // a and b and c                        args (n-ary, flattened)
  kOr,         // a or b or c                          args (n-ary, flattened)
  kIn,         // a in S   a not in S                  args[0], args[1], negated
  kIsNull,     // a is null   a is not null            args[0], negated
  kSet,        // {"KP", "IR"}                         args
  kParen,      // (a)                                  args[0]
  kIf,         // if c then a else b                   args[0..2]
  kError,      // a placeholder where the parser recovered from an error (already reported)
};

enum class BinaryOp { kMul, kDiv, kAdd, kSub, kEq, kNe, kLt, kLe, kGt, kGe };

const char* BinaryOpText(BinaryOp op);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind;
  SourceRange range;
  std::string text;
  std::string unit;
  SourceRange unit_range;
  BinaryOp op = BinaryOp::kEq;
  bool negated = false;
  bool distinct = false;
  std::vector<ExprPtr> args;
  ExprPtr filter;

  Expr(ExprKind k, SourceRange r) : kind(k), range(r) {}
};

// ------------------------------------------------------------------------------------------
// Declarations

// `money(currency)`, `decimal(6)`, `enum { cash, transfer }`, `set<text>`, `text?`
struct TypeRef {
  SourceRange range;
  enum class Kind { kNamed, kEnum, kSet } kind = Kind::kNamed;
  Ident name;                       // kNamed
  std::vector<Ident> args;          // kNamed: `money(currency)`, `decimal(6)`
  std::vector<Ident> enum_values;   // kEnum
  std::unique_ptr<TypeRef> element; // kSet
  bool optional = false;
};

// `amount: money(currency) column "amt" positive`
struct FieldDecl {
  SourceRange range;
  Ident name;
  TypeRef type;
  std::optional<std::string> column;
  SourceRange column_range;
  bool positive = false;
};

// `effective 2017-07-01 until 2018-06-30`
struct Effective {
  SourceRange range;
  std::string from;
  SourceRange from_range;
  std::optional<std::string> until;
  SourceRange until_range;
};

struct StringClause {
  std::string value;
  SourceRange range;
};

// `ruleset cn.pboc.lvtr title "…" source "…" version "…" effective … timezone "…" currency CNY`
// or `module decree.canonical`.
struct Header {
  SourceRange range;
  bool is_module = false;
  Ident name;  // dotted, as written
  std::optional<StringClause> title, source, version, timezone;
  std::optional<Effective> effective;
  std::optional<Ident> currency;
  std::vector<SourceRange> duplicate_clauses;  // clauses given twice (an error in sema)
};

// `import decree.canonical` or `import "common/layouts.decree"`
struct ImportDecl {
  SourceRange range;
  bool is_path = false;
  std::string target;
};

// `layout Transaction from csv key txn_id time booked_at { … }`,
// `layout LvtrRecord from xml "transaction" key record_id { … }`
struct LayoutDecl {
  SourceRange range;
  Ident name;
  std::optional<Ident> format;
  std::optional<StringClause> record;  // `from xml "<element>"`: each such element is a record
  std::optional<Ident> key_field;
  std::optional<Ident> time_field;
  std::vector<FieldDecl> fields;
};

// `table usd_rate from csv key (date: date, currency: currency) value usd_per_unit: rate(USD)`
struct TableDecl {
  SourceRange range;
  Ident name;
  std::optional<Ident> format;
  std::optional<StringClause> data;  // `from csv "calendar.csv"`: rows shipped in the library
  std::vector<FieldDecl> keys;
  std::vector<FieldDecl> values;
};

struct RecordField {
  SourceRange range;
  Ident name;
  ExprPtr value;
};

// `Transaction { txn_id: "T1", amount: 50000.00 CNY }`
struct RecordLiteral {
  SourceRange range;
  Ident type;
  std::vector<RecordField> fields;
};

// `const LIMIT: money = 50000 CNY` or `const base = Transaction { … }`
struct ConstDecl {
  SourceRange range;
  Ident name;
  std::optional<TypeRef> type;
  ExprPtr value;
  std::optional<RecordLiteral> record;
};

// `let is_fx(t: Transaction) = t.amount.currency != CNY`
struct LetDecl {
  SourceRange range;
  Ident name;
  std::vector<std::pair<Ident, Ident>> params;  // (name, layout)
  std::optional<TypeRef> result;
  ExprPtr body;
};

// `for Transaction t where t.channel = cash`
struct ForClause {
  SourceRange range;
  Ident layout;
  Ident var;
  ExprPtr where;
};

// `t.customer_id`, `currency_class(t.amount) as class`
struct KeyExpr {
  ExprPtr expr;
  std::optional<Ident> alias;
};

// `report large_value within 5 business days calendar cn_holidays`, `flag suspicious "…"`,
// `block`, `allow`, `classify risk as high`
struct Verdict {
  SourceRange range;
  enum class Kind { kReport, kFlag, kBlock, kAllow, kClassify } kind = Kind::kFlag;
  Ident name;   // report kind, flag kind, classification attribute
  Ident value;  // classification value
  std::optional<std::string> message;
  std::optional<std::string> within;  // digits
  SourceRange within_range;
  bool business = false;
  Ident unit;  // "days"
  std::optional<Ident> calendar;
};

// `suppress redundant with other_rule because "…"`
struct Suppress {
  SourceRange range;
  Ident kind;
  std::optional<Ident> other;
  std::string reason;
};

// `flow transfers "…" for Transaction t where … from t.account_id to t.counterparty_account
//  at t.booked_at amount t.amount`: which records are hops of a fund flow and how they link.
struct FlowDecl {
  SourceRange range;
  Ident name;
  std::optional<StringClause> citation;
  ForClause for_clause;
  ExprPtr from, to, at, amount;
};

// `for path p through transfers hops 3 to 8 hop within 48 hours hop amount 80% to 100%
//  distinct accounts maximal` / `returns to origin`.  Options absent are unset.
struct PathClause {
  SourceRange range;
  Ident var;
  Ident flow;
  ExprPtr min_hops, max_hops;                     // integer constants
  SourceRange hops_range;
  ExprPtr within;                                 // a duration
  ExprPtr ratio_lo, ratio_hi;                     // each hop's amount over the previous one's
  SourceRange ratio_range;
  bool distinct = false, maximal = false, returns = false;
  SourceRange distinct_range, maximal_range, returns_range;
};

// rule <name> "<citation>" [effective …] (for … [per …] [over sliding … [anchor …]] | <path>)
//   [unless …] [when …] then <verdicts>   |   require <expr> [else error "…"]
//   [overrides a, b] [suppress …]
struct RuleDecl {
  SourceRange range;
  Ident name;
  std::optional<StringClause> citation;
  std::optional<Effective> effective;
  ForClause for_clause;
  std::optional<PathClause> path;  // a path rule (then for_clause is empty)
  std::vector<KeyExpr> per;
  SourceRange per_range;
  ExprPtr window;
  ExprPtr anchor;
  std::vector<ExprPtr> unless_before;  // unless clauses written before `when`
  ExprPtr when;
  std::vector<ExprPtr> unless_after;   // ... and after it
  std::vector<Verdict> verdicts;
  ExprPtr require;
  std::optional<StringClause> require_message;
  std::vector<Ident> overrides;
  std::vector<Suppress> suppressions;
};

// `exempt art7 "第七条" for Transaction t applies to cash, fx when …`
struct ExemptDecl {
  SourceRange range;
  Ident name;
  std::optional<StringClause> citation;
  ForClause for_clause;
  std::vector<Ident> applies_to;
  ExprPtr when;
  std::vector<Ident> overrides;
  std::vector<Suppress> suppressions;
};

// `case high: when t.amount >= 1000000 CNY then classify risk as high`
struct DecideCase {
  SourceRange range;
  Ident name;
  ExprPtr when;
  std::vector<Verdict> verdicts;
};

// `decide risk "…" for Transaction t exhaustive { case … }`
struct DecideDecl {
  SourceRange range;
  Ident name;
  std::optional<StringClause> citation;
  std::optional<Effective> effective;
  ForClause for_clause;
  bool exhaustive = false;
  std::vector<DecideCase> cases;
  std::vector<Ident> overrides;
  std::vector<Suppress> suppressions;
};

// `given Transaction { … }`, `given list "un-sc" { entry_id: "QDi.1", name: "…" }`,
// `expect cash for "C1" txns ["T1"]`, `expect no cash`, `expect rejected "T9"`
struct TestStatement {
  SourceRange range;
  enum class Kind { kGiven, kGivenList, kExpect, kExpectNo, kExpectRejected } kind = Kind::kGiven;
  Ident target;  // given: layout, table or const record; expect: rule
  StringClause list;  // given list: the list id
  std::vector<RecordField> fields;
  std::vector<ExprPtr> key;
  bool has_txns = false;
  std::vector<StringClause> txns;
  std::optional<StringClause> due;  // `due 2026-10-13`: the report's due date (text as written)
  StringClause rejected;
};

// `test "…" { … }`
struct TestDecl {
  SourceRange range;
  StringClause name;
  std::vector<TestStatement> statements;
};

using Declaration = std::variant<ImportDecl, LayoutDecl, TableDecl, ConstDecl, LetDecl, FlowDecl, RuleDecl,
                                 ExemptDecl, DecideDecl, TestDecl>;

SourceRange RangeOf(const Declaration& d);

struct Comment {
  SourceRange range;
  std::string text;  // as written, including the // or /* */
};

// One parsed file.
struct Module {
  int file = -1;
  std::optional<Header> header;
  std::vector<Declaration> decls;
  // poisoned[i]: decls[i] contains a syntax error; later passes skip it rather than report
  // what the parser's error recovery made of it.
  std::vector<bool> poisoned;
  std::vector<Comment> comments;  // in source order
};

// A canonical S-expression rendering without source ranges: two ASTs are equal exactly when
// their dumps are.  Used by tests ("fmt output re-parses to the same AST").
std::string Dump(const Module& m);
std::string DumpExpr(const Expr& e);

}  // namespace decree::ast
