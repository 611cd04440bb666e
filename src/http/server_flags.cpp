#include "http/server_flags.hpp"

#include <fmt/format.h>

namespace roster::http {
namespace {

// Accepts "N/SECONDS" with two positive integers.
CLI::Validator RatePerWindowValidator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (auth::ParseRatePerWindow(text)) return {};
        return fmt::format("must be COUNT/SECONDS with two positive integers, such as 20/10; "
                           "got \"{}\"",
                           text);
      },
      "COUNT/SECONDS");
}

}  // namespace

void AddServerFlags(CLI::App& command, ServerFlags& flags) {
  ServerOptions defaults;
  command
      .add_option("--read-timeout", flags.read_timeout_seconds,
                  "Seconds a client has to send a request's headers, then its body, and that an "
                  "idle connection stays open")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  command
      .add_option("--shutdown-grace", flags.shutdown_grace_seconds,
                  "Seconds in-flight requests get to finish after SIGTERM or SIGINT")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));

  command
      .add_option("--write-threads", flags.write_threads,
                  fmt::format("Threads that run requests which change data, each waiting for "
                              "its commit (default {})",
                              WriteThreadCount(0)))
      ->check(CLI::Range(0, 1024));
  command.add_flag("--no-access-log", flags.no_access_log,
                   "Write no log line per request; start-up, warnings and errors are still "
                   "logged");
  command
      .add_option("--max-connections", flags.max_connections,
                  "Open connections at most; further ones are closed on accept")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  command
      .add_option("--header-limit", flags.header_limit,
                  "Bytes a request's headers may take; more gets 431")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, size_t{1} << 20));
  command
      .add_option("--body-limit", flags.body_limit,
                  "Bytes a request body may take; more gets 413")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));

  command
      .add_option("--auth-failure-limit", flags.auth_failure_limit,
                  fmt::format("Failed authentications per client address per window before it "
                              "gets 429, as FAILURES/SECONDS (default {}/{})",
                              defaults.auth_failures.max_failures,
                              defaults.auth_failures.window.count()))
      ->check(RatePerWindowValidator());
  command
      .add_option("--rate-limit", flags.rate_limit,
                  "Requests per API token per window, as REQUESTS/SECONDS; more gets 429 "
                  "(default: no limit)")
      ->check(RatePerWindowValidator());

  auto* certificate =
      command
          .add_option("--tls-cert", flags.tls_certificate_file,
                      "PEM certificate chain; with --tls-key, serve HTTPS instead of HTTP")
          ->check(CLI::ExistingFile);
  auto* key = command.add_option("--tls-key", flags.tls_key_file, "PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  certificate->needs(key);
  key->needs(certificate);
}

void ApplyServerFlags(const ServerFlags& flags, ServerOptions& options) {
  options.read_timeout = std::chrono::seconds(flags.read_timeout_seconds);
  options.shutdown_grace = std::chrono::seconds(flags.shutdown_grace_seconds);
  options.max_connections = flags.max_connections;
  options.header_limit = flags.header_limit;
  options.write_threads = flags.write_threads;
  options.access_log = !flags.no_access_log;
  options.body_limit = flags.body_limit;
  if (auto failures = auth::ParseRatePerWindow(flags.auth_failure_limit)) {
    options.auth_failures = auth::FailureLimit{failures->first, failures->second};
  }
  if (auto rate = auth::ParseRatePerWindow(flags.rate_limit)) {
    options.rate_limit = auth::RateLimit{rate->first, rate->second};
  }
  options.tls_certificate_file = flags.tls_certificate_file;
  options.tls_key_file = flags.tls_key_file;
}

}  // namespace roster::http
