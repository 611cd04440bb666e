#include "http/session.hpp"

#include <boost/url.hpp>
#include <spdlog/spdlog.h>

namespace roster::http {
namespace bhttp = beast::http;

namespace {

// Builds the API's view of a request from the parsed header and body.
api::ApiRequest ToApiRequest(const bhttp::request<bhttp::string_body>& message) {
  api::ApiRequest request;
  request.method = std::string(message.method_string());
  auto target = boost::urls::parse_origin_form(message.target());
  if (target) {
    for (const std::string segment : target->segments()) {
      // A decoded slash inside one segment matches no route.
      request.path += "/" + (segment.find('/') == std::string::npos ? segment : "%2F");
    }
    if (request.path.empty()) request.path = "/";
    for (const auto& param : target->params()) {
      request.query.emplace_back(param.key, param.value);
    }
  } else {
    request.path = "/invalid-target";
  }
  request.authorization = std::string(message[bhttp::field::authorization]);
  auto content_type = message.find(bhttp::field::content_type);
  request.has_content_type = content_type != message.end();
  if (request.has_content_type) request.content_type = std::string(content_type->value());
  request.body = message.body();
  return request;
}

}  // namespace

Session::Session(tcp::socket&& socket, SessionContext& context, std::function<void()> on_close)
    : stream_(std::move(socket)), context_(context), on_close_(std::move(on_close)) {
  beast::error_code error;
  auto endpoint = stream_.socket().remote_endpoint(error);
  remote_ = error ? "unknown" : endpoint.address().to_string();
}

Session::~Session() {
  if (on_close_) on_close_();
}

void Session::Start() {
  net::dispatch(stream_.get_executor(),
                beast::bind_front_handler(&Session::DoReadHeader, shared_from_this()));
}

void Session::Stop() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    self->stopping_ = true;
    if (!self->busy_) self->Close();
  });
}

void Session::DoReadHeader() {
  if (stopping_) return Close();
  busy_ = false;
  body_too_large_ = false;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(context_.options.header_limit));
  parser_->body_limit(context_.options.body_limit);
  stream_.expires_after(context_.options.read_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::OnReadHeader, shared_from_this()));
}

void Session::OnReadHeader(beast::error_code error, size_t) {
  if (error == bhttp::error::header_limit) {
    busy_ = true;
    bhttp::response<bhttp::string_body> response{bhttp::status::request_header_fields_too_large,
                                                 11};
    response.set(bhttp::field::content_type, "application/hal+json");
    response.body() = api::ApiError(431, "bad_request", "The request headers are too large").Body();
    response.keep_alive(false);
    return DoWrite(std::move(response));
  }
  if (error) return Close();  // end of stream, timeout, reset or malformed request
  busy_ = true;
  started_ = std::chrono::steady_clock::now();
  auto length = parser_->content_length();
  if (length && *length > context_.options.body_limit) {
    // The body is not read at all: the response carries Connection: close.
    body_too_large_ = true;
    return Respond();
  }
  if (parser_->is_done()) return Respond();
  if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) return SendContinue();
  DoReadBody();
}

void Session::SendContinue() {
  auto interim = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
  bhttp::async_write(stream_, *interim,
                     [self = shared_from_this(), interim](beast::error_code error, size_t) {
                       if (error) return self->Close();
                       self->DoReadBody();
                     });
}

void Session::DoReadBody() {
  stream_.expires_after(context_.options.read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::OnReadBody, shared_from_this()));
}

void Session::OnReadBody(beast::error_code error, size_t) {
  if (error == bhttp::error::body_limit) {
    body_too_large_ = true;
    return Respond();
  }
  // A client that disconnects or stalls mid-body gets no response and causes no write.
  if (error) return Close();
  Respond();
}

void Session::Respond() {
  const auto& message = parser_->get();
  api::ApiRequest request = ToApiRequest(message);
  request.body_too_large = body_too_large_;
  request.request_id = context_.next_request_id();
  api::ApiResponse result = context_.router.Dispatch(context_.services, request);

  bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(result.status), 11};
  response.set(bhttp::field::content_type, "application/hal+json");
  response.set("X-Request-Id", request.request_id);
  for (const auto& [name, value] : result.headers) response.set(name, value);
  response.body() = std::move(result.body);
  // A body that was not read leaves the stream unusable for another request.
  bool close = body_too_large_ || !parser_->is_done() || !message.keep_alive() || stopping_;
  response.keep_alive(!close);
  response.prepare_payload();

  double elapsed_ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - started_).count();
  spdlog::info("request_id={} client={} method={} path={} status={} latency_ms={:.2f} "
               "bytes_in={} bytes_out={}",
               request.request_id, remote_, request.method, request.path, result.status,
               elapsed_ms, request.body.size(), response.body().size());
  DoWrite(std::move(response));
}

void Session::DoWrite(bhttp::response<bhttp::string_body> response) {
  bool close = !response.keep_alive();
  auto shared = std::make_shared<bhttp::response<bhttp::string_body>>(std::move(response));
  response_ = shared;
  stream_.expires_after(context_.options.read_timeout);
  bhttp::async_write(stream_, *shared,
                     beast::bind_front_handler(&Session::OnWrite, shared_from_this(), close));
}

void Session::OnWrite(bool close, beast::error_code error, size_t) {
  response_.reset();
  if (error) return Close();
  if (close) return DrainAndClose();
  DoReadHeader();
}

void Session::DrainAndClose() {
  // Closing a socket with unread request bytes makes the kernel send a reset, which can destroy
  // the response before the client reads it; so stop sending, discard what the client still
  // sends for a short while, then close.
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.expires_after(std::chrono::seconds(2));
  auto discard = std::make_shared<std::array<char, 16 * 1024>>();
  DrainSome(discard, 0);
}

void Session::DrainSome(std::shared_ptr<std::array<char, 16 * 1024>> discard, size_t drained) {
  constexpr size_t kMaxDrainBytes = 4 * 1024 * 1024;
  if (drained > kMaxDrainBytes) return Close();
  stream_.async_read_some(
      net::buffer(*discard),
      [self = shared_from_this(), discard, drained](beast::error_code error, size_t bytes) {
        if (error) return self->Close();
        self->DrainSome(discard, drained + bytes);
      });
}

void Session::Close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

}  // namespace roster::http
