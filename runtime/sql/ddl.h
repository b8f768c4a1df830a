// The engine tables SqlDdl prints, as parts RunOnEngine builds its own tables from.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "decree/sql.h"
#include "ir/ir.h"

namespace decree::sql {

struct SqlColumn {
  std::string name;  // the CSV column
  std::string type;  // the engine's type
  bool optional = false;
};

// The input table's columns for `layout`: each field's column, then its currency column.
std::vector<SqlColumn> InputColumns(const ir::Layout& layout, SqlDialect d);
// A declared table's columns (keys, then values) and its ORDER BY list.
std::vector<SqlColumn> DeclaredColumns(const ir::TableDecl& table, SqlDialect d, std::string* order_by);
// CREATE TABLE `name` (…) [ENGINE = MergeTree ORDER BY order_by];
std::string CreateTableSql(const std::string& name, const std::vector<SqlColumn>& columns, const std::string& order_by, SqlDialect d);
std::string QuoteName(const std::string& name, SqlDialect d);

}  // namespace decree::sql
