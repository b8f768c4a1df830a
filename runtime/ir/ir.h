// The bound, typed intermediate representation of a rule library.
//
// The compiler (compiler/sema) produces a Program from Decree source; the library format
// (library_format.h) stores it in SQLite; the runtime loads it and evaluates it without the
// compiler.  The IR is relational on purpose: a rule is a filter (`where`), an optional group
// key (`per`) with an optional sliding window, aggregates over the group, and a guard (`when`)
// over keys and aggregates.  That is exactly what a SQL backend can lower later.
//
// Invariants (established by sema, checked by the loader):
//  - every Expr has a non-error type;
//  - row-level expressions (where, keys, aggregate arguments and filters, window anchors,
//    exemption conditions, row-rule guards) reference only kColumn, never kKey or kAgg;
//  - group-level expressions (the `when` of group and window rules) reference kKey and kAgg,
//    never kColumn;
//  - binary operators have operands of the same kind (sema inserts kCast where needed).
#pragma once

#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/types.h"
#include "ir/value.h"

namespace decree::ir {

inline constexpr int32_t kNoDate = INT32_MIN;  // an absent effective-from / until date

struct SourceLoc {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based, in code points
  int end_line = 0;
  int end_col = 0;
};

enum class Op : uint8_t {
  kConst,          // value
  kColumn,         // index = field ordinal in the rule's layout
  kKey,            // index = position in Rule::keys (group level)
  kAgg,            // index = position in Rule::aggs (group level)
  kCast,           // kids[0] converted to `type` (integer->decimal, decimal scale up, id->text)
  kNot,
  kAnd,            // n-ary, SQL three-valued logic
  kOr,             // n-ary
  kNeg,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kAdd, kSub, kMul, kMod,
  kIf,             // kids: condition, then, else
  kIn,             // kids: value, constant set
  kInTable,        // kids: key values; index = table
  kLookup,         // kids: key values; index = table; name = value column
  kIsNull,
  kIsNotNull,
  kMoneyValue,     // money -> decimal (drops the currency)
  kMoneyCurrency,  // money -> currency
  kConvert,        // kids: money, date; index = rate table; result currency = type.currency
  kDay,            // timestamp -> local date; name = IANA time zone
  kCurrencyClass,  // money -> text: the currency code if it is `name` (home), else "FX"
  kMultipleOf,     // kids: value, step -> bool (exact)
  kRatio,          // kids: numerator, denominator -> ratio
  kLength,         // text -> integer (code points)
  kMatches,        // kids: text, constant pattern (ICU regex) -> bool
  kWeekday,        // date -> integer, 1 = Monday .. 7 = Sunday
  kAbs,
  kScreen,         // kids: name; name = list id -> decimal(4) score in [0, 1]
};

const char* OpName(Op op);
// =, !=, <, <=, >, >=
bool IsComparison(Op op);
bool OpFromName(const std::string& name, Op* op);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  Op op = Op::kConst;
  Type type;
  int32_t index = -1;
  std::string name;
  Value value;
  std::vector<ExprPtr> kids;
  std::string text;  // the Decree source it stands for, kept on comparisons (for explanations)

  ExprPtr Clone() const;
};

ExprPtr MakeConst(Value v, Type t);

struct Field {
  std::string name;
  Type type;
  std::string column;           // input column bound by name
  std::string currency_column;  // money(<column>): where the currency code is read from
  bool positive = false;        // `positive`: a value <= 0 rejects the row
};

struct Layout {
  std::string name;    // qualified: <module>.<Name>
  std::string module;
  std::string format;  // "csv" or "xml" (the reader is chosen by the input, columns bound by name)
  std::string record;  // "xml": the element each record is (an XML input's fields are its
                       // children/attributes, or its ancestors'); empty otherwise
  std::vector<Field> fields;
  int id_field = -1;    // the record id (txn_id), listed in findings
  int time_field = -1;  // the event time: windows, days, rule effective dates
  SourceLoc loc;

  int FieldIndex(const std::string& n) const;
};

