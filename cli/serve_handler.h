// The HTTP API of `decree serve`, apart from the HTTP library: a request (method, path, body)
// in, a response (status, content type, body) out.  verb_serve.cpp binds it to the HTTP server (http_server.h);
// tests and the fuzz target call it directly.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "decree/engine.h"

namespace decree::cli {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool replayed = false;
};

class ServeHandler {
 public:
  // `reload` builds the library anew (the command line's paths) and swaps it into the engine.
  ServeHandler(Engine* engine, std::function<Status()> reload) : engine_(engine), reload_(std::move(reload)) {}

  HttpResponse Handle(std::string_view method, std::string_view path, std::string_view body);
  // Also counts a request the HTTP layer refused itself (a body too large: 413).
  void CountStatus(int status);
  std::string Metrics() const;
  // The body of an error answer: {"status":…,"error":…}.
  static HttpResponse Error(int status, std::string_view message);

 private:
  HttpResponse Decide(std::string_view body);
  HttpResponse DecideBatch(std::string_view body);
  HttpResponse Reload();
  void Observe(double seconds);

  static constexpr std::array<double, 11> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5};
  Engine* engine_;
  std::function<Status()> reload_;
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> latency_{};
  std::atomic<uint64_t> latency_sum_us_{0}, requests_{0}, status_4xx_{0}, status_5xx_{0}, reloads_{0}, reload_failures_{0};
  std::atomic<uint64_t> too_large_{0};
};

}  // namespace decree::cli
