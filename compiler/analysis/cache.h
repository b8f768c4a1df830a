// Solver answers kept between runs, keyed by a hash of the query's rules (their meaning
// hashes and those of the exemptions and overrides they read): re-checking after editing one
// rule only asks the solver the queries that involve it.  A SQLite file; a damaged or
// foreign file is replaced, never trusted.
#pragma once

#include <string>

#include "analysis/analysis.h"
#include "decree/status.h"
#include "common/sqlite_util.h"

namespace decree::analysis {

class Cache {
 public:
  Status Open(const std::string& path);
  bool open() const { return db_.get() != nullptr; }
  bool Get(const std::string& key, int* result, bool* has_witness, Witness* witness);
  void Put(const std::string& key, int result, bool has_witness, const Witness& witness);

 private:
  SqliteDb db_;
  SqliteStmt get_, put_;
};

}  // namespace decree::analysis
