#include "sql/engine_session.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>

namespace decree::sql {

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return lines;
}

}  // namespace

Status EngineSession::Open(const EngineTarget& target, std::unique_ptr<EngineSession>* out) {
  std::unique_ptr<EngineSession> s(new EngineSession());
  Endpoint url;
  if (Status st = ParseClickHouseUrl(target.url, &url, &s->database_); !st.ok()) return st;
  s->cluster_ = target.cluster;
  s->initiator_ = std::make_unique<ClickHouse>(url, s->database_, target.timeout_seconds);
  std::string version;
  if (Status st = s->initiator_->Query("SELECT version()", &version); !st.ok()) return st;
  auto now = std::chrono::system_clock::now().time_since_epoch();
  s->prefix_ = fmt::format("decree_{}_{:x}_", static_cast<long>(getpid()),
                           static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) & 0xffffffffffu);
  std::string rows;
  Status st = s->initiator_->Query(fmt::format("SELECT shard_num, host_address, port FROM system.clusters WHERE cluster = {} "
                                               "AND replica_num = 1 ORDER BY shard_num FORMAT TabSeparated",
                                               ChString(target.cluster)),
                                   &rows);
  if (!st.ok()) return st;
  for (const std::string& line : Lines(rows)) {
    std::vector<std::string> v = SplitTsv(line);
    if (v.size() != 3) return Status::Internal(fmt::format("system.clusters answered '{}'", line));
    std::string macro;
    std::string remote = fmt::format("{}:{}", v[1].find(':') != std::string::npos ? "[" + v[1] + "]" : v[1], v[2]);
    st = s->initiator_->Query(fmt::format("SELECT substitution FROM remote({}, system.macros) WHERE macro = 'decree_http_port' "
                                          "FORMAT TabSeparated",
                                          ChString(remote)),
                              &macro);
    if (!st.ok()) return Status::IoError(fmt::format("shard {} of cluster {} ({}) does not answer: {}", v[0], target.cluster, remote, st.message()));
    while (!macro.empty() && macro.back() == '\n') macro.pop_back();
    Endpoint shard{v[1], url.port};
    if (!macro.empty()) shard.port = std::atoi(macro.c_str());
    s->shards_.push_back(std::make_unique<ClickHouse>(shard, s->database_, target.timeout_seconds));
    if (Status ping = s->shards_.back()->Query("SELECT 1"); !ping.ok()) {
      return Status::IoError(fmt::format("shard {} of cluster {} does not answer over HTTP at {}: {}", v[0], target.cluster, shard.Name(),
                                         ping.message()));
    }
  }
  s->distributed_ = !s->shards_.empty();
  if (!s->distributed_) s->shards_.push_back(std::make_unique<ClickHouse>(url, s->database_, target.timeout_seconds));
  *out = std::move(s);
  return Status::Ok();
}

EngineSession::~EngineSession() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    (void)it->first->Query(fmt::format("DROP TABLE IF EXISTS `{}`.`{}`", database_, it->second));
  }
}

Status EngineSession::CreateOnce(const std::string& table, const std::string& create) {
  if (Status st = initiator_->Query(create); !st.ok()) return st;
  created_.emplace_back(initiator_.get(), table);
  return Status::Ok();
}

Status EngineSession::CreateEverywhere(const std::string& table, const std::string& create) {
  for (auto& shard : shards_) {
    if (Status st = shard->Query(create); !st.ok()) return st;
    created_.emplace_back(shard.get(), table);
  }
  return Status::Ok();
}

Status EngineSession::InsertEverywhere(const std::string& insert, const std::string& rows) {
  for (auto& shard : shards_) {
    if (Status st = shard->Insert(insert, rows); !st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace decree::sql
