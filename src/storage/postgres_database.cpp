#include "storage/postgres_database.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <fmt/format.h>
#include <unordered_map>

namespace roster::storage {
namespace {

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
  // Class 08 is connection exceptions; 57P01-57P03 are server shutdown and start-up; 57014 is a
  // statement timeout; 53300 is too many connections.
  if (state.starts_with("08") || state.starts_with("57P") || state == "57014" ||
      state == "53300") {
    return StoreErrorCode::kUnavailable;
  }
  return StoreErrorCode::kInternal;
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
    std::string connect_timeout = std::to_string(kPostgresConnectTimeoutSeconds);
    const char* keys[] = {"dbname", "connect_timeout", "tcp_user_timeout", nullptr};
    const char* values[] = {url.c_str(), connect_timeout.c_str(), "5000", nullptr};
    connection_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (PQstatus(connection_) != CONNECTION_OK) {
      std::string message = PQerrorMessage(connection_);
      PQfinish(connection_);
      connection_ = nullptr;
      throw StoreError(StoreErrorCode::kUnavailable,
                       "cannot connect to PostgreSQL: " + TrimNewline(message));
    }
    ExecuteScript(fmt::format("SET statement_timeout = {}; SET client_min_messages = warning",
                              kPostgresStatementTimeoutMs));
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
        types[i] = 0;
      }
    }
    const std::string& name = Prepare(sql, types);
    ResultPtr result(PQexecPrepared(connection_, name.c_str(), static_cast<int>(params.size()),
                                    values.data(), nullptr, nullptr, 0));
    Check(result.get(), "statement");
    if (on_row) {
      int count = PQntuples(result.get());
      for (int row = 0; row < count; ++row) on_row(PostgresRow(result.get(), row));
    }
    const char* changed = PQcmdTuples(result.get());
    return changed && *changed ? std::strtoll(changed, nullptr, 10) : 0;
  }

  void ExecuteScript(std::string_view sql) override {
    ResultPtr result(PQexec(connection_, std::string(sql).c_str()));
    Check(result.get(), "script");
  }

  void BeginWrite() override { ExecuteScript("BEGIN"); }
  void BeginRead() override { ExecuteScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }
  void Commit() override { ExecuteScript("COMMIT"); }
  void Rollback() noexcept override {
    if (!connection_ || PQstatus(connection_) != CONNECTION_OK) return;
    if (PQtransactionStatus(connection_) == PQTRANS_IDLE) return;
    PQclear(PQexec(connection_, "ROLLBACK"));
  }
  bool IsBroken() const override {
    return broken_ || !connection_ || PQstatus(connection_) != CONNECTION_OK;
  }

 private:
  static std::string TrimNewline(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }

  const std::string& Prepare(std::string_view sql, const std::vector<Oid>& types) {
    auto found = statements_.find(std::string(sql));
    if (found != statements_.end()) return found->second;
    std::string name = fmt::format("roster_{}", statements_.size() + 1);
    ResultPtr result(PQprepare(connection_, name.c_str(), std::string(sql).c_str(),
                               static_cast<int>(types.size()), types.data()));
    Check(result.get(), "prepare");
    return statements_.emplace(std::string(sql), std::move(name)).first->second;
  }

  void Check(PGresult* result, std::string_view what) {
    ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    StoreErrorCode code = state ? MapSqlState(state) : StoreErrorCode::kUnavailable;
    if (PQstatus(connection_) != CONNECTION_OK) code = StoreErrorCode::kUnavailable;
    if (code == StoreErrorCode::kUnavailable) broken_ = true;
    throw StoreError(code, fmt::format("postgresql {} failed: {}", what,
                                       TrimNewline(PQerrorMessage(connection_))));
  }

  PGconn* connection_ = nullptr;
  bool broken_ = false;
  std::unordered_map<std::string, std::string> statements_;  // SQL text -> prepared name
};

}  // namespace

PostgresDatabase::PostgresDatabase(std::string url) : url_(std::move(url)) {}

std::unique_ptr<Connection> PostgresDatabase::Connect() {
  return std::make_unique<PostgresConnection>(url_);
}

std::string PostgresDatabase::DisplayName() const {
  // Hides the password of postgresql://user:password@host/...
  std::string shown = url_;
  size_t scheme = shown.find("://");
  size_t at = shown.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    size_t colon = shown.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) shown.replace(colon + 1, at - colon - 1, "***");
  }
  return shown;
}

}  // namespace roster::storage
