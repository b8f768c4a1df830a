// The HTTP/1.1 transport of `decree serve`, on Boost.Beast (Debian's libboost-dev): a few I/O
// threads serve every connection (epoll), so the threads runnable at once are the cores', not
// the connections'.  A request is handed whole (method, path without the query, body) to the
// handler; what may block (an fsync, a reload) runs on a pool of its own instead.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "serve_handler.h"

namespace decree::cli {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;                  // 0: any free port (HttpServer::port tells which)
  size_t max_body = 1 << 20;     // a larger body is 413
  size_t max_header = 64 << 10;  // larger headers are 431
  int idle_seconds = 30;         // a keep-alive connection idle this long is closed
  int io_timeout_seconds = 10;   // reading a request's body, writing an answer
  size_t connections = 1024;     // open at once; more wait in the listen queue
  size_t io_threads = 2;
  size_t blocking_threads = 64;  // the pool for requests `blocking` names
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(std::string_view method, std::string_view path, std::string_view body)>;
  // Whether a request may block for long (it then runs on the blocking pool, not an I/O thread).
  using Blocking = std::function<bool(std::string_view method, std::string_view path)>;
  // Answers for requests the transport refuses itself (malformed HTTP, 413, 431); `count` sees
  // each such status.
  using Refusal = std::function<HttpResponse(int status, std::string_view why)>;

  HttpServer(HttpServerOptions options, Handler handler, Blocking blocking, Refusal refusal);
  ~HttpServer();
  // Binds and listens; false with *error when the address cannot be had.
  bool Bind(std::string* error);
  int port() const;
  // Serves on the I/O threads (this one among them) until Stop; returns once every connection
  // has closed.
  void Run();
  // From any thread: stops accepting, closes idle connections, lets requests in flight finish.
  void Stop();

 private:
  class Impl;
  class Session;
  std::unique_ptr<Impl> impl_;
};

}  // namespace decree::cli
