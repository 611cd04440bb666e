#include "http/server.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <fmt/format.h>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace roster::http {

Server::Server(ServerOptions options, api::ApiServices& services, const api::Router& router)
    : options_(std::move(options)),
      auth_throttle_(options_.auth_failures, options_.max_tracked_clients),
      rate_limiter_(options_.rate_limit, options_.max_tracked_clients),
      services_{services.store, services.authenticator, &auth_throttle_, &rate_limiter_},
      io_context_(options_.threads),
      write_pool_(static_cast<size_t>(WriteThreadCount(options_.write_threads))),
      acceptor_(net::make_strand(io_context_)),
      signals_(io_context_, SIGINT, SIGTERM),
      shutdown_timer_(io_context_),
      context_{options_, services_, router, {}, &write_pool_} {
  if (options_.tls_enabled()) LoadTlsContext();
  std::random_device random;
  request_id_prefix_ = fmt::format("{:08x}", random());
  context_.next_request_id = [this] {
    return fmt::format("{}-{:06x}", request_id_prefix_, ++request_counter_);
  };
}

void Server::LoadTlsContext() {
  tls_context_.emplace(net::ssl::context::tls_server);
  tls_context_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                            net::ssl::context::no_sslv3 | net::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(tls_context_->native_handle(), TLS1_2_VERSION);
  beast::error_code error;
  tls_context_->use_certificate_chain_file(options_.tls_certificate_file, error);
  if (error) {
    throw std::runtime_error(fmt::format("cannot load TLS certificate chain {}: {}",
                                         options_.tls_certificate_file, error.message()));
  }
  tls_context_->use_private_key_file(options_.tls_key_file, net::ssl::context::pem, error);
  if (error) {
    throw std::runtime_error(fmt::format("cannot load TLS private key {}: {}",
                                         options_.tls_key_file, error.message()));
  }
  if (SSL_CTX_check_private_key(tls_context_->native_handle()) != 1) {
    throw std::runtime_error(fmt::format("TLS private key {} does not match certificate {}",
                                         options_.tls_key_file, options_.tls_certificate_file));
  }
}

void Server::Listen() {
  beast::error_code error;
  auto address = net::ip::make_address(options_.host, error);
  if (error) throw std::runtime_error(fmt::format("invalid listen address {}", options_.host));
  tcp::endpoint endpoint(address, options_.port);
  auto fail = [&](std::string_view step) {
    throw std::runtime_error(fmt::format("cannot listen on {}:{}: {} failed: {}", options_.host,
                                         options_.port, step, error.message()));
  };
  acceptor_.open(endpoint.protocol(), error);
  if (error) fail("open");
  acceptor_.set_option(net::socket_base::reuse_address(true), error);
  acceptor_.bind(endpoint, error);
  if (error) fail("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, error);
  if (error) fail("listen");
}

uint16_t Server::port() const { return acceptor_.local_endpoint().port(); }

void Server::Run() {
  signals_.async_wait([this](beast::error_code error, int signal) {
    if (!error) {
      spdlog::info("received signal {}, finishing in-flight requests", signal);
      BeginShutdown();
    }
  });
  DoAccept();
  int threads = ThreadCount(options_.threads);
  std::vector<std::thread> workers;
  for (int i = 1; i < threads; ++i) workers.emplace_back([this] { io_context_.run(); });
  io_context_.run();
  for (std::thread& worker : workers) worker.join();
  write_pool_.join();
  spdlog::info("server stopped");
}

void Server::DoAccept() {
  acceptor_.async_accept(net::make_strand(io_context_),
                         beast::bind_front_handler(&Server::OnAccept, this));
}

void Server::OnAccept(beast::error_code error, tcp::socket socket) {
  if (error == net::error::operation_aborted) return;  // the listener was closed
  if (error) {
    spdlog::warn("accept failed: {}", error.message());
    return DoAccept();
  }
  std::shared_ptr<Session> session;
  {
    std::lock_guard lock(sessions_mutex_);
    if (shutting_down_) return;
    if (sessions_.size() >= options_.max_connections) {
      spdlog::warn("connection limit of {} reached; closing a new connection",
                   options_.max_connections);
      beast::error_code ignored;
      socket.close(ignored);
      return DoAccept();
    }
    uint64_t id = ++next_session_id_;
    auto on_close = [this, id] { OnSessionClosed(id); };
    session = tls_context_ ? MakeTlsSession(std::move(socket), *tls_context_, context_, on_close)
                           : MakePlainSession(std::move(socket), context_, on_close);
    sessions_.emplace(id, session);
  }
  session->Start();
  DoAccept();
}

void Server::OnSessionClosed(uint64_t id) {
  std::lock_guard lock(sessions_mutex_);
  sessions_.erase(id);
  if (shutting_down_ && sessions_.empty()) shutdown_timer_.cancel();
}

void Server::BeginShutdown() {
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ignored;
    acceptor_.close(ignored);
  });
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(sessions_mutex_);
    shutting_down_ = true;
    for (auto& [id, weak] : sessions_) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
    if (open.empty()) return;
    shutdown_timer_.expires_after(options_.shutdown_grace);
    shutdown_timer_.async_wait([this](beast::error_code error) {
      if (error) return;  // cancelled: every session finished in time
      spdlog::warn("shutdown grace period ended with connections still open");
      io_context_.stop();
    });
  }
  for (auto& session : open) session->Stop();
}

}  // namespace roster::http
