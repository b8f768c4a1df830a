// A ClickHouse server's HTTP interface (through cpp-httplib): queries, inserts, and the
// shards of a cluster, for decree::RunOnEngine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "decree/status.h"

namespace httplib {
class Client;
}

namespace decree::sql {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string Name() const { return host + ":" + std::to_string(port); }
};

// clickhouse://HOST:PORT/DATABASE (the port of the HTTP interface; DATABASE default "default").
Status ParseClickHouseUrl(const std::string& url, Endpoint* endpoint, std::string* database);

class ClickHouse {
 public:
  // `timeout_seconds` bounds each request's reading; connecting gives up after 10 s.
  ClickHouse(Endpoint endpoint, std::string database, int timeout_seconds);
  ~ClickHouse();
  ClickHouse(const ClickHouse&) = delete;
  ClickHouse& operator=(const ClickHouse&) = delete;

  // Runs `sql`; the answer in *out (when given).  A refused query, a lost connection or a
  // timeout is an error naming the server, the query's start and ClickHouse's message.
  Status Query(const std::string& sql, std::string* out = nullptr);
  // `insert` (INSERT INTO … FORMAT TabSeparated) with `rows` as its data; through a
  // Distributed table, synchronous (the rows are on their shards when it returns).
  Status Insert(const std::string& insert, const std::string& rows);
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Status Post(const std::string& query_param, const std::string& body, std::string* out, const std::string& what);
  Endpoint endpoint_;
  std::string database_;
  int timeout_seconds_;
  std::unique_ptr<httplib::Client> client_;
};

// The TabSeparated form of a value (\, tab, line breaks escaped); `null` writes \N.
void AppendTsv(std::string_view value, std::string* out);
// The values of one TabSeparated line, unescaped.
std::vector<std::string> SplitTsv(std::string_view line);
// A string literal for ClickHouse ('…' with \ and ' escaped).
std::string ChString(std::string_view s);

}  // namespace decree::sql