struct TableDecl {
  std::string name;  // qualified
  std::string module;
  std::string format;
  std::vector<Field> keys;
  std::vector<Field> values;  // empty: a set of keys (a holiday calendar, a list of codes)
  SourceLoc loc;
  // Rows shipped in the library (`table t from csv "file.csv" …`), read at compile time from
  // `data_file` (library path) whose bytes hash to `data_sha256`.  Empty data_file: the rows
  // come with each run (`--table`).
  std::string data_file, data_sha256;
  std::vector<std::vector<Value>> rows;  // key values then value columns, in declaration order
};

struct Constant {
  std::string name;  // qualified
  Type type;
  Value value;
};

enum class RuleKind : uint8_t {
  kRow,      // one finding per matching row
  kGroup,    // `per` keys: one finding per group whose `when` holds
  kWindow,   // `per` keys `over sliding W`: trailing windows anchored at rows
  kExempt,   // an exemption: rows matching `when` are removed from the rules it applies to
  kRequire,  // filing validation: a finding for each row (or group) where `when` is false
  kPath,     // fund flows: a finding per first hop of the paths through a flow (PathSpec)
};

const char* RuleKindName(RuleKind k);

enum class AggKind : uint8_t { kSum, kCount, kCountDistinct, kMin, kMax };

const char* AggKindName(AggKind k);

struct Agg {
  AggKind kind = AggKind::kCount;
  Type type;       // result type
  ExprPtr arg;     // row level; null for count(t)
  ExprPtr filter;  // row level; null when absent
  std::string text;
};

struct Key {
  std::string name;
  ExprPtr expr;  // row level
};

struct Window {
  int64_t duration_us = 0;
  ExprPtr anchor;  // row level; null: every row anchors
};

// A path rule's flow and constraints (RuleKind::kPath).  A hop is a record of the rule's layout
// that satisfies `where`; the rule's keys are the flow's fields, row level: kPathFrom (the
// paying account), kPathTo (the receiving one), kPathAt (timestamp), kPathAmount (money).  Hop
// a links to hop b when b.from = a.to, a.at < b.at <= a.at + within, and
// ratio_lo * a.amount <= b.amount <= ratio_hi * a.amount (exact).  A path is a sequence of
// linked hops; its accounts are the first hop's from and every hop's to.
struct PathSpec {
  std::string flow;        // the flow's qualified name
  int min_hops = 1, max_hops = 1;
  int64_t within_us = 0;   // > 0
  bool has_ratio = false;
  Value ratio_lo, ratio_hi;  // decimals
  bool distinct = false;   // no account twice (a cycle's closing account excepted)
  bool maximal = false;    // not a proper contiguous part of another path of <= max_hops
  bool cycle = false;      // the last hop's `to` is the first hop's `from`
};

inline constexpr int kMaxPathHops = 16;

enum PathKey : int { kPathFrom = 0, kPathTo = 1, kPathAt = 2, kPathAmount = 3 };
// What a path rule's `when` reads (Op::kAgg indices): hop count, the last hop's time minus the
// first's, the first and the last hop's amounts.
enum PathAttr : int { kPathHops = 0, kPathElapsed = 1, kPathFirstAmount = 2, kPathLastAmount = 3, kPathAttrCount = 4 };
const char* PathAttrName(int attr);

enum class VerdictKind : uint8_t { kReport, kFlag, kBlock, kAllow, kClassify, kError };

const char* VerdictKindName(VerdictKind k);

struct Verdict {
  VerdictKind kind = VerdictKind::kFlag;
  std::string name;      // report kind, flag kind, classification attribute
  std::string value;     // flag message, classification value, error message
  int within = -1;       // report: due within N days (-1: no due date)
  bool business = false; // ... business days
  std::string calendar;  // ... skipping the holidays in this table (qualified name)
};

struct Suppression {
  std::string kind;   // conflict, dead, redundant, shadowed, gap, overlap
  std::string other;  // the other rule's id, empty for any
  std::string reason;
  SourceLoc loc;
};

