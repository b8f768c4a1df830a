// Reference data supplied with a batch: tables (`--table usd_rate=rates.csv`) and watch lists
// (`--list sdn.csv`), loaded once, read by every worker.  Rates tables get a direct
// (date, currency) -> rate map for the hot path.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "decree/status.h"
#include "ir/eval.h"
#include "ir/ir.h"
#include "screen/rule_screening.h"

namespace decree::exec {

class TableData {
 public:
  TableData(const ir::Program& program, int index);
  // The rows the library ships for table `index`, or null when it ships none.
  static std::unique_ptr<TableData> Bundled(const ir::Program& program, int index);
  const ir::TableDecl& decl() const { return *decl_; }
  int index() const { return index_; }
  size_t rows() const { return rows_.size(); }

  // Adds a row: key values then value columns, in declaration order.  A duplicate key is an
  // error naming `where`.
  Status AddRow(std::vector<ir::Value> row, const std::string& where);
  bool Lookup(const std::vector<ir::Value>& key, const std::string& column, ir::Value* out) const;

  // Rates tables: the rate of `currency` on `date`, at rate_scale().
  bool is_rates() const { return rate_value_ >= 0; }
  bool Rate(int32_t date, int currency, i128* rate) const;
  int rate_scale() const { return rate_scale_; }

  // Holiday calendars: kHoliday for a listed date (or `working = false`), kWorking for a
  // listed date with `working = true`, kUnlisted otherwise.
  enum class CalendarDay { kUnlisted, kHoliday, kWorking };
  CalendarDay Calendar(int32_t date) const;
  // Whether a calendar lists any date of `year`: an annual notice covers its whole year, so a
  // year without a row is one the calendar does not know (Monday–Friday is then a guess).
  bool CoversYear(int year) const { return years_.count(year) > 0; }

 private:
  // A row's key as by_key_ holds it: each value encoded (ir::EncodeValue, ids and countries as
  // text), length-prefixed.
  static void AppendKey(const std::vector<ir::Value>& key, std::string* out);
  static std::string KeyString(const std::vector<ir::Value>& key);
  // Hashes std::string and std::string_view alike, so a key is looked up without a copy.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  const ir::Program* program_;
  const ir::TableDecl* decl_;
  int index_;
  std::vector<std::vector<ir::Value>> rows_;
  std::unordered_map<std::string, size_t, KeyHash, std::equal_to<>> by_key_;
  int rate_date_ = -1, rate_currency_ = -1, rate_value_ = -1, rate_scale_ = 0;
  int working_ = -1;     // calendars: the row index of `working: bool`, if declared
  std::set<int> years_;  // calendars: the years listed
  std::unordered_map<uint64_t, i128> rates_;
};

// Every loaded table of a run, by program table index, and its watch lists; also the scalar
// evaluator's view of them.
class Tables : public ir::EvalContext {
 public:
  // Starts with the rows the library ships (a working-day calendar); Set replaces a table.
  explicit Tables(const ir::Program& program);
  void Set(int index, std::unique_ptr<TableData> t) { by_index_[index] = std::move(t); }
  const TableData* Get(int index) const {
    return index >= 0 && index < static_cast<int>(by_index_.size()) ? by_index_[index].get() : nullptr;
  }
  bool Lookup(int table, const std::vector<ir::Value>& key, const std::string& column, ir::Value* out) const override;

  void SetScreening(std::unique_ptr<screen::RuleScreening> s) { screening_ = std::move(s); }
  const screen::RuleScreening* screening() const { return screening_.get(); }
  bool Screen(const std::string& list, const std::string& name, ir::Value* score, std::string* error) const override;
  std::string ScreenMatch(const std::string& list, const std::string& name) const override;

 private:
  const ir::Program* program_;
  std::vector<std::unique_ptr<TableData>> by_index_;
  std::unique_ptr<screen::RuleScreening> screening_;
};

}  // namespace decree::exec
