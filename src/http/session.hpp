// One HTTP/1.1 connection, plain or over TLS: reads requests one after another (pipelined
// requests are answered in order), authenticates and routes each, and writes the response.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>

#include "api/router.hpp"
#include "http/server_options.hpp"

namespace roster::http {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// What every session shares, owned by the Server.
struct SessionContext {
  const ServerOptions& options;
  api::ApiServices& services;
  const api::Router& router;
  std::function<std::string()> next_request_id;
  // Runs the handlers of POST, PUT, PATCH and DELETE requests; null runs them on the I/O
  // thread like every other request.
  net::thread_pool* write_pool = nullptr;
};

// The part of a connection that the Server drives.
class Session {
 public:
  virtual ~Session() = default;

  virtual void Start() = 0;
  // Closes the connection once the request in progress (if any) has been answered.
  virtual void Stop() = 0;
};

// Creates a session that speaks plain HTTP on `socket`. `on_close` runs when the session is
// destroyed.
std::shared_ptr<Session> MakePlainSession(tcp::socket&& socket, SessionContext& context,
                                          std::function<void()> on_close);

// Creates a session that runs a TLS handshake on `socket` and then speaks HTTP over it.
std::shared_ptr<Session> MakeTlsSession(tcp::socket&& socket, net::ssl::context& tls_context,
                                        SessionContext& context, std::function<void()> on_close);

// Builds the API's view of a parsed request: method, percent-decoded path (a decoded slash
// inside a segment becomes "%2F" so it matches no route), decoded query parameters in order,
// Authorization, Content-Type and body. `client_address` is copied into the result.
api::ApiRequest ToApiRequest(const beast::http::request<beast::http::string_body>& message,
                             std::string client_address);

}  // namespace roster::http
