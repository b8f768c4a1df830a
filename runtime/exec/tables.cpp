#include "exec/tables.h"

#include <fmt/format.h>

namespace decree::exec {

TableData::TableData(const ir::Program& program, int index)
    : program_(&program), decl_(&program.tables[index]), index_(index) {
  const ir::TableDecl& t = *decl_;
  if (t.keys.size() == 2 && t.values.size() == 1 && t.values[0].type.kind == ir::TypeKind::kRate) {
    for (int k = 0; k < 2; ++k) {
      if (t.keys[k].type.kind == ir::TypeKind::kDate) rate_date_ = k;
      if (t.keys[k].type.kind == ir::TypeKind::kCurrency) rate_currency_ = k;
    }
    if (rate_date_ >= 0 && rate_currency_ >= 0) {
      rate_value_ = 2;
      rate_scale_ = t.values[0].type.scale;
    }
  }
}

std::string TableData::KeyString(const std::vector<ir::Value>& key) {
  std::string s;
  for (const ir::Value& v : key) {
    ir::Value n = v;
    if (n.kind == ir::TypeKind::kId || n.kind == ir::TypeKind::kCountry) n.kind = ir::TypeKind::kText;
    std::string e = ir::EncodeValue(n);
    s += std::to_string(e.size()) + ":" + e;
  }
  return s;
}

Status TableData::AddRow(std::vector<ir::Value> row, const std::string& where) {
  std::vector<ir::Value> key(row.begin(), row.begin() + static_cast<long>(decl_->keys.size()));
  std::string k = KeyString(key);
  if (!by_key_.emplace(k, rows_.size()).second) {
    std::vector<std::string> shown;
    for (const ir::Value& v : key) shown.push_back(ir::ValueToDisplay(v, program_));
    return Status::InvalidArgument(fmt::format("{}: table {} has the key ({}) twice", where, decl_->name,
                                               fmt::join(shown, ", ")));
  }
  if (is_rates()) {
    const ir::Value& d = row[rate_date_];
    const ir::Value& c = row[rate_currency_];
    const ir::Value& r = row[rate_value_];
    if (!r.null) {
      i128 m = r.m;
      if (r.scale != rate_scale_) Rescale(m, r.scale, rate_scale_, &m);
      rates_[(static_cast<uint64_t>(static_cast<uint32_t>(d.i)) << 16) | static_cast<uint64_t>(c.i)] = m;
    }
  }
  rows_.push_back(std::move(row));
  return Status::Ok();
}

bool TableData::Lookup(const std::vector<ir::Value>& key, const std::string& column, ir::Value* out) const {
  auto it = by_key_.find(KeyString(key));
  if (it == by_key_.end()) return false;
  const std::vector<ir::Value>& row = rows_[it->second];
  if (column.empty()) {
    *out = ir::Value::Bool(true);
    return true;
  }
  for (size_t i = 0; i < decl_->values.size(); ++i) {
    if (decl_->values[i].name == column) {
      *out = row[decl_->keys.size() + i];
      if (out->kind == ir::TypeKind::kRate) out->kind = ir::TypeKind::kDecimal;
      return true;
    }
  }
  return false;
}

bool TableData::Rate(int32_t date, int currency, i128* rate) const {
  auto it = rates_.find((static_cast<uint64_t>(static_cast<uint32_t>(date)) << 16) | static_cast<uint64_t>(currency));
  if (it == rates_.end()) return false;
  *rate = it->second;
  return true;
}

TableData::CalendarDay TableData::Calendar(int32_t date) const {
  auto it = by_key_.find(KeyString({ir::Value::Date(date)}));
  if (it == by_key_.end()) return CalendarDay::kUnlisted;
  const std::vector<ir::Value>& row = rows_[it->second];
  if (row.size() > 1 && !row[1].null && row[1].i != 0) return CalendarDay::kWorking;
  return CalendarDay::kHoliday;
}

bool Tables::Lookup(int table, const std::vector<ir::Value>& key, const std::string& column, ir::Value* out) const {
  const TableData* t = Get(table);
  return t != nullptr && t->Lookup(key, column, out);
}

bool Tables::Screen(const std::string& list, const std::string& name, ir::Value* score, std::string* error) const {
  int slot = screening_ != nullptr ? screening_->Slot(list) : -1;
  if (slot < 0) return EvalContext::Screen(list, name, score, error);
  *score = ir::Value::Decimal(screening_->BestLocked(slot, name).score, 4);
  return true;
}

std::string Tables::ScreenMatch(const std::string& list, const std::string& name) const {
  int slot = screening_ != nullptr ? screening_->Slot(list) : -1;
  return slot < 0 ? std::string() : screening_->Describe(screening_->BestLocked(slot, name));
}

}  // namespace decree::exec
