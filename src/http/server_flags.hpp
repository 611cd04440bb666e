// The `roster serve` command-line options that set the server's limits and TLS files.
#pragma once

#include <CLI/CLI.hpp>

#include "http/server_options.hpp"

namespace roster::http {

// Values of the options as parsed; defaults come from ServerOptions.
struct ServerFlags {
  int read_timeout_seconds = static_cast<int>(ServerOptions{}.read_timeout.count());
  int shutdown_grace_seconds = static_cast<int>(ServerOptions{}.shutdown_grace.count());
  size_t max_connections = ServerOptions{}.max_connections;
  size_t header_limit = ServerOptions{}.header_limit;
  size_t body_limit = ServerOptions{}.body_limit;
  int write_threads = 0;  // 0: WriteThreadCount's default
  bool no_access_log = false;
  std::string auth_failure_limit;  // "FAILURES/SECONDS"; empty keeps the default
  std::string rate_limit;          // "REQUESTS/SECONDS"; empty leaves it off
  std::string tls_certificate_file;
  std::string tls_key_file;
};

// Registers the options on `command` (the serve or demo subcommand).
void AddServerFlags(CLI::App& command, ServerFlags& flags);

// Copies parsed flags into `options`. The options' formats were checked while parsing.
void ApplyServerFlags(const ServerFlags& flags, ServerOptions& options);

}  // namespace roster::http
