// What RunOnEngine asks of the lowering beyond SqlRules (decree/sql.h).
#pragma once

#include <string>
#include <vector>

#include "decree/sql.h"

namespace decree::sql {

// One SELECT of record ids (`id`) per distinct conversion through a rate table in the rules'
// row-level expressions: the records whose currency has no rate on their day, which the native
// evaluation rejects ("no usd_rate rate for CHF on 2026-03-28").  A superset: the rules' guards
// are not applied, so the native evaluation of those records decides.
Status SqlMissingRates(const ir::Program& program, const SqlOptions& options, std::vector<std::string>* queries);

}  // namespace decree::sql
