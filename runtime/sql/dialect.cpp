#include "sql/dialect.h"

#include <fmt/format.h>

#include <string_view>

namespace decree::sql {

namespace {

std::string Pow10(int n) { return fmt::format("1{}", std::string(static_cast<size_t>(std::max(n, 0)), '0')); }

// ClickHouse 18.16 and later: the CSV's text for booleans and timestamps (decree sql --ddl),
// Decimal128, -If aggregates.
class ClickHouse final : public Dialect {
 public:
  bool clickhouse() const override { return true; }
  std::string Str(const std::string& s) const override {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "'";
  }
  std::string Ident(const std::string& s) const override { return fmt::format("`{}`", s); }
  std::string Decimal(const std::string& text, int scale) const override { return fmt::format("toDecimal128('{}', {})", text, scale); }
  std::string ToDecimal(const std::string& e, int scale) const override { return fmt::format("toDecimal128({}, {})", e, scale); }
  std::string Date(const std::string& ymd) const override { return fmt::format("toDate('{}')", ymd); }
  std::string Bool(bool b) const override { return b ? "1" : "0"; }
  std::string OrFalse(const std::string& e) const override { return fmt::format("ifNull({}, 0)", e); }
  std::string BoolColumn(const std::string& col) const override { return fmt::format("({} = 'true')", col); }
  std::string Seconds(const std::string& col) const override { return fmt::format("toInt64(parseDateTimeBestEffort({}))", col); }
  std::string LocalDay(const std::string& col, const std::string& tz) const override {
    return fmt::format("toDate(parseDateTimeBestEffort({}), {})", col, Str(tz));
  }
  std::string LocalDayOfSeconds(const std::string& seconds, const std::string& tz) const override {
    return fmt::format("toDate(toDateTime({}), {})", seconds, Str(tz));
  }
  std::string LeftJoin() const override { return "ANY LEFT JOIN"; }
  std::string CountIf(const std::string& f) const override { return fmt::format("countIf({})", f); }
  std::string CountDistinctIf(const std::string& a, const std::string& f) const override { return fmt::format("uniqExactIf({}, {})", a, f); }
  std::string AggIf(const char* fn, const std::string& a, const std::string& f) const override {
    return fmt::format("if(countIf({0}) = 0, NULL, {1}If({2}, {0}))", f, fn, a);
  }
  // The quotient truncated to an integer, times the step, gives the value back (18.16 has no
  // Decimal modulo).
  std::string MultipleOf(const std::string& a, const std::string& b, int scale) const override {
    std::string av = ToDecimal(a, scale), bv = ToDecimal(b, scale);
    return fmt::format("if({1} = 0, NULL, toDecimal128({0} / {1}, 0) * {1} = {0})", av, bv);
  }
  // A Date converts to its day number.
  std::string DaysBetweenSeconds(const std::string& a, const std::string& b) const override {
    return fmt::format("((toInt64({}) - toInt64({})) * 86400)", a, b);
  }
  std::string Length(const std::string& s) const override { return fmt::format("lengthUTF8({})", s); }
  std::string Weekday(const std::string& date) const override { return fmt::format("toDayOfWeek({})", date); }
  std::string FullMatch(const std::string& s, const std::string& pattern) const override {
    return fmt::format("match({}, {})", s, Str("^(?:" + pattern + ")$"));
  }
  std::string KeyText(const std::vector<std::string>& keys) const override {
    std::vector<std::string> text;
    for (const std::string& k : keys) text.push_back(fmt::format("ifNull(toString({}), '')", k));
    return fmt::format("arrayStringConcat([{}], '|')", fmt::join(text, ", "));
  }
  std::string SortedIds(const std::string& id) const override { return fmt::format("arrayStringConcat(arraySort(groupArray({})), ',')", id); }
  std::string GroupBy(const std::vector<std::string>& keys) const override {
    return keys.empty() ? "tuple()" : fmt::format("{}", fmt::join(keys, ", "));
  }
};

// DuckDB (with ICU, for time zones): typed columns as `decree sql --dialect duckdb --ddl`
// prints them, FILTER clauses, exact DECIMAL(38, s) and HUGEINT arithmetic.
class DuckDb final : public Dialect {
 public:
  bool clickhouse() const override { return false; }
  std::string Str(const std::string& s) const override {
    std::string out = "'";
    for (char c : s) {
      if (c == '\'') out.push_back('\'');
      out.push_back(c);
    }
    return out + "'";
  }
  std::string Ident(const std::string& s) const override {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    return out + "\"";
  }
  std::string Decimal(const std::string& text, int scale) const override { return fmt::format("CAST('{}' AS DECIMAL(38, {}))", text, scale); }
  std::string ToDecimal(const std::string& e, int scale) const override { return fmt::format("CAST({} AS DECIMAL(38, {}))", e, scale); }
  std::string Date(const std::string& ymd) const override { return fmt::format("DATE '{}'", ymd); }
  std::string Bool(bool b) const override { return b ? "true" : "false"; }
  std::string OrFalse(const std::string& e) const override { return fmt::format("coalesce(CAST({} AS BOOLEAN), false)", e); }
  std::string BoolColumn(const std::string& col) const override { return col; }
  std::string Seconds(const std::string& col) const override { return fmt::format("CAST(epoch({}) AS BIGINT)", col); }
  std::string LocalDay(const std::string& col, const std::string& tz) const override {
    return fmt::format("CAST(timezone({}, {}) AS DATE)", Str(tz), col);
  }
  std::string LocalDayOfSeconds(const std::string& seconds, const std::string& tz) const override {
    return fmt::format("CAST(timezone({}, to_timestamp({})) AS DATE)", Str(tz), seconds);
  }
  std::string LeftJoin() const override { return "LEFT JOIN"; }
  std::string CountIf(const std::string& f) const override { return fmt::format("count(*) FILTER (WHERE {})", f); }
  std::string CountDistinctIf(const std::string& a, const std::string& f) const override {
    return fmt::format("count(DISTINCT {}) FILTER (WHERE {})", a, f);
  }
  std::string AggIf(const char* fn, const std::string& a, const std::string& f) const override {
    return fmt::format("{}({}) FILTER (WHERE {})", fn, a, f);
  }
  // Decimal division is a DOUBLE in DuckDB: the remainder of the two as integers of `scale`.
  std::string MultipleOf(const std::string& a, const std::string& b, int scale) const override {
    std::string av = fmt::format("CAST({} * {} AS HUGEINT)", ToDecimal(a, scale), Pow10(scale));
    std::string bv = fmt::format("CAST({} * {} AS HUGEINT)", ToDecimal(b, scale), Pow10(scale));
    return fmt::format("if({1} = 0, NULL, {0} % {1} = 0)", av, bv);
  }
  // DATE - DATE is a number of days.
  std::string DaysBetweenSeconds(const std::string& a, const std::string& b) const override {
    return fmt::format("(CAST(({}) - ({}) AS BIGINT) * 86400)", a, b);
  }
  std::string Length(const std::string& s) const override { return fmt::format("length({})", s); }
  std::string Weekday(const std::string& date) const override { return fmt::format("isodow({})", date); }
  std::string FullMatch(const std::string& s, const std::string& pattern) const override {
    return fmt::format("regexp_full_match({}, {})", s, Str(pattern));
  }
  std::string KeyText(const std::vector<std::string>& keys) const override {
    if (keys.empty()) return "''";
    std::vector<std::string> text;
    for (const std::string& k : keys) text.push_back(fmt::format("coalesce(CAST({} AS VARCHAR), '')", k));
    return fmt::format("concat_ws('|', {})", fmt::join(text, ", "));
  }
  std::string SortedIds(const std::string& id) const override { return fmt::format("string_agg({0}, ',' ORDER BY {0})", id); }
  std::string GroupBy(const std::vector<std::string>& keys) const override {
    return keys.empty() ? "'one group'" : fmt::format("{}", fmt::join(keys, ", "));
  }
};

}  // namespace

std::unique_ptr<Dialect> Dialect::For(SqlDialect d) {
  if (d == SqlDialect::kDuckDb) return std::make_unique<DuckDb>();
  return std::make_unique<ClickHouse>();
}

bool SafePattern(const std::string& p) {
  auto literal = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || std::string_view("-_:,/ @#%&=").find(c) != std::string_view::npos;
  };
  int depth = 0;
  bool atom = false;  // a quantifier needs something before it
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (literal(c)) {
      atom = true;
    } else if (c == '[') {
      // Items: a literal, or a range of two letters of one case or two digits, in order; one `-`
      // as itself, first or last.
      size_t j = i + 1;
      int dashes = 0;
      if (j < p.size() && p[j] == '^') ++j;
      size_t first = j;
      auto kind = [](char x) { return x >= '0' && x <= '9' ? 1 : x >= 'a' && x <= 'z' ? 2 : x >= 'A' && x <= 'Z' ? 3 : 0; };
      while (j < p.size() && p[j] != ']') {
        // Inside a class only letters, digits and - _ , / space: ICU reads `[:`, `&&`, `--` apart.
        if (!literal(p[j]) || std::string_view(":@#%&=").find(p[j]) != std::string_view::npos) return false;
        if (p[j] == '-' && (++dashes > 1 || (j != first && j + 1 < p.size() && p[j + 1] != ']'))) return false;
        if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
          if (kind(p[j]) == 0 || kind(p[j]) != kind(p[j + 2]) || p[j] > p[j + 2]) return false;
          j += 3;
        } else {
          ++j;
        }
      }
      if (j == p.size() || j == first) return false;
      i = j;
      atom = true;
    } else if (c == '(') {
      if (i + 1 < p.size() && p[i + 1] == '?') return false;
      ++depth;
      atom = false;
    } else if (c == ')') {
      if (--depth < 0) return false;
      atom = true;
    } else if (c == '|') {
      atom = false;
    } else if (c == '?' || c == '*' || c == '+') {
      if (!atom) return false;
      atom = false;
    } else if (c == '{') {
      // {n}, {n,}, {n,m}: n <= m <= 1000 (RE2's limit on a count).
      size_t j = i + 1;
      long n = -1, m = -1, *at = &n;
      for (; j < p.size() && p[j] != '}'; ++j) {
        if (p[j] == ',' && at == &n && n >= 0) {
          at = &m;
        } else if (p[j] >= '0' && p[j] <= '9') {
          *at = (*at < 0 ? 0 : *at) * 10 + (p[j] - '0');
          if (*at > 1000) return false;
        } else {
          return false;
        }
      }
      if (!atom || j == p.size() || n < 0 || (at == &m && m >= 0 && m < n)) return false;
      i = j;
      atom = false;
    } else {
      return false;
    }
  }
  return depth == 0;
}

}  // namespace decree::sql
