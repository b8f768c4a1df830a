#include "exec/tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "common/civil.h"
#include "exec/table_file.h"
#include "vector/vector.h"
#include "io/source.h"

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
  for (size_t v = 0; v < t.values.size(); ++v) {
    if (t.values[v].name == "working" && t.values[v].type.kind == ir::TypeKind::kBool) working_ = static_cast<int>(t.keys.size() + v);
  }
}

void TableData::AppendKey(const std::vector<ir::Value>& key, std::string* out) {
  for (const ir::Value& v : key) {
    // Ids and countries are keyed as text; a text value is written in place (the lookup on
    // every row), any other through EncodeValue.
    bool text = v.kind == ir::TypeKind::kId || v.kind == ir::TypeKind::kCountry || v.kind == ir::TypeKind::kText;
    if (text && !v.null) {
      constexpr std::string_view kText = "text:";
      char digits[24];
      auto [end, ec] = std::to_chars(digits, digits + sizeof digits, kText.size() + v.s.size());
      out->append(digits, end);
      out->push_back(':');
      out->append(kText);
      out->append(v.s);
      continue;
    }
    std::string e = ir::EncodeValue(v);
    *out += std::to_string(e.size()) + ":" + e;
  }
}

std::string TableData::KeyString(const std::vector<ir::Value>& key) {
  std::string s;
  AppendKey(key, &s);
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
  if (decl_->keys.size() == 1 && decl_->keys[0].type.kind == ir::TypeKind::kDate && !row[0].null) {
    int y;
    unsigned m, d;
    CivilFromDays(static_cast<int32_t>(row[0].i), &y, &m, &d);
    years_.insert(y);
  }
  rows_.push_back(std::move(row));
  return Status::Ok();
}

bool TableData::Lookup(const std::vector<ir::Value>& key, const std::string& column, ir::Value* out) const {
  thread_local std::string k;  // no allocation per row once grown
  k.clear();
  AppendKey(key, &k);
  auto it = by_key_.find(std::string_view(k));
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
  if (working_ >= 0 && !row[static_cast<size_t>(working_)].null && row[static_cast<size_t>(working_)].i != 0) return CalendarDay::kWorking;
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
  return slot < 0 ? std::string() : screening_->Describe(screening_->BestLocked(slot, name), name);
}

std::unique_ptr<TableData> TableData::Bundled(const ir::Program& program, int index) {
  const ir::TableDecl& t = program.tables[static_cast<size_t>(index)];
  if (t.data_file.empty()) return nullptr;
  auto data = std::make_unique<TableData>(program, index);
  for (const std::vector<ir::Value>& row : t.rows) {
    // The compiler checked the rows; a library's hash guards them since.
    if (!data->AddRow(row, t.data_file).ok()) return nullptr;
  }
  return data;
}

Tables::Tables(const ir::Program& program) : program_(&program), by_index_(program.tables.size()) {
  for (size_t t = 0; t < program.tables.size(); ++t) by_index_[t] = TableData::Bundled(program, static_cast<int>(t));
}

}  // namespace decree::exec

namespace decree {

Status ReadTableFile(const ir::Program& program, int index, const std::string& path, TableRows* out) {
  const ir::TableDecl& t = program.tables[static_cast<size_t>(index)];
  ir::Layout pseudo;
  pseudo.name = t.name;
  pseudo.fields = t.keys;
  pseudo.fields.insert(pseudo.fields.end(), t.values.begin(), t.values.end());
  InputSpec spec;
  spec.path = path;
  std::unique_ptr<io::RowSource> source;
  Status st = io::OpenSource(spec, program, pseudo, &source);
  if (!st.ok()) return Status::InvalidArgument(fmt::format("table {}: {}", t.name, st.message()));
  exec::TableData keys(program, index);  // duplicate keys are errors
  out->table = t.name;
  out->rows.clear();
  std::vector<io::Reject> rejects;
  for (size_t s = 0; s < source->segment_count(); ++s) {
    io::SegmentResult result;
    Status inner;
    st = source->ReadSegment(s, [&](const Chunk& c) {
      for (uint32_t r = 0; r < c.size && inner.ok(); ++r) {
        std::vector<ir::Value> row;
        for (size_t f = 0; f < pseudo.fields.size(); ++f) row.push_back(SlotValue(c.columns[f], r, pseudo.fields[f].type));
        inner = keys.AddRow(row, path);
        out->rows.push_back(std::move(row));
      }
    }, &result);
    if (!st.ok()) return st;
    if (!inner.ok()) return inner;
    rejects.insert(rejects.end(), result.rejects.begin(), result.rejects.end());
  }
  if (st = source->CheckUnchanged(); !st.ok()) return Status::InvalidArgument(fmt::format("table {}: {}", t.name, st.message()));
  if (!rejects.empty()) {
    std::sort(rejects.begin(), rejects.end(), [](const io::Reject& a, const io::Reject& b) { return a.pos < b.pos; });
    std::unique_ptr<io::PositionLabeler> labeler = source->NewLabeler();
    std::string shown;
    for (size_t i = 0; i < rejects.size() && i < 5; ++i) {
      shown += fmt::format("\n  {}, {}: {}", path, labeler->Label(rejects[i].pos, rejects[i].last), rejects[i].reason);
    }
    return Status::InvalidArgument(fmt::format("table {}: {} bad row{} in {}{}", t.name, rejects.size(),
                                               rejects.size() == 1 ? "" : "s", path, shown));
  }
  return Status::Ok();
}

}  // namespace decree
