// One HTTP/1.1 connection: reads requests one after another (pipelined requests are answered
// in order), authenticates and routes each, and writes the response.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <functional>
#include <memory>
#include <optional>

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
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, SessionContext& context, std::function<void()> on_close);
  ~Session();

  void Start();
  // Closes the connection once the request in progress (if any) has been answered.
  void Stop();

 private:
  using Parser = beast::http::request_parser<beast::http::string_body>;

  void DoReadHeader();
  void OnReadHeader(beast::error_code error, size_t bytes);
  void DoReadBody();
  void OnReadBody(beast::error_code error, size_t bytes);
  void Respond();
  void DoWrite(beast::http::response<beast::http::string_body> response);
  void OnWrite(bool close, beast::error_code error, size_t bytes);
  void SendContinue();
  void DrainAndClose();
  void DrainSome(std::shared_ptr<std::array<char, 16 * 1024>> discard, size_t drained);
  void Close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  SessionContext& context_;
  std::function<void()> on_close_;
  std::optional<Parser> parser_;
  std::string remote_;
  bool body_too_large_ = false;
  bool busy_ = false;      // a request is being read past its headers, handled or answered
  bool stopping_ = false;  // close after the current response
  std::chrono::steady_clock::time_point started_;
  std::shared_ptr<void> response_;  // keeps the response alive during the write
};

}  // namespace roster::http
