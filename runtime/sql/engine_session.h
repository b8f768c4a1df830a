// One run's place in a ClickHouse cluster: the initiator named by the URL, every shard of the
// cluster reachable over HTTP, and the tables the run creates there (dropped when it ends).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "decree/sql.h"
#include "sql/clickhouse.h"

namespace decree::sql {

class EngineSession {
 public:
  // Connects to the URL's server and to every shard of target.cluster (system.clusters; each
  // shard's HTTP port is its macro decree_http_port, else the URL's port).  Without that
  // cluster the URL's server is the only shard.  A shard that does not answer is an error.
  static Status Open(const EngineTarget& target, std::unique_ptr<EngineSession>* out);
  ~EngineSession();  // drops the tables the run created, on every server

  ClickHouse& initiator() { return *initiator_; }
  ClickHouse& shard(size_t i) { return *shards_[i]; }
  bool distributed() const { return distributed_; }
  size_t shard_count() const { return shards_.size(); }
  const std::string& database() const { return database_; }
  const std::string& cluster() const { return cluster_; }
  // The run's name for a table: decree_<run>_<name>.
  std::string Name(const std::string& name) const { return prefix_ + name; }

  // Runs `create` (a CREATE TABLE of Name(...)) on the initiator / on every shard; the table
  // is dropped when the session ends.
  Status CreateOnce(const std::string& table, const std::string& create);
  Status CreateEverywhere(const std::string& table, const std::string& create);
  // Inserts `rows` (TabSeparated) into `table` on every shard.
  Status InsertEverywhere(const std::string& insert, const std::string& rows);

 private:
  EngineSession() = default;
  std::string database_, cluster_, prefix_;
  bool distributed_ = false;
  std::unique_ptr<ClickHouse> initiator_;
  std::vector<std::unique_ptr<ClickHouse>> shards_;
  std::vector<std::pair<ClickHouse*, std::string>> created_;
};

}  // namespace decree::sql
