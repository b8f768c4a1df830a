#include "http_server.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include <array>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace decree::cli {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions o, Handler h, Blocking b, Refusal r)
      : options(std::move(o)), handler(std::move(h)), blocking(std::move(b)), refusal(std::move(r)),
        ioc(static_cast<int>(options.io_threads)), acceptor(net::make_strand(ioc)), pool(options.blocking_threads) {}

  void Accept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  // The handler's answer; 500 when it throws (out of memory), which would otherwise end the
  // I/O thread.
  HttpResponse Handle(std::string_view method, std::string_view path, std::string_view body) {
    try {
      return handler(method, path, body);
    } catch (const std::exception& e) {
      return refusal(500, std::string("internal error: ") + e.what());
    }
  }
  void Ended(Session* s);

  HttpServerOptions options;
  Handler handler;
  Blocking blocking;
  Refusal refusal;
  // Before the I/O context: a session its destruction ends still finds them.
  std::atomic<bool> stopping{false};
  std::mutex mu;  // guards the sessions and `paused`
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  bool paused = false;  // at options.connections: accepting resumes when one closes
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::thread_pool pool;
};

// One connection: read a request, answer it, and again while it is kept alive.  Its handlers
// run on its strand, one at a time.
class HttpServer::Session : public std::enable_shared_from_this<HttpServer::Session> {
 public:
  Session(Impl* server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}
  ~Session() { server_->Ended(this); }

  void Start() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::Read, shared_from_this())); }
  // On the session's strand: closes it if it waits for a request that has not begun.
  void CloseIfIdle() {
    if (waiting_ && !parser_->got_some()) stream_.socket().cancel();
  }
  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void Read() {
    if (server_->stopping) return Close();
    parser_.emplace();
    parser_->body_limit(server_->options.max_body);
    parser_->header_limit(static_cast<uint32_t>(server_->options.max_header));
    stream_.expires_after(std::chrono::seconds(server_->options.idle_seconds));
    waiting_ = true;
    http::async_read_header(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, size_t) {
    waiting_ = false;
    if (ec) return Failed(ec);
    if (auto n = parser_->content_length(); n && *n > server_->options.max_body) {
      return Refuse(413, TooLarge());
    }
    stream_.expires_after(std::chrono::seconds(server_->options.io_timeout_seconds));
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      return http::async_write(stream_, *go_on, [self = shared_from_this(), go_on](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
    }
    ReadBody();
  }

  void ReadBody() { http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this())); }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) return Failed(ec);
    const http::request<http::string_body>& req = parser_->get();
    std::string_view target(req.target().data(), req.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    std::string_view method(req.method_string().data(), req.method_string().size());
    if (!server_->blocking(method, path)) return Answer(server_->Handle(method, path, req.body()), req.keep_alive());
    // Off the I/O thread: it may wait (an fsync shared with other requests, a reload).
    // The work guard keeps the I/O threads running until the answer is back on them.
    net::post(server_->pool, [self = shared_from_this(), method = std::string(method), path = std::string(path),
                              work = net::make_work_guard(server_->ioc)] {
      HttpResponse r = self->server_->Handle(method, path, self->parser_->get().body());
      net::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable {
        self->Answer(std::move(r), self->parser_->get().keep_alive());
      });
    });
  }

  // A read that ended without a request: the peer closed or went idle, or sent bad HTTP.
  void Failed(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Refuse(413, TooLarge());
    }
    if (ec == http::error::header_limit) return Refuse(431, "the request's headers are too large");
    bool parse_error = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                       ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (parse_error) return Refuse(400, fmt::format("malformed HTTP request: {}", ec.message()));
    Close();  // end of stream, timeout, reset, or cancelled by Stop
  }

  std::string TooLarge() const {
    return fmt::format("the request body is larger than --max-body ({} bytes)", server_->options.max_body);
  }

  // Answers and closes without reading the rest of the request, which is then read and dropped
  // for a while (a lingering close): a client still sending its body gets the answer, not a reset.
  void Refuse(int status, const std::string& why) {
    linger_ = true;
    Answer(server_->refusal(status, why), false);
  }

  void Drain() {
    constexpr size_t kMaxDrained = 64 << 20;
    if (drained_ >= kMaxDrained) return;  // the session ends and closes the socket
    stream_.async_read_some(net::buffer(sink_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->drained_ += n;
      if (!ec) self->Drain();
    });
  }

  void Answer(HttpResponse r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res->set(http::field::content_type, r.content_type);
    if (r.replayed) res->set("X-Decree-Replayed", "true");
    res->keep_alive(keep_alive && !server_->stopping);
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (parser_ && parser_->is_header_done() && parser_->get().method() == http::verb::head) res->body().clear();  // the length stays
    stream_.expires_after(std::chrono::seconds(server_->options.io_timeout_seconds));
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) {
        self->Close();
        if (!ec && self->linger_) self->Drain();  // under the timeout set for the write
        return;
      }
      self->Read();
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  Impl* server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool waiting_ = false;  // for a request's header
  bool linger_ = false;   // refused: drain what the client still sends after the answer
  size_t drained_ = 0;
  std::array<char, 16384> sink_;
};

void HttpServer::Impl::Accept() { acceptor.async_accept(net::make_strand(ioc), beast::bind_front_handler(&Impl::OnAccept, this)); }

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping || !acceptor.is_open()) return;
  if (!ec) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // an answer is one small write: send it now
    auto s = std::make_shared<Session>(this, std::move(socket));
    std::lock_guard<std::mutex> lock(mu);
    sessions.emplace(s.get(), s);
    s->Start();
    if (sessions.size() >= options.connections) {
      paused = true;
      return;
    }
  }
  Accept();
}

void HttpServer::Impl::Ended(Session* s) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.erase(s);
  if (paused && !stopping) {
    paused = false;
    net::post(acceptor.get_executor(), [this] { Accept(); });
  }
}

HttpServer::HttpServer(HttpServerOptions options, Handler handler, Blocking blocking, Refusal refusal)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(blocking), std::move(refusal))) {}

HttpServer::~HttpServer() { impl_->pool.join(); }

bool HttpServer::Bind(std::string* error) {
  beast::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  auto found = resolver.resolve(impl_->options.host, std::to_string(impl_->options.port), tcp::resolver::passive, ec);
  if (ec || found.empty()) {
    *error = fmt::format("cannot resolve {}: {}", impl_->options.host, ec ? ec.message() : "no address");
    return false;
  }
  tcp::endpoint at = found.begin()->endpoint();
  tcp::acceptor& a = impl_->acceptor;
  if (a.open(at.protocol(), ec); !ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(at, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) *error = ec.message();
  return !ec;
}

int HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::Run() {
  impl_->Accept();
  std::vector<std::thread> others;
  for (size_t i = 1; i < impl_->options.io_threads; ++i) others.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (std::thread& t : others) t.join();
}

void HttpServer::Stop() {
  Impl* s = impl_.get();
  net::post(s->acceptor.get_executor(), [s] {
    s->stopping = true;
    beast::error_code ignored;
    s->acceptor.close(ignored);
    std::vector<std::shared_ptr<Session>> open;
    {
      std::lock_guard<std::mutex> lock(s->mu);
      for (auto& [raw, weak] : s->sessions) {
        if (std::shared_ptr<Session> session = weak.lock()) open.push_back(std::move(session));
      }
    }
    for (std::shared_ptr<Session>& session : open) net::post(session->executor(), [session] { session->CloseIfIdle(); });
  });
}

}  // namespace decree::cli
