#include "serve_handler.h"

#include <fmt/format.h>

#include <chrono>

#include "decree/json.h"

namespace decree::cli {

HttpResponse ServeHandler::Error(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  std::string body;
  JsonWriter(&body).BeginObject().Field("status", static_cast<int64_t>(status)).Field("error", message).EndObject();
  r.body = body + "\n";
  return r;
}

void ServeHandler::Observe(double seconds) {
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++latency_[b];
  latency_sum_us_ += static_cast<uint64_t>(seconds * 1e6);
}

void ServeHandler::CountStatus(int status) {
  if (status == 413) ++too_large_;
  if (status >= 500) {
    ++status_5xx_;
  } else if (status >= 400) {
    ++status_4xx_;
  }
}

HttpResponse ServeHandler::Handle(std::string_view method, std::string_view path, std::string_view body) {
  ++requests_;
  HttpResponse r;
  if (path == "/v1/decide" || path == "/v1/decide/batch" || path == "/v1/library/reload") {
    if (method != "POST") {
      r = Error(405, fmt::format("{} takes POST", path));
    } else if (path == "/v1/decide") {
      auto started = std::chrono::steady_clock::now();
      r = Decide(body);
      Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    } else if (path == "/v1/decide/batch") {
      r = DecideBatch(body);
    } else {
      r = Reload();
    }
  } else if (path == "/healthz" || path == "/metrics") {
    if (method != "GET" && method != "HEAD") {
      r = Error(405, fmt::format("{} takes GET", path));
    } else if (path == "/healthz") {
      r.content_type = "text/plain";
      r.body = "ok\n";
    } else {
      r.content_type = "text/plain; version=0.0.4";
      r.body = Metrics();
    }
  } else {
    r = Error(404, fmt::format("no such endpoint: {} (POST /v1/decide, POST /v1/decide/batch, POST /v1/library/reload, "
                               "GET /healthz, GET /metrics)",
                               path.substr(0, 200)));
  }
  CountStatus(r.status);
  return r;
}

HttpResponse ServeHandler::Decide(std::string_view body) {
  EngineAnswer a = engine_->Decide(body);
  HttpResponse r;
  r.status = a.status;
  r.body = a.json + "\n";
  r.replayed = a.replayed;
  return r;
}

HttpResponse ServeHandler::DecideBatch(std::string_view body) {
  HttpResponse r;
  r.content_type = "application/x-ndjson";
  // Decided a slice of lines at a time (Engine::DecideBatch): the answers in order, and a
  // record's latency is its slice's.
  constexpr size_t kSlice = 256;
  std::vector<std::string_view> lines;
  std::vector<EngineAnswer> answers;
  auto decide = [&] {
    auto started = std::chrono::steady_clock::now();
    engine_->DecideBatch(lines, &answers);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (const EngineAnswer& a : answers) {
      Observe(took);
      r.body += a.json;
      r.body.push_back('\n');
    }
    lines.clear();
  };
  size_t at = 0;
  while (at < body.size()) {
    size_t nl = body.find('\n', at);
    std::string_view line = body.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at);
    at = nl == std::string_view::npos ? body.size() : nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    lines.push_back(line);
    if (lines.size() == kSlice) decide();
  }
  if (!lines.empty()) decide();
  return r;
}

HttpResponse ServeHandler::Reload() {
  Status st = reload_();
  if (!st.ok()) {
    ++reload_failures_;
    return Error(500, fmt::format("reload failed, still serving library {}: {}", engine_->library_hash(), st.message()));
  }
  ++reloads_;
  HttpResponse r;
  std::string body;
  JsonWriter(&body).BeginObject().Field("library", engine_->library_hash()).EndObject();
  r.body = body + "\n";
  return r;
}

std::string ServeHandler::Metrics() const {
  EngineStats s = engine_->stats();
  std::string m;
  auto counter = [&](std::string_view name, std::string_view help, std::string_view labels, uint64_t v) {
    m += fmt::format("# HELP {} {}\n# TYPE {} counter\n{}{} {}\n", name, help, name, name, labels, v);
  };
  m += "# HELP decree_decisions_total Decisions by outcome.\n# TYPE decree_decisions_total counter\n";
  m += fmt::format("decree_decisions_total{{decision=\"allow\"}} {}\n", s.allow);
  m += fmt::format("decree_decisions_total{{decision=\"review\"}} {}\n", s.review);
  m += fmt::format("decree_decisions_total{{decision=\"block\"}} {}\n", s.block);
  m += "# HELP decree_refusals_total Records not decided, by reason.\n# TYPE decree_refusals_total counter\n";
  m += fmt::format("decree_refusals_total{{reason=\"rejected\"}} {}\n", s.rejected);
  m += fmt::format("decree_refusals_total{{reason=\"conflict\"}} {}\n", s.conflicts);
  m += fmt::format("decree_refusals_total{{reason=\"too_late\"}} {}\n", s.too_late);
  m += fmt::format("decree_refusals_total{{reason=\"too_large\"}} {}\n", too_large_.load());
  m += fmt::format("decree_refusals_total{{reason=\"state_log\"}} {}\n", s.log_errors);
  counter("decree_replays_total", "Repeated ids answered with their first answer.", "", s.replayed);
  counter("decree_requests_total", "HTTP requests handled.", "", requests_.load());
  counter("decree_reloads_total", "Library reloads that took effect.", "", reloads_.load());
  counter("decree_reload_failures_total", "Library reloads refused (the old library kept serving).", "", reload_failures_.load());
  m += "# HELP decree_decision_seconds Time to decide one record.\n# TYPE decree_decision_seconds histogram\n";
  uint64_t cumulative = 0;
  for (size_t b = 0; b < latency_.size(); ++b) {
    cumulative += latency_[b].load();
    std::string le = b < kBuckets.size() ? fmt::format("{}", kBuckets[b]) : "+Inf";
    m += fmt::format("decree_decision_seconds_bucket{{le=\"{}\"}} {}\n", le, cumulative);
  }
  m += fmt::format("decree_decision_seconds_sum {}\ndecree_decision_seconds_count {}\n", latency_sum_us_.load() / 1e6, cumulative);
  m += fmt::format("# HELP decree_state_transactions Transactions held in the state.\n# TYPE decree_state_transactions gauge\n"
                   "decree_state_transactions {}\n", s.records_held);
  m += fmt::format("# HELP decree_state_keys Group keys with state.\n# TYPE decree_state_keys gauge\ndecree_state_keys {}\n", s.partitions);
  counter("decree_state_evicted_total", "Transactions dropped past the retention horizon.", "", s.evicted);
  m += fmt::format("# HELP decree_library_info The library deciding.\n# TYPE decree_library_info gauge\n"
                   "decree_library_info{{sha256=\"{}\"}} 1\n", s.library);
  return m;
}

}  // namespace decree::cli
