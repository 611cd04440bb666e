#include "storage/postgres_database.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <unordered_map>

namespace roster::storage {
namespace {

using Clock = std::chrono::steady_clock;

// PostgreSQL type OIDs of the parameters Store sends (pg_type.h).
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

StoreErrorCode MapSqlState(std::string_view state) {
  if (state == "23505") return StoreErrorCode::kConflict;
  if (state == "40001" || state == "40P01") return StoreErrorCode::kRetry;
  // Class 08 is connection exceptions. 57P01 to 57P05 are server shutdown, start-up and idle
  // session timeouts, 57014 is a statement timeout and 53300 is too many connections.
  if (state.starts_with("08") || state.starts_with("57P") || state == "57014" ||
      state == "53300") {
    return StoreErrorCode::kUnavailable;
  }
  return StoreErrorCode::kInternal;
}

// Joins a multi-line libpq message into one line.
std::string OneLine(std::string_view text) {
  std::string line;
  for (char c : text) {
    if (c == '\n' || c == '\t') {
      if (!line.empty() && line.back() != ' ') line += ' ';
    } else {
      line += c;
    }
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

// Sends server notices and warnings, such as "terminating connection due to administrator
// command", to the log instead of stderr.
void LogNotice(void*, const char* message) {
  spdlog::warn("postgresql: {}", OneLine(message));
}

class PostgresRow : public Row {
 public:
  PostgresRow(PGresult* result, int row) : result_(result), row_(row) {}
  bool IsNull(int column) const override { return PQgetisnull(result_, row_, column); }
  int64_t GetInt(int column) const override {
    return std::strtoll(PQgetvalue(result_, row_, column), nullptr, 10);
  }
  std::string GetText(int column) const override {
    return std::string(PQgetvalue(result_, row_, column), PQgetlength(result_, row_, column));
  }

 private:
  PGresult* result_;
  int row_;
};

class PostgresConnection : public Connection {
 public:
  explicit PostgresConnection(const std::string& url) {
    // The defaults come before the URL, so that parameters in the URL override them.
    std::string connect_timeout = std::to_string(kPostgresConnectTimeoutSeconds);
    std::string tcp_user_timeout = std::to_string(kPostgresTcpUserTimeoutMs);
    const char* keys[] = {"connect_timeout",  "tcp_user_timeout", "keepalives",
                          "keepalives_idle",  "keepalives_interval", "keepalives_count",
                          "application_name", "dbname",           nullptr};
    const char* values[] = {connect_timeout.c_str(), tcp_user_timeout.c_str(), "1", "30", "5",
                            "3", "roster", url.c_str(), nullptr};
    connection_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (PQstatus(connection_) != CONNECTION_OK) {
      std::string message = connection_ ? PQerrorMessage(connection_) : "out of memory";
      PQfinish(connection_);
      connection_ = nullptr;
      throw StoreError(StoreErrorCode::kUnavailable,
                       "cannot connect to PostgreSQL: " + OneLine(message));
    }
    PQsetNoticeProcessor(connection_, LogNotice, nullptr);
    try {
      ExecuteScript("SET client_min_messages = warning");
      SetStatementTimeout(kPostgresStatementTimeout);
    } catch (...) {
      PQfinish(connection_);
      connection_ = nullptr;
      throw;
    }
  }

  ~PostgresConnection() override {
    if (connection_) PQfinish(connection_);
  }

  int64_t Execute(std::string_view sql, const Params& params, const RowHandler& on_row) override {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size());
    std::vector<Oid> types(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* number = std::get_if<int64_t>(&params[i])) {
        texts[i] = std::to_string(*number);
        values[i] = texts[i].c_str();
        types[i] = kInt8Oid;
      } else if (const auto* text = std::get_if<std::string>(&params[i])) {
        values[i] = text->c_str();
        types[i] = kTextOid;
      } else {
        values[i] = nullptr;
        types[i] = 0;  // NULL: the server infers the type from the statement
      }
    }
    const std::string& name = Prepare(sql, types);
    Send(PQsendQueryPrepared(connection_, name.c_str(), static_cast<int>(params.size()),
                             values.data(), nullptr, nullptr, 0),
         "statement");
    ResultPtr result = AwaitResult("statement");
    if (on_row) {
      int count = PQntuples(result.get());
      for (int row = 0; row < count; ++row) on_row(PostgresRow(result.get(), row));
    }
    const char* changed = PQcmdTuples(result.get());
    return changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
  }

  void ExecuteScript(std::string_view sql) override {
    Send(PQsendQuery(connection_, std::string(sql).c_str()), "script");
    AwaitResult("script");
  }

  void BeginWrite() override { ExecuteScript("BEGIN"); }
  void BeginRead() override { ExecuteScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  void Commit() override { ExecuteScript("COMMIT"); }

  void Rollback() noexcept override {
    // A broken connection is discarded, and the server rolls its transaction back.
    if (IsBroken() || PQtransactionStatus(connection_) == PQTRANS_IDLE) return;
    try {
      ExecuteScript("ROLLBACK");
    } catch (const std::exception& error) {
      broken_ = true;
      spdlog::warn("postgresql rollback failed: {}", error.what());
    }
  }

  bool IsBroken() const override {
    return broken_ || !connection_ || PQstatus(connection_) != CONNECTION_OK;
  }

  bool CheckAlive() override {
    if (IsBroken() || PQtransactionStatus(connection_) != PQTRANS_IDLE) return false;
    // An idle connection receives data only when the server reports an error and closes it
    // (a server shutdown or restart sends FATAL 57P01, then closes the socket). Reading what
    // is pending detects both, with no round trip. A few reads reach an end of stream that
    // arrives after the error message.
    for (int round = 0; round < 4; ++round) {
      pollfd ready{PQsocket(connection_), POLLIN, 0};
      int polled = poll(&ready, 1, 0);
      if (polled == 0) return true;
      if (polled < 0 || (ready.revents & (POLLERR | POLLHUP | POLLNVAL)) ||
          !PQconsumeInput(connection_) || PQstatus(connection_) != CONNECTION_OK) {
        broken_ = true;
        return false;
      }
      PQisBusy(connection_);  // parses what arrived: an error goes to LogNotice
      while (PGnotify* notification = PQnotifies(connection_)) PQfreemem(notification);
    }
    return !IsBroken();
  }

  void SetStatementTimeout(std::chrono::milliseconds timeout) override {
    ExecuteScript(fmt::format("SET statement_timeout = {}", timeout.count()));
    statement_timeout_ = timeout;
  }

 private:
  const std::string& Prepare(std::string_view sql, const std::vector<Oid>& types) {
    auto found = statements_.find(std::string(sql));
    if (found != statements_.end()) return found->second;
    std::string name = fmt::format("roster_{}", statements_.size() + 1);
    Send(PQsendPrepare(connection_, name.c_str(), std::string(sql).c_str(),
                       static_cast<int>(types.size()), types.data()),
         "prepare");
    AwaitResult("prepare");
    return statements_.emplace(std::string(sql), std::move(name)).first->second;
  }

  bool IsClosed() const { return PQstatus(connection_) != CONNECTION_OK; }
  ConnectionFault FaultIfClosed() const {
    return IsClosed() ? ConnectionFault::kClosed : ConnectionFault::kNone;
  }

  void Send(int sent, std::string_view operation) {
    if (sent) return;
    broken_ = true;
    throw StoreError(StoreErrorCode::kUnavailable,
                     fmt::format("postgresql {} could not be sent: {}", operation,
                                 OneLine(PQerrorMessage(connection_))),
                     FaultIfClosed());
  }

  // Waits until the reply to what was sent is complete, at most the statement timeout plus
  // kPostgresReplyGrace, and returns its result (the first failed one of a script). Throws
  // StoreError for a failed statement; a reply that does not come in time breaks the
  // connection, because it may still arrive later.
  ResultPtr AwaitResult(std::string_view operation) {
    Clock::time_point deadline = Clock::now() + statement_timeout_ + kPostgresReplyGrace;
    ResultPtr result;
    while (true) {
      WaitUntilReadable(deadline, operation);
      ResultPtr next(PQgetResult(connection_));
      if (!next) break;
      if (!result || (Succeeded(result.get()) && !Succeeded(next.get()))) {
        result = std::move(next);
      }
    }
    Check(result.get(), operation);
    return result;
  }

  void WaitUntilReadable(Clock::time_point deadline, std::string_view operation) {
    while (true) {
      if (!PQconsumeInput(connection_)) {
        broken_ = true;
        throw StoreError(StoreErrorCode::kUnavailable,
                         fmt::format("postgresql {} failed: {}", operation,
                                     OneLine(PQerrorMessage(connection_))),
                         FaultIfClosed());
      }
      if (!PQisBusy(connection_)) return;
      auto remaining =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (remaining.count() <= 0) {
        broken_ = true;
        throw StoreError(StoreErrorCode::kUnavailable,
                         fmt::format("postgresql {} got no reply within {} ms", operation,
                                     (statement_timeout_ + kPostgresReplyGrace).count()),
                         ConnectionFault::kNoReply);
      }
      pollfd ready{PQsocket(connection_), POLLIN, 0};
      if (poll(&ready, 1, static_cast<int>(remaining.count()) + 1) < 0 && errno != EINTR) {
        broken_ = true;
        throw StoreError(StoreErrorCode::kUnavailable,
                         fmt::format("postgresql {} failed: poll: {}", operation,
                                     std::strerror(errno)));
      }
    }
  }

  static bool Succeeded(const PGresult* result) {
    ExecStatusType status = PQresultStatus(result);
    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK ||
           status == PGRES_EMPTY_QUERY;
  }

  void Check(PGresult* result, std::string_view operation) {
    if (result && Succeeded(result)) return;
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    StoreErrorCode code = state ? MapSqlState(state) : StoreErrorCode::kUnavailable;
    if (IsClosed()) code = StoreErrorCode::kUnavailable;
    if (code == StoreErrorCode::kUnavailable) broken_ = true;
    const char* message = result ? PQresultErrorMessage(result) : "";
    if (!*message) message = PQerrorMessage(connection_);
    throw StoreError(code,
                     fmt::format("postgresql {} failed ({}): {}", operation,
                                 state ? state : "no SQLSTATE", OneLine(message)),
                     FaultIfClosed());
  }

  PGconn* connection_ = nullptr;
  bool broken_ = false;
  std::chrono::milliseconds statement_timeout_ = kPostgresStatementTimeout;
  std::unordered_map<std::string, std::string> statements_;  // SQL text -> prepared name
};

}  // namespace

PostgresDatabase::PostgresDatabase(std::string url) : url_(std::move(url)) {}

std::unique_ptr<Connection> PostgresDatabase::Connect() {
  return std::make_unique<PostgresConnection>(url_);
}

std::string PostgresDatabase::DisplayName() const {
  // Hides the password of postgresql://user:password@host/... and of ?password=...
  std::string shown = url_;
  size_t scheme = shown.find("://");
  size_t at = shown.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    size_t colon = shown.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) shown.replace(colon + 1, at - colon - 1, "***");
  }
  for (size_t key = shown.find("password="); key != std::string::npos;
       key = shown.find("password=", key + 1)) {
    if (key == 0 || (shown[key - 1] != '?' && shown[key - 1] != '&')) continue;
    size_t start = key + 9;
    size_t end = shown.find('&', start);
    shown.replace(start, end == std::string::npos ? std::string::npos : end - start, "***");
  }
  return shown;
}

}  // namespace roster::storage
