// The HTTP server: a listener on Boost.Asio, a pool of threads running one io_context, and a
// Session per connection (plain HTTP, or HTTPS when the options name a certificate). Handlers
// run on the I/O threads and call the Store synchronously.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "http/session.hpp"

namespace roster::http {

class Server {
 public:
  // Applies its own authentication throttle and rate limiter (from `options`) to requests,
  // whatever `services` holds. Throws std::runtime_error when the TLS files cannot be loaded.
  Server(ServerOptions options, api::ApiServices& services, const api::Router& router);

  // Binds and listens; throws std::runtime_error naming the address when that fails.
  void Listen();
  // The bound port (useful when the options asked for port 0).
  uint16_t port() const;

  // Serves until SIGINT or SIGTERM, then stops accepting, lets in-flight requests finish
  // (at most options.shutdown_grace) and returns.
  void Run();

 private:
  void LoadTlsContext();
  void DoAccept();
  void OnAccept(beast::error_code error, tcp::socket socket);
  void BeginShutdown();
  void OnSessionClosed(uint64_t id);

  ServerOptions options_;
  auth::AuthThrottle auth_throttle_;
  auth::TokenRateLimiter rate_limiter_;
  api::ApiServices services_;
  std::optional<net::ssl::context> tls_context_;
  net::io_context io_context_;
  net::thread_pool write_pool_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  net::steady_timer shutdown_timer_;
  SessionContext context_;
  std::atomic<uint64_t> request_counter_{0};
  std::string request_id_prefix_;

  std::mutex sessions_mutex_;
  std::unordered_map<uint64_t, std::weak_ptr<Session>> sessions_;  // GUARDED_BY(sessions_mutex_)
  uint64_t next_session_id_ = 0;                                    // GUARDED_BY(sessions_mutex_)
  bool shutting_down_ = false;                                      // GUARDED_BY(sessions_mutex_)
};

}  // namespace roster::http
