// Listener and connection limits of the HTTP server, with their defaults.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <algorithm>

#include "auth/throttle.hpp"

namespace roster::http {

// Returns `requested`, or when it is 0 the default: four I/O threads per core. Handlers block
// on the database, and more threads than cores let concurrent writes reach the SQLite group
// committer together (measured in docs/benchmarks.md: 8 threads on 2 cores served about 3 times
// the creates per second of 2 threads).
inline int ThreadCount(int requested) {
  if (requested > 0) return requested;
  return 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Returns `requested`, or when it is 0 the default of 32: the threads that run requests
// which change data. A write waits there for its commit, so up to this many writes can share
// one SQLite group commit while the I/O threads go on serving reads.
inline int WriteThreadCount(int requested) { return requested > 0 ? requested : 32; }

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port
  int threads = 0;       // 0: ThreadCount's default
  int write_threads = 0;  // 0: WriteThreadCount's default
  bool access_log = true;  // one log line per request
  // A request's headers may take at most this many bytes; larger ones get 431.
  size_t header_limit = 16 * 1024;
  // A request body may take at most this many bytes; larger ones get 413.
  size_t body_limit = 1024 * 1024;
  // A client must send each request's headers, and then its body, within this time or is
  // disconnected; an idle keep-alive connection is closed after it too, and so is a TLS
  // handshake that takes longer.
  std::chrono::seconds read_timeout{15};
  // Connections past this many are closed as soon as they are accepted.
  size_t max_connections = 1024;
  // On SIGINT/SIGTERM, in-flight requests get this long to finish before the process exits.
  std::chrono::seconds shutdown_grace{10};
  // Failed authentications per client address before it is throttled (see auth::AuthThrottle).
  auth::FailureLimit auth_failures{};
  // Requests per API token; off (0 requests) by default.
  auth::RateLimit rate_limit{};
  // How many client addresses, and separately how many tokens, the limits above track at once;
  // the least recently seen one is forgotten to make room.
  size_t max_tracked_clients = 10000;
  // PEM files of the certificate chain and private key; when both are set the server speaks
  // HTTPS only.
  std::string tls_certificate_file;
  std::string tls_key_file;

  bool tls_enabled() const { return !tls_certificate_file.empty(); }
};

}  // namespace roster::http
