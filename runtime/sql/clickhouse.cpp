#include "sql/clickhouse.h"

#include "decree/sql.h"

#include <fmt/format.h>
#include <httplib.h>

#include <cctype>
#include <chrono>

namespace decree::sql {

namespace {

std::string UrlEncode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// The first lines of a query, for messages.
std::string Head(const std::string& sql) {
  std::string h = sql.substr(0, 160);
  for (char& c : h) c = c == '\n' ? ' ' : c;
  return sql.size() > h.size() ? h + "…" : h;
}

}  // namespace

Status ParseClickHouseUrl(const std::string& url, Endpoint* endpoint, std::string* database) {
  const std::string scheme = "clickhouse://";
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(fmt::format("--engine '{}': {} (expected clickhouse://HOST:PORT/DATABASE)", url, why));
  };
  if (url.rfind(scheme, 0) != 0) return bad("not a clickhouse:// URL");
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  *database = slash == std::string::npos || slash + 1 == rest.size() ? "default" : rest.substr(slash + 1);
  size_t colon = hostport.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("no host and port");
  endpoint->host = hostport.substr(0, colon);
  std::string port = hostport.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) == 0 ||
      std::stoi(port) > 65535) {
    return bad(fmt::format("'{}' is not a port", port));
  }
  endpoint->port = std::stoi(port);
  for (char c : *database) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return bad(fmt::format("'{}' is not a database name", *database));
  }
  return Status::Ok();
}

ClickHouse::ClickHouse(Endpoint endpoint, std::string database, int timeout_seconds)
    : endpoint_(std::move(endpoint)), database_(std::move(database)), timeout_seconds_(timeout_seconds) {
  client_ = std::make_unique<httplib::Client>(endpoint_.host, endpoint_.port);
  client_->set_connection_timeout(10, 0);
  client_->set_read_timeout(timeout_seconds_, 0);
  client_->set_write_timeout(timeout_seconds_, 0);
  client_->set_keep_alive(true);
}

ClickHouse::~ClickHouse() = default;

Status ClickHouse::Post(const std::string& query_param, const std::string& body, std::string* out, const std::string& what) {
  // The server stops a query past the timeout too, so a timed-out query does not run on.
  std::string path = fmt::format("/?database={}&max_execution_time={}&insert_distributed_sync=1&max_query_size=1073741824{}",
                                 UrlEncode(database_), timeout_seconds_, query_param);
  auto sent = std::chrono::steady_clock::now();
  httplib::Result res = client_->Post(path, body, "text/plain; charset=UTF-8");
  if (!res) {
    double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
    std::string why;
    switch (res.error()) {
      case httplib::Error::Connection: why = "cannot connect (is the server running, and is this its HTTP port?)"; break;
      case httplib::Error::Read:
        why = waited >= timeout_seconds_ ? fmt::format("no answer within {} s", timeout_seconds_) : "the connection was lost before an answer";
        break;
      case httplib::Error::Write: why = "the connection was lost while the query was sent"; break;
      default: why = httplib::to_string(res.error());
    }
    return Status::IoError(fmt::format("ClickHouse at {}: {} ({})", endpoint_.Name(), why, Head(what)));
  }
  if (res->status != 200) {
    // ClickHouse's message on one line: its first exception, without the stack's repetitions.
    std::string msg;
    for (char c : res->body.substr(0, 2000)) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
      if (c != ' ' || (!msg.empty() && msg.back() != ' ')) msg.push_back(c);
    }
    if (size_t what = msg.find(", e.what() = "); what != std::string::npos) msg.resize(what);
    if (msg.size() > 400) msg = msg.substr(0, 400) + "…";
    while (!msg.empty() && msg.back() == ' ') msg.pop_back();
    return Status::IoError(fmt::format("ClickHouse at {} refused {}: {}", endpoint_.Name(), Head(what), msg));
  }
  if (out != nullptr) *out = std::move(res->body);
  return Status::Ok();
}

Status ClickHouse::Query(const std::string& sql, std::string* out) { return Post("", sql, out, sql); }

Status ClickHouse::Insert(const std::string& insert, const std::string& rows) {
  return Post("&query=" + UrlEncode(insert), rows, nullptr, insert);
}

void AppendTsv(std::string_view value, std::string* out) {
  for (char c : value) {
    switch (c) {
      case '\\': *out += "\\\\"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\0': *out += "\\0"; break;
      default: out->push_back(c);
    }
  }
}

std::vector<std::string> SplitTsv(std::string_view line) {
  std::vector<std::string> values(1);
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == '\t') {
      values.emplace_back();
    } else if (c == '\\' && i + 1 < line.size()) {
      char e = line[++i];
      values.back().push_back(e == 't' ? '\t' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == '0' ? '\0' : e == 'b' ? '\b' : e == 'f' ? '\f' : e);
    } else {
      values.back().push_back(c);
    }
  }
  return values;
}

std::string ChString(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

}  // namespace decree::sql

namespace decree {

Status CheckEngineUrl(const std::string& url) {
  sql::Endpoint endpoint;
  std::string database;
  return sql::ParseClickHouseUrl(url, &endpoint, &database);
}

}  // namespace decree
