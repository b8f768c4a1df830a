// libFuzzer target: decree serve's request handler (cli/serve_handler.cpp, the part of the
// server behind its HTTP transport, cli/http_server.cpp) over an engine with cn-pboc-lvtr and
// aml-typologies.  The first byte picks the method and endpoint; the rest is the body.  Any
// request must be answered with a documented status and a body, never crash, hang or trip a
// sanitizer; the engine's counts must add up (held and evicted records against decisions); and
// every decision must equal what a second engine, given the same records one Decide at a time,
// answers (so /v1/decide/batch's DecideBatch is checked against Decide).
// One first-byte value in seven sends the body's lines as CSV records (the canonical header)
// to Engine::DecideCsvBatch instead, checked against DecideCsv on each line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "decree/engine.h"
#include "fuzz_support.h"
#include "serve_handler.h"

namespace {

decree::Engine* MakeEngine() {
  static decree::fuzz::CompiledRuleset rules("cn-pboc-lvtr");
  const std::string lib_path = decree::fuzz::TempPath("serve", ".dlib");
  std::string hash;
  if (!decree::WriteRuleLibrary(rules.compilation, lib_path, "fuzz", &hash).ok()) std::abort();
  std::unique_ptr<decree::Library> lib;
  if (!decree::Library::Open(lib_path, &lib).ok()) std::abort();
  const std::string rates = decree::fuzz::TempPath("serve-rates", ".csv");
  const std::string r = "date,currency,usd_per_unit\n2026-03-01,USD,1\n2026-03-01,EUR,1.085\n2026-03-02,USD,1\n";
  decree::fuzz::WriteInput(rates, r.data(), r.size());
  decree::EngineOptions options;
  options.tables["usd_rate"] = rates;
  std::unique_ptr<decree::Engine> engine;
  if (!decree::Engine::Open(std::shared_ptr<const decree::Library>(std::move(lib)), options, &engine).ok()) std::abort();
  return engine.release();
}

// The body's lines, split at '\n' as the handler splits them (the last may lack one).
std::vector<std::string_view> Lines(std::string_view body) {
  std::vector<std::string_view> lines;
  for (size_t at = 0; at < body.size();) {
    size_t nl = body.find('\n', at);
    lines.push_back(body.substr(at, nl == std::string_view::npos ? std::string_view::npos : nl - at));
    at = nl == std::string_view::npos ? body.size() : nl + 1;
  }
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static decree::Engine* engine = MakeEngine();
  static decree::Engine* one_by_one = MakeEngine();
  static decree::cli::ServeHandler handler(engine, [] { return decree::Status::Ok(); });
  static const char* const kMethods[] = {"POST", "GET", "PUT", "HEAD"};
  static const char* const kPaths[] = {"/v1/decide", "/v1/decide/batch", "/healthz", "/metrics", "/v1/library/reload", "/x"};
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((data[0] >> 2) % 7 == 6) {
    static const std::vector<std::string> header = [] {
      std::vector<std::string> h;
      const char* line = "txn_id,booked_at,customer_id,customer_type,customer_name,account_id,direction,amount,currency,"
                         "channel,cross_border,counterparty_id,counterparty_name,counterparty_account,counterparty_type,"
                         "counterparty_country,exemption,purpose";
      if (!decree::Engine::CsvHeader(line, &h).ok()) std::abort();
      return h;
    }();
    const std::vector<std::string_view> lines = Lines(body);
    std::vector<decree::EngineAnswer> answers;
    engine->DecideCsvBatch(header, lines, &answers);
    if (answers.size() != lines.size()) std::abort();
    for (size_t i = 0; i < lines.size(); ++i) {
      if (answers[i].json != one_by_one->DecideCsv(header, lines[i]).json) std::abort();
    }
    return 0;
  }
  const char* method = kMethods[data[0] & 3];
  const char* path = kPaths[(data[0] >> 2) % 7];  // 6 was taken above
  decree::cli::HttpResponse r = handler.Handle(method, path, body);
  switch (r.status) {
    case 200: case 400: case 404: case 405: case 409: case 422: break;
    default: std::abort();  // 500 only from a failing state log or reload, neither here
  }
  if (r.body.empty() && std::string_view(path) != "/v1/decide/batch") std::abort();  // an empty batch has no lines
  if (std::string_view(method) == "POST" && std::string_view(path) == "/v1/decide") {
    if (r.body != one_by_one->Decide(body).json + "\n") std::abort();
  } else if (std::string_view(method) == "POST" && std::string_view(path) == "/v1/decide/batch") {
    std::string want;
    for (std::string_view line : Lines(body)) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank: the handler skips it
      want += one_by_one->Decide(line).json + "\n";
    }
    if (r.body != want) std::abort();
  }
  decree::EngineStats s = engine->stats();
  // Every decided record is held until it falls past the retention horizon, then counted evicted.
  if (s.records_held + s.evicted != s.allow + s.review + s.block) std::abort();
  return 0;
}
