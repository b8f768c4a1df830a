// What differs between the engines rules are lowered to (decree/sql.h): quoting, literals,
// time, conditional aggregates and joins.  The lowering (sql/lower.cpp) writes one query shape
// and asks the dialect for each of these pieces; only sliding windows take a different shape
// per engine (arrays in ClickHouse 18.16, which has no window frames; a self-join in DuckDB).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "decree/sql.h"

namespace decree::sql {

class Dialect {
 public:
  virtual ~Dialect() = default;
  static std::unique_ptr<Dialect> For(SqlDialect d);

  virtual bool clickhouse() const = 0;
  virtual std::string Str(const std::string& s) const = 0;    // a string literal
  virtual std::string Ident(const std::string& s) const = 0;  // a quoted name
  // A decimal literal from its text; any expression as a decimal of `scale` digits.
  virtual std::string Decimal(const std::string& text, int scale) const = 0;
  virtual std::string ToDecimal(const std::string& e, int scale) const = 0;
  virtual std::string Date(const std::string& ymd) const = 0;
  virtual std::string Bool(bool b) const = 0;
  // `e`, null taken as false.
  virtual std::string OrFalse(const std::string& e) const = 0;
  // A boolean input column (ClickHouse keeps the CSV's text; DuckDB a BOOLEAN).
  virtual std::string BoolColumn(const std::string& col) const = 0;
  // A timestamp input or table column as whole seconds since the epoch.
  virtual std::string Seconds(const std::string& col) const = 0;
  // The local date, in time zone `tz`, of a timestamp column / of seconds since the epoch.
  virtual std::string LocalDay(const std::string& col, const std::string& tz) const = 0;
  virtual std::string LocalDayOfSeconds(const std::string& seconds, const std::string& tz) const = 0;
  // A left join on keys that are unique in the joined table.
  virtual std::string LeftJoin() const = 0;
  // Conditional aggregates (`f` a filter expression).
  virtual std::string CountIf(const std::string& f) const = 0;
  virtual std::string CountDistinctIf(const std::string& a, const std::string& f) const = 0;
  // sum/min/max of `a` over the rows passing `f`; null when none does.
  virtual std::string AggIf(const char* fn, const std::string& a, const std::string& f) const = 0;
  // Whether `a` is a whole multiple of `b` (both exact at `scale`); null when b is 0.
  virtual std::string MultipleOf(const std::string& a, const std::string& b, int scale) const = 0;
  // date - date as a duration in seconds (whole days).
  virtual std::string DaysBetweenSeconds(const std::string& a, const std::string& b) const = 0;
  // Characters (code points) of a text; ISO weekday of a date (1 = Monday … 7 = Sunday).
  virtual std::string Length(const std::string& s) const = 0;
  virtual std::string Weekday(const std::string& date) const = 0;
  // Whether the whole of `s` matches `pattern` (one of SafePattern's).
  virtual std::string FullMatch(const std::string& s, const std::string& pattern) const = 0;
  // The finding's key text (the keys as text joined by '|', a null one empty as in
  // findings.jsonl; '' for none) and its txn_ids (the group's `id`s sorted, joined by ',').
  virtual std::string KeyText(const std::vector<std::string>& keys) const = 0;
  virtual std::string SortedIds(const std::string& id) const = 0;
  // The GROUP BY list for `keys` (none: one group, and no group over no rows).
  virtual std::string GroupBy(const std::vector<std::string>& keys) const = 0;
};

// Whether `pattern` lies in the subset of regular expressions on which ICU (natively) and RE2
// (ClickHouse, DuckDB) mean the same: ASCII letters, digits and - _ : , / space @ # % & =
// literally; [...] classes of letters, digits, _ , / space, ranges of digits or of letters of
// one case, and one `-` first or last (negated too); groups without (? flags; |; the
// quantifiers ? * + {n} {n,} {n,m} with counts up to 1000.  No escapes, no `.`, no anchors: \d or `.` differ
// (ICU's \d is any Unicode digit; RE2's is 0-9).
bool SafePattern(const std::string& pattern);

}  // namespace decree::sql
