#include "storage/sqlite_database.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <cstdlib>
#include <unordered_map>
#include <vector>

namespace roster::storage {
namespace {

// How long a writer waits for another connection's write lock before the request fails
// with 503.
constexpr int kBusyTimeoutMs = 10000;

StoreErrorCode MapSqliteError(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return StoreErrorCode::kConflict;
      }
      return StoreErrorCode::kInternal;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StoreErrorCode::kUnavailable;
    default:
      return StoreErrorCode::kInternal;
  }
}

[[noreturn]] void Fail(sqlite3* db, int rc, std::string_view what) {
  throw StoreError(MapSqliteError(rc),
                   fmt::format("sqlite {} failed: {} ({})", what, sqlite3_errmsg(db), rc));
}

class SqliteRow : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* statement) : statement_(statement) {}
  bool IsNull(int column) const override {
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
  }
  int64_t GetInt(int column) const override { return sqlite3_column_int64(statement_, column); }
  std::string GetText(int column) const override {
    const unsigned char* text = sqlite3_column_text(statement_, column);
    int size = sqlite3_column_bytes(statement_, column);
    return text ? std::string(reinterpret_cast<const char*>(text), size) : std::string();
  }

 private:
  sqlite3_stmt* statement_;
};

class SqliteConnection : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw StoreError(StoreErrorCode::kUnavailable,
                       fmt::format("cannot open SQLite database {}: {}", path, message));
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    sqlite3_extended_result_codes(db_, 1);
    ExecuteScript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
  }

  ~SqliteConnection() override {
    for (auto& [sql, cached] : statements_) sqlite3_finalize(cached.statement);
    sqlite3_close(db_);
  }

  int64_t Execute(std::string_view sql, const Params& params, const RowHandler& on_row) override {
    const CachedStatement& cached = Prepare(sql);
    sqlite3_stmt* statement = cached.statement;
    Bind(cached, params);
    // Resets the cached statement on every exit, a throwing row handler included.
    struct ResetOnExit {
      sqlite3_stmt* statement;
      ~ResetOnExit() {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
      }
    } reset{statement};
    SqliteRow row(statement);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      if (on_row) on_row(row);
    }
    if (rc != SQLITE_DONE) Fail(db_, rc, "statement");
    return sqlite3_changes64(db_);
  }

  void ExecuteScript(std::string_view sql) override {
    std::string text(sql);
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) Fail(db_, rc, "script");
  }

  // Transaction control runs as cached statements, because sqlite3_exec parses the text again
  // on every call. In the profile of a GET that parsing cost more than the read itself.
  void BeginWrite() override { Execute("BEGIN IMMEDIATE", {}, nullptr); }
  void BeginRead() override { Execute("BEGIN DEFERRED", {}, nullptr); }
  void Commit() override { Execute("COMMIT", {}, nullptr); }
  void Rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool IsBroken() const override { return false; }

 private:
  // A prepared statement and, for each parameter $N, its SQLite index (0: unused).
  struct CachedStatement {
    sqlite3_stmt* statement = nullptr;
    std::vector<int> index_of_param;
  };

  // Hashes std::string and std::string_view alike, so that a lookup needs no copy of the SQL.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };

  const CachedStatement& Prepare(std::string_view sql) {
    auto found = statements_.find(sql);
    if (found != statements_.end()) return found->second;
    CachedStatement cached;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &cached.statement, nullptr);
    if (rc != SQLITE_OK) Fail(db_, rc, "prepare");
    int count = sqlite3_bind_parameter_count(cached.statement);
    for (int index = 1; index <= count; ++index) {
      const char* name = sqlite3_bind_parameter_name(cached.statement, index);
      size_t number = name && name[0] == '$' ? std::strtoul(name + 1, nullptr, 10) : 0;
      if (number == 0) continue;
      if (cached.index_of_param.size() < number) cached.index_of_param.resize(number, 0);
      cached.index_of_param[number - 1] = index;
    }
    return statements_.emplace(std::string(sql), std::move(cached)).first->second;
  }

  void Bind(const CachedStatement& cached, const Params& params) {
    sqlite3_stmt* statement = cached.statement;
    for (size_t i = 0; i < params.size() && i < cached.index_of_param.size(); ++i) {
      int index = cached.index_of_param[i];
      if (index == 0) continue;  // the statement does not use this parameter
      int rc = std::visit(
          [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
              return sqlite3_bind_null(statement, index);
            } else if constexpr (std::is_same_v<T, int64_t>) {
              return sqlite3_bind_int64(statement, index, value);
            } else {
              return sqlite3_bind_text(statement, index, value.data(),
                                       static_cast<int>(value.size()), SQLITE_TRANSIENT);
            }
          },
          params[i]);
      if (rc != SQLITE_OK) Fail(db_, rc, "bind");
    }
  }

  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, CachedStatement, SqlHash, std::equal_to<>> statements_;
};

}  // namespace

SqliteDatabase::SqliteDatabase(std::string path) : path_(std::move(path)) {}

std::unique_ptr<Connection> SqliteDatabase::Connect() {
  return std::make_unique<SqliteConnection>(path_);
}

}  // namespace roster::storage
