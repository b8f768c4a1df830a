// decree serve: the engine behind HTTP/1.1 (Boost.Beast, cli/http_server.h), for decisions inside a
// payment flow.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "cli.h"
#include "engine_common.h"
#include "http_server.h"
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
  s.options.push_back({"connections", 0, "N", "connections open at once (default 1024); more wait to be accepted"});
  s.options.push_back({"io-threads", 0, "N", "threads serving the connections and deciding (default: one per core)"});
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
  long long port = -1, max_body = 1 << 20, connections = 1024, idle = 30;
  long long io_threads = std::max(1u, std::thread::hardware_concurrency());
  if (colon == std::string::npos || colon == 0) return UsageError("serve", fmt::format("--listen expects HOST:PORT, not '{}'", listen));
  std::string host = listen.substr(0, colon);
  char* end = nullptr;
  port = std::strtoll(listen.c_str() + colon + 1, &end, 10);
  if (end == nullptr || *end != '\0' || port < 0 || port > 65535) return UsageError("serve", fmt::format("--listen: bad port in '{}'", listen));
  if (args.Has("max-body") && !args.GetInt("max-body", 64, int64_t{1} << 30, &max_body)) return kExitUsage;
  if (args.Has("connections") && !args.GetInt("connections", 1, 65536, &connections)) return kExitUsage;
  if (args.Has("io-threads") && !args.GetInt("io-threads", 1, 256, &io_threads)) return kExitUsage;
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
  HttpServerOptions http;
  http.host = host;
  http.port = static_cast<int>(port);
  http.max_body = static_cast<size_t>(max_body);
  http.idle_seconds = static_cast<int>(idle);
  http.connections = static_cast<size_t>(connections);
  http.io_threads = static_cast<size_t>(io_threads);
  // Decisions run on the I/O threads, except with --state, where each waits for the log's fsync:
  // then on a pool of 64 threads (fewer with fewer --connections), so that one fsync commits
  // many.  A reload (seconds, with the watch lists) always runs on the pool.
  const bool durable = !options.state_dir.empty();
  http.blocking_threads = durable ? std::min<size_t>(static_cast<size_t>(connections), 64) : 2;
  HttpServer server(
      http, [&handler](std::string_view method, std::string_view path, std::string_view body) { return handler.Handle(method, path, body); },
      [durable](std::string_view, std::string_view path) { return path == "/v1/library/reload" || (durable && path.starts_with("/v1/decide")); },
      [&handler](int status, std::string_view why) {
        handler.CountStatus(status);
        return ServeHandler::Error(status, why);
      });
  std::string bind_error;
  if (!server.Bind(&bind_error)) {
    fmt::print(stderr, "decree serve: cannot listen on {}: {}\n", listen, bind_error);
    return kExitUsage;
  }
  int bound = server.port();
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
      server.Stop();  // SIGTERM, SIGINT: stop accepting; requests in flight finish
      return;
    }
  });
  fmt::print(stderr, "decree serve: listening on http://{}:{} (library {})\n", host, bound, engine->library_hash());
  server.Run();
  if (!stopping) pthread_kill(signal_thread.native_handle(), SIGTERM);  // the server ended on its own: end the signal thread
  signal_thread.join();
  EngineStats s = engine->stats();
  fmt::print(stderr, "decree serve: stopped: {} allow, {} review, {} block, {} replayed, {} rejected, {} conflicting, {} too late\n",
             s.allow, s.review, s.block, s.replayed, s.rejected, s.conflicts, s.too_late);
  return kExitOk;
}

}  // namespace

const Verb& ServeVerb() {
  static const Verb v{&Spec(), Serve};
  return v;
}

}  // namespace decree::cli
