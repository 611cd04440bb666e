// Listener and connection limits of the HTTP server, with their defaults.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace roster::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  int threads = 0;       // 0: one per core
  // A request's headers may take at most this many bytes; larger ones get 431.
  size_t header_limit = 16 * 1024;
  // A request body may take at most this many bytes; larger ones get 413.
  size_t body_limit = 1024 * 1024;
  // A client must send each request's headers, and then its body, within this time or is
  // disconnected; an idle keep-alive connection is closed after it too.
  std::chrono::seconds read_timeout{15};
  // Connections past this many are closed as soon as they are accepted.
  size_t max_connections = 1024;
  // On SIGINT/SIGTERM, in-flight requests get this long to finish before the process exits.
  std::chrono::seconds shutdown_grace{10};
};

}  // namespace roster::http
