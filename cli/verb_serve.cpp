// decree serve: the engine behind HTTP/1.1 (cpp-httplib), for decisions inside a payment flow.
#include <fmt/format.h>
#include <httplib.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "cli.h"
#include "engine_common.h"
#include "serve_handler.h"

namespace decree::cli {

namespace {

VerbSpec MakeSpec() {
  VerbSpec s{
      "serve",
      "decree serve [options] LIBRARY|PATH... --listen HOST:PORT",
      "Serve decisions over HTTP: each transaction decided as it arrives (docs/serve.md).",
      "Endpoints:\n"
      "  POST /v1/decide          one JSON object (the layout's column names as keys) -> 200\n"
      "                           {\"txn_id\", \"decision\": allow|review|block, \"findings\", \"library\",\n"
      "                           \"explain\"}; 400 a rejected record (the batch reader's reason),\n"
      "                           409 a repeated id with other content, 413 a body over --max-body,\n"
      "                           422 a record too late (--late-after)\n"
      "  POST /v1/decide/batch    JSON Lines in, one answer line per record, in order\n"
      "  POST /v1/library/reload  reload the library, tables and lists (as SIGHUP does)\n"
      "  GET  /healthz            200 once ready\n"
      "  GET  /metrics            Prometheus text: decisions by outcome, refusals by reason,\n"
      "                           latency histogram, state size, library hash\n\n"
      "A decision is computed over every transaction accepted so far, itself included, exactly as\n"
      "`decree run` evaluates that set.  A repeated id is answered with its first answer, byte for\n"
      "byte.  With --state every answer is durable before it is sent; a restart continues.\n"
      "SIGHUP reloads (a library that fails to load leaves the old one serving); SIGTERM and\n"
      "SIGINT stop after the requests in flight.\n\n"
      "Exit status: 0 stopped by a signal; 1 the server failed; 2 could not start.",
      EngineOptionSpecs(),
      {"decree serve rulesets/cn-pboc-lvtr rulesets/aml-typologies -t usd_rate=examples/rates.csv --listen 127.0.0.1:8080",
       "curl -s localhost:8080/v1/decide -d @txn.json",
       "decree serve lvtr.dlib -t usd_rate=rates.csv --listen 0.0.0.0:8080 --state /var/lib/decree"},
      1,
      -1,
  };
  s.options.push_back({"listen", 0, "HOST:PORT", "where to listen (required; port 0 picks a free one, printed at start)"});
  s.options.push_back({"max-body", 0, "BYTES", "the largest request body (default 1048576): a larger one is 413"});
  s.options.push_back({"connections", 0, "N", "connections served at once, one thread each (default 64)"});
  s.options.push_back({"idle-timeout", 0, "SECONDS", "close a keep-alive connection idle this long (default 30)"});
  return s;
}

const VerbSpec& Spec() {
  static const VerbSpec s = MakeSpec();
  return s;
}

int Serve(const Args& args) {
  if (!args.Has("listen")) return UsageError("serve", "missing --listen HOST:PORT");
  std::string listen = args.Get("listen");
  size_t colon = listen.rfind(':');
  long long port = -1, max_body = 1 << 20, connections = 64, idle = 30;
  if (colon == std::string::npos || colon == 0) return UsageError("serve", fmt::format("--listen expects HOST:PORT, not '{}'", listen));
  std::string host = listen.substr(0, colon);
  char* end = nullptr;
  port = std::strtoll(listen.c_str() + colon + 1, &end, 10);
  if (end == nullptr || *end != '\0' || port < 0 || port > 65535) return UsageError("serve", fmt::format("--listen: bad port in '{}'", listen));
  if (args.Has("max-body") && !args.GetInt("max-body", 64, int64_t{1} << 30, &max_body)) return kExitUsage;
  if (args.Has("connections") && !args.GetInt("connections", 1, 4096, &connections)) return kExitUsage;
  if (args.Has("idle-timeout") && !args.GetInt("idle-timeout", 1, 3600, &idle)) return kExitUsage;
  EngineOptions options;
  if (int code = ParseEngineOptions("serve", args, &options); code != 0) return code;
  // Signals go to one thread (sigwait below), blocked everywhere else, before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::unique_ptr<Engine> engine;
  if (int code = OpenEngine("serve", args, options, &engine); code != 0) return code;
  auto reload = [&]() -> Status {
    std::shared_ptr<const Library> lib;
    Status st = LoadLibraryForReload(args, &lib);
    if (st.ok()) st = engine->Reload(lib, options);
    if (st.ok()) {
      fmt::print(stderr, "decree serve: reloaded: library {}\n", engine->library_hash());
    } else {
      fmt::print(stderr, "decree serve: reload refused, still serving {}: {}\n", engine->library_hash(), st.message());
    }
    return st;
  };
  ServeHandler handler(engine.get(), reload);
  httplib::Server server;
  server.new_task_queue = [connections] { return new httplib::ThreadPool(static_cast<size_t>(connections)); };
  server.set_payload_max_length(static_cast<size_t>(max_body));
  server.set_tcp_nodelay(true);  // an answer is one small write: send it now (no 40 ms Nagle wait)
  server.set_keep_alive_timeout(idle);
  server.set_keep_alive_max_count(1000000);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  auto route = [&handler](const httplib::Request& req, httplib::Response& res) {
    HttpResponse r = handler.Handle(req.method, req.path, req.body);
    res.status = r.status;
    if (r.replayed) res.set_header("X-Decree-Replayed", "true");
    res.set_content(std::move(r.body), r.content_type.c_str());
  };
  // Exact paths first (no regular expression on the hot path), then everything else (404, 405).
  for (const char* path : {"/v1/decide", "/v1/decide/batch", "/v1/library/reload"}) server.Post(path, route);
  for (const char* path : {"/healthz", "/metrics"}) server.Get(path, route);
  server.Post(".*", route);
  server.Get(".*", route);
  server.Put(".*", route);
  server.Delete(".*", route);
  server.set_error_handler([&handler, max_body](const httplib::Request&, httplib::Response& res) {
    if (res.status == 413 || (res.status >= 400 && res.body.empty())) {
      handler.CountStatus(res.status);
      std::string what = res.status == 413 ? fmt::format("the request body is larger than --max-body ({} bytes)", max_body)
                                           : fmt::format("HTTP status {}", res.status);
      HttpResponse r = ServeHandler::Error(res.status, what);
      res.set_content(std::move(r.body), r.content_type.c_str());
    }
  });
  int bound = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, static_cast<int>(port)) ? static_cast<int>(port) : -1);
  if (bound < 0) {
    fmt::print(stderr, "decree serve: cannot listen on {}: address in use or not available\n", listen);
    return kExitUsage;
  }
  std::atomic<bool> stopping{false};
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        reload();
        continue;
      }
      stopping = true;
      server.stop();  // SIGTERM, SIGINT: stop accepting; requests in flight finish
      return;
    }
  });
  fmt::print(stderr, "decree serve: listening on http://{}:{} (library {})\n", host, bound, engine->library_hash());
  bool ok = server.listen_after_bind();
  if (!stopping) pthread_kill(signal_thread.native_handle(), SIGTERM);  // listen failed: end the signal thread
  signal_thread.join();
  EngineStats s = engine->stats();
  fmt::print(stderr, "decree serve: stopped: {} allow, {} review, {} block, {} replayed, {} rejected, {} conflicting, {} too late\n",
             s.allow, s.review, s.block, s.replayed, s.rejected, s.conflicts, s.too_late);
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

const Verb& ServeVerb() {
  static const Verb v{&Spec(), Serve};
  return v;
}

}  // namespace decree::cli