struct Rule {
  std::string id;       // <ruleset>.<name>, stable
  std::string name;
  std::string ruleset;
  int version = 0;      // 0, 1, ... when one id is declared for several effective periods
  std::string citation;
  SourceLoc loc;
  std::string source_text;
  RuleKind kind = RuleKind::kRow;
  std::string layout;   // qualified layout name
  std::string var;      // the row variable's name in the source (`t`)
  int32_t effective_from = kNoDate;  // inclusive local dates of the event time
  int32_t effective_until = kNoDate;
  ExprPtr where;
  std::vector<Key> keys;
  bool has_window = false;
  Window window;
  PathSpec path;        // kPath
  std::vector<Agg> aggs;
  ExprPtr when;         // row rules/exempt: row level; group/window rules: group level
  std::vector<ExprPtr> unless;  // row level
  std::vector<std::string> exempted_by;  // ids of kExempt rules that apply
  std::vector<std::string> applies_to;   // kExempt: ids of the rules it applies to
  std::vector<std::string> overrides;    // ids of rules this one overrides
  std::vector<Verdict> verdicts;
  std::string decision;  // id of the `decide` block this rule is a branch of
  std::vector<Suppression> suppressions;
  std::string hash;      // SHA-256 of the rule's meaning (see library_format.h)

  bool is_aggregate() const { return kind == RuleKind::kGroup || kind == RuleKind::kWindow ||
                                     (kind == RuleKind::kRequire && !keys.empty()); }
};

// Calls `f` on every expression node of `r` (where, when, anchor, keys, aggregate arguments
// and filters, unless), each root's nodes parents first.  `parent` is null at a root.
void ForEachExpr(const Rule& r, const std::function<void(const Expr& e, const Expr* parent)>& f);

struct Decision {
  std::string id;
  std::string name;
  std::string ruleset;
  std::string citation;
  std::string layout;
  bool exhaustive = false;
  std::vector<std::string> branches;  // rule ids in order
  SourceLoc loc;
};

struct RulesetInfo {
  std::string id;
  bool is_module = false;
  std::string title;
  std::string source;
  std::string version;
  int32_t effective_from = kNoDate;
  int32_t effective_until = kNoDate;
  std::string timezone;   // IANA id; "UTC" when not declared
  int home_currency = -1; // CurrencyId or -1
  std::string file;
};

struct TestRecord {
  std::string target;  // qualified layout or table name; the list id of a watch-list entry
  bool is_table = false;
  bool is_list = false;  // a watch-list entry: text fields named as watchlist.csv's columns
  std::vector<std::pair<std::string, Value>> fields;
  SourceLoc loc;
};

enum class ExpectKind : uint8_t { kFires, kNotFires, kRejected };

struct Expectation {
  ExpectKind kind = ExpectKind::kFires;
  std::string rule;              // rule id (kFires, kNotFires)
  std::vector<Value> key_prefix; // matched against the finding's key (row rules: the record id)
  bool has_txns = false;
  std::vector<std::string> txns; // exact txn_ids of the finding
  int32_t due = kNoDate;         // the finding's report due date, when given
  std::string record;            // kRejected: the record id expected to be rejected
  SourceLoc loc;
};

struct Test {
  std::string ruleset;
  std::string name;
  SourceLoc loc;
  std::vector<TestRecord> given;
  std::vector<Expectation> expects;
};

struct SourceFile {
  std::string path;
  std::string sha256;
  std::string text;
};

struct Program {
  std::vector<RulesetInfo> rulesets;  // rulesets and modules
  std::vector<EnumType> enums;
  std::vector<Layout> layouts;
  std::vector<TableDecl> tables;
  std::vector<Constant> constants;
  std::vector<Rule> rules;
  std::vector<Decision> decisions;
  std::vector<Test> tests;
  std::vector<SourceFile> sources;

  const Layout* FindLayout(const std::string& name) const;
  const TableDecl* FindTable(const std::string& name) const;
  int TableIndex(const std::string& name) const;
  const Rule* FindRule(const std::string& id) const;
  const RulesetInfo* FindRuleset(const std::string& id) const;
};

// The field of `layout` that every grouped rule over it (group, window, keyed require) has as
// a plain key (`per t.customer_id`): records with different values of it never share a group,
// so work can be split by it (the online engine's state, a cluster's sharding key).
// kNoGroupedRules when no rule over the layout groups, kNoSharedKey when they share none.
inline constexpr int kNoGroupedRules = -2, kNoSharedKey = -1;
int SharedKeyField(const Program& program, const std::string& layout);

}  // namespace decree::ir
