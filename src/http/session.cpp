#include "http/session.hpp"

#include <boost/beast/ssl.hpp>
#include <boost/url.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <optional>
#include <type_traits>

namespace roster::http {
namespace bhttp = beast::http;

api::ApiRequest ToApiRequest(const bhttp::request<bhttp::string_body>& message,
                             std::string client_address) {
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
  request.client_address = std::move(client_address);
  return request;
}

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// A connection over `Stream`: beast::tcp_stream for plain HTTP, TlsStream for HTTPS.
template <class Stream>
class HttpSession : public Session, public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  template <class... StreamArgs>
  HttpSession(SessionContext& context, std::function<void()> on_close, tcp::socket&& socket,
              StreamArgs&... stream_args)
      : stream_(std::move(socket), stream_args...),
        context_(context),
        on_close_(std::move(on_close)) {
    beast::error_code error;
    auto endpoint = Socket().remote_endpoint(error);
    remote_ = error ? "unknown" : endpoint.address().to_string();
  }

  ~HttpSession() override {
    if (on_close_) on_close_();
  }

  void Start() override {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->DoHandshake();
      } else {
        self->DoReadHeader();
      }
    });
  }

  void Stop() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->stopping_ = true;
      if (!self->busy_) self->Close();
    });
  }

 private:
  using Parser = bhttp::request_parser<bhttp::string_body>;
  using DrainBuffer = std::array<char, 16 * 1024>;

  tcp::socket& Socket() { return beast::get_lowest_layer(stream_).socket(); }
  void ExpiresAfter(std::chrono::seconds timeout) {
    beast::get_lowest_layer(stream_).expires_after(timeout);
  }

  void DoHandshake() {
    ExpiresAfter(context_.options.read_timeout);
    stream_.async_handshake(net::ssl::stream_base::server,
                            [self = this->shared_from_this()](beast::error_code error) {
                              // A client that is not speaking TLS, or too slowly, is dropped.
                              if (error) return self->Close();
                              self->DoReadHeader();
                            });
  }

  void DoReadHeader() {
    if (stopping_) return Close();
    busy_ = false;
    body_too_large_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(context_.options.header_limit));
    // No body limit while the header is read: Beast checks Content-Length against it as soon as
    // it parses that field and stops there, which would leave the fields after it unparsed
    // (Authorization among them). OnReadHeader checks the length and sets the limit.
    parser_->body_limit(boost::none);
    // One deadline covers all the reads of the header, so a client that trickles bytes is
    // dropped as surely as one that sends nothing.
    ExpiresAfter(context_.options.read_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnReadHeader, this->shared_from_this()));
  }

  void OnReadHeader(beast::error_code error, size_t) {
    if (error == bhttp::error::header_limit) {
      busy_ = true;
      bhttp::response<bhttp::string_body> response{
          bhttp::status::request_header_fields_too_large, 11};
      response.set(bhttp::field::content_type, "application/hal+json");
      response.body() =
          api::ApiError(431, "bad_request", "The request headers are too large").Body();
      response.keep_alive(false);
      response.prepare_payload();
      return DoWrite(std::move(response));
    }
    if (error) return Close();  // end of stream, timeout, reset or malformed request
    busy_ = true;
    started_ = std::chrono::steady_clock::now();
    auto length = parser_->content_length();
    if (length && *length > context_.options.body_limit) {
      // The body is not read at all, but the whole header is, so the request still gets its
      // 401/403/404 before 413. The response carries Connection: close.
      body_too_large_ = true;
      return Respond();
    }
    parser_->body_limit(context_.options.body_limit);  // limits a chunked body
    if (parser_->is_done()) return Respond();
    if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      return SendContinue();
    }
    DoReadBody();
  }

  void SendContinue() {
    auto interim =
        std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_, 11);
    ExpiresAfter(context_.options.read_timeout);
    bhttp::async_write(stream_, *interim,
                       [self = this->shared_from_this(), interim](beast::error_code error, size_t) {
                         if (error) return self->Close();
                         self->DoReadBody();
                       });
  }

  void DoReadBody() {
    ExpiresAfter(context_.options.read_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpSession::OnReadBody, this->shared_from_this()));
  }

  void OnReadBody(beast::error_code error, size_t) {
    if (error == bhttp::error::body_limit) {
      body_too_large_ = true;
      return Respond();
    }
    // A client that disconnects or stalls mid-body gets no response and causes no write.
    if (error) return Close();
    Respond();
  }

  void Respond() {
    auto request = std::make_shared<api::ApiRequest>(ToApiRequest(parser_->get(), remote_));
    request->body_too_large = body_too_large_;
    request->request_id = context_.next_request_id();
    if (!context_.write_pool || !ChangesData(parser_->get().method())) {
      return Answer(*request, context_.router.Dispatch(context_.services, *request));
    }
    // A write may wait for a group commit, so it waits on a write thread, and the response
    // comes back to this connection's strand. The work guard keeps the I/O threads running
    // meanwhile, and nothing else touches this session until then.
    net::post(*context_.write_pool,
              [self = this->shared_from_this(), request,
               work = net::make_work_guard(stream_.get_executor())]() mutable {
                api::ApiResponse result =
                    self->context_.router.Dispatch(self->context_.services, *request);
                net::post(self->stream_.get_executor(),
                          [self, request, result = std::move(result)]() mutable {
                            self->Answer(*request, std::move(result));
                          });
              });
  }

  static bool ChangesData(bhttp::verb method) {
    return method == bhttp::verb::post || method == bhttp::verb::put ||
           method == bhttp::verb::patch || method == bhttp::verb::delete_;
  }

  void Answer(const api::ApiRequest& request, api::ApiResponse result) {
    const auto& message = parser_->get();
    // A body that was not read leaves the stream unusable for another request.
    bool close = body_too_large_ || !parser_->is_done() || !message.keep_alive() || stopping_;
    log_ = RequestLog{request.request_id, request.method, request.path, result.status,
                      request.body.size()};
    if (result.stream) return StartStream(std::move(result), close);

    bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(result.status), 11};
    SetHeaders(response, result);
    response.body() = std::move(result.body);
    response.keep_alive(!close);
    response.prepare_payload();
    LogRequest(response.body().size());
    DoWrite(std::move(response));
  }

  template <class Response>
  void SetHeaders(Response& response, const api::ApiResponse& result) {
    response.set(bhttp::field::content_type, "application/hal+json");
    response.set("X-Request-Id", log_.request_id);
    for (const auto& [name, value] : result.headers) response.set(name, value);
  }

  void LogRequest(size_t bytes_out) {
    if (!context_.options.access_log) return;
    double elapsed_ms = std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - started_).count();
    spdlog::info("request_id={} client={} method={} path={} status={} latency_ms={:.2f} "
                 "bytes_in={} bytes_out={}",
                 log_.request_id, remote_, log_.method, log_.path, log_.status, elapsed_ms,
                 log_.bytes_in, bytes_out);
  }

  // Sends a streamed response: the header, then `result.body` and each part of
  // `result.stream`. An HTTP/1.1 client gets each part as one chunk of a chunked body. An
  // HTTP/1.0 client cannot read chunks, so it gets the parts as they are, and the end of the
  // connection ends the body. One part is in memory at a time, and each write gets its own
  // deadline, so a client that stops reading is dropped.
  void StartStream(api::ApiResponse result, bool close) {
    stream_chunked_ = parser_->get().version() >= 11;
    if (!stream_chunked_) close = true;
    auto header = std::make_shared<bhttp::response<bhttp::empty_body>>(
        static_cast<bhttp::status>(result.status), 11);
    SetHeaders(*header, result);
    header->keep_alive(!close);
    header->chunked(stream_chunked_);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*header);
    stream_source_ = std::move(result.stream);
    stream_part_ = std::move(result.body);
    stream_more_ = true;
    stream_bytes_ = 0;
    ExpiresAfter(context_.options.read_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), header, serializer, close](beast::error_code error,
                                                                     size_t) {
          if (error) return self->CutStream("writing the header failed: " + error.message());
          self->WriteStreamPart(close);
        });
  }

  // Writes the part in hand and reads the next one, until the source has no more. Then it
  // ends the body and goes on as after any other response.
  void WriteStreamPart(bool close) {
    while (stream_part_.empty() && stream_more_) {
      if (!ReadStreamPart()) return;  // the source failed and the connection is closed
    }
    if (stream_part_.empty()) {
      stream_source_ = nullptr;
      LogRequest(stream_bytes_);
      if (!stream_chunked_) return OnWrite(true, {}, 0);  // closing ends an HTTP/1.0 body
      ExpiresAfter(context_.options.read_timeout);
      return net::async_write(stream_, bhttp::make_chunk_last(),
                              [self = this->shared_from_this(), close](beast::error_code error,
                                                                       size_t) {
                                self->OnWrite(close, error, 0);
                              });
    }
    auto on_written = [self = this->shared_from_this(), close](beast::error_code error,
                                                                size_t) {
      if (error) return self->CutStream("writing failed: " + error.message());
      self->stream_bytes_ += self->stream_part_.size();
      self->stream_part_.clear();
      self->WriteStreamPart(close);
    };
    ExpiresAfter(context_.options.read_timeout);
    if (stream_chunked_) {
      net::async_write(stream_, bhttp::make_chunk(net::buffer(stream_part_)), on_written);
    } else {
      net::async_write(stream_, net::buffer(stream_part_), on_written);
    }
  }

  // Fills stream_part_ from the source and returns true. On a failure it cuts the response
  // off and returns false.
  bool ReadStreamPart() {
    try {
      stream_more_ = stream_source_(stream_part_);
      return true;
    } catch (const std::exception& error) {
      spdlog::error("request_id={} reading the next part failed: {}", log_.request_id,
                    error.what());
      CutStream("reading the next part failed");
      return false;
    }
  }

  // Ends a streamed response before its end and closes the connection. A chunked body then
  // lacks its last chunk, which HTTP/1.1 clients report as an error, never as a short list.
  void CutStream(const std::string& reason) {
    spdlog::warn("request_id={} streamed response cut off after {} bytes: {}", log_.request_id,
                 stream_bytes_, reason);
    LogRequest(stream_bytes_);
    stream_part_.clear();
    stream_source_ = nullptr;
    Close();
  }

  void DoWrite(bhttp::response<bhttp::string_body> response) {
    bool close = !response.keep_alive();
    auto shared = std::make_shared<bhttp::response<bhttp::string_body>>(std::move(response));
    response_ = shared;
    ExpiresAfter(context_.options.read_timeout);
    bhttp::async_write(
        stream_, *shared,
        beast::bind_front_handler(&HttpSession::OnWrite, this->shared_from_this(), close));
  }

  void OnWrite(bool close, beast::error_code error, size_t) {
    response_.reset();
    if (error) return Close();
    if (close) return DrainAndClose();
    DoReadHeader();
  }

  // Ends the connection after a response that carried Connection: close.
  void DrainAndClose() {
    // Closing a socket with unread request bytes makes the kernel send a reset, which can
    // destroy the response before the client reads it; so stop sending, discard what the
    // client still sends for a short while, then close.
    // Over TLS the TCP send side stays open until close_notify has been sent, after the drain.
    if constexpr (!kTls) {
      beast::error_code ignored;
      Socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    ExpiresAfter(std::chrono::seconds(2));
    DrainSome(std::make_shared<DrainBuffer>(), 0);
  }

  void DrainSome(std::shared_ptr<DrainBuffer> discard, size_t drained) {
    constexpr size_t kMaxDrainBytes = 4 * 1024 * 1024;
    if (drained > kMaxDrainBytes) return FinishClose();
    stream_.async_read_some(
        net::buffer(*discard),
        [self = this->shared_from_this(), discard, drained](beast::error_code error,
                                                            size_t bytes) {
          if (error) return self->FinishClose();
          self->DrainSome(discard, drained + bytes);
        });
  }

  // Ends a drained connection. Over TLS it sends close_notify first, which fails at once when
  // the drain timed out, because the timeout closed the socket.
  void FinishClose() {
    if constexpr (kTls) {
      ExpiresAfter(std::chrono::seconds(1));
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->Close(); });
    } else {
      Close();
    }
  }

  void Close() {
    beast::error_code ignored;
    Socket().shutdown(tcp::socket::shutdown_send, ignored);
    Socket().close(ignored);
  }

  Stream stream_;
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

  // The fields of the current request's access log line.
  struct RequestLog {
    std::string request_id, method, path;
    unsigned status = 0;
    size_t bytes_in = 0;
  };
  RequestLog log_;

  // The streamed response in progress (see StartStream).
  api::BodySource stream_source_;
  std::string stream_part_;
  bool stream_more_ = false;
  bool stream_chunked_ = true;  // false for an HTTP/1.0 client
  size_t stream_bytes_ = 0;     // body bytes written so far
};

}  // namespace

std::shared_ptr<Session> MakePlainSession(tcp::socket&& socket, SessionContext& context,
                                          std::function<void()> on_close) {
  return std::make_shared<HttpSession<beast::tcp_stream>>(context, std::move(on_close),
                                                          std::move(socket));
}

std::shared_ptr<Session> MakeTlsSession(tcp::socket&& socket, net::ssl::context& tls_context,
                                        SessionContext& context, std::function<void()> on_close) {
  return std::make_shared<HttpSession<TlsStream>>(context, std::move(on_close), std::move(socket),
                                                  tls_context);
}

}  // namespace roster::http
