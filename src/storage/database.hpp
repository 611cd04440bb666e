// The engine-neutral SQL interface that Store runs on. An engine (SQLite, PostgreSQL) provides
// a Database that opens Connections; Store's SQL is written once and runs on both.
//
// SQL conventions every engine accepts: positional parameters written $1, $2, ...; integers
// and text only (booleans are 0/1, times are microseconds since the Unix epoch); INSERT ...
// ON CONFLICT ... and RETURNING.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace roster::storage {

// A parameter: NULL, an integer or text.
using Value = std::variant<std::monostate, int64_t, std::string>;
using Params = std::vector<Value>;

// One result row, valid only inside the row callback.
class Row {
 public:
  virtual ~Row() = default;
  virtual bool IsNull(int column) const = 0;
  virtual int64_t GetInt(int column) const = 0;
  virtual std::string GetText(int column) const = 0;
  bool GetBool(int column) const { return GetInt(column) != 0; }
};

using RowHandler = std::function<void(const Row&)>;

// Why a storage call failed. Handlers map each code to one HTTP status.
enum class StoreErrorCode {
  kConflict,     // a unique constraint rejected the write (409)
  kRetry,        // a deadlock or serialization failure; the whole transaction may be retried
  kUnavailable,  // the database cannot be reached or is shutting down (503)
  kInternal,     // anything else: a bug or a corrupt database (500)
};

class StoreError : public std::runtime_error {
 public:
  StoreError(StoreErrorCode code, const std::string& detail)
      : std::runtime_error(detail), code_(code) {}
  StoreErrorCode code() const { return code_; }

 private:
  StoreErrorCode code_;
};

// One database session. Not thread-safe: a connection is used by one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;

  // Runs one statement, calls `on_row` for each result row and returns the number of rows the
  // statement changed. Throws StoreError.
  virtual int64_t Execute(std::string_view sql, const Params& params,
                          const RowHandler& on_row = {}) = 0;

  // Runs several statements separated by ';' with no parameters (schema migrations).
  virtual void ExecuteScript(std::string_view sql) = 0;

  // Starts a transaction that will write; on SQLite it takes the write lock at once.
  virtual void BeginWrite() = 0;
  // Starts a read-only transaction that sees one snapshot.
  virtual void BeginRead() = 0;
  virtual void Commit() = 0;
  virtual void Rollback() noexcept = 0;

  // Whether the session is lost and must not go back to the pool.
  virtual bool IsBroken() const = 0;
};

// A versioned schema change, applied once and in order.
struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // one or more statements separated by ';'
};

class Database {
 public:
  virtual ~Database() = default;
  virtual std::unique_ptr<Connection> Connect() = 0;
  virtual std::string_view EngineName() const = 0;
  // The address shown in logs, without any password.
  virtual std::string DisplayName() const = 0;
  // The column definition of an auto-numbered 64-bit primary key in this engine's dialect.
  virtual std::string_view IdColumnType() const = 0;
  // A statement that serializes concurrent migrations inside a transaction; empty when the
  // write transaction already does (SQLite).
  virtual std::string_view MigrationLockSql() const = 0;
};

// A fixed-size pool of connections. Acquire() waits at most `wait` for a free connection and
// throws StoreError(kUnavailable) after that, so that no request hangs on an exhausted pool.
class ConnectionPool {
 public:
  ConnectionPool(Database& database, size_t size, std::chrono::milliseconds wait);

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection)
        : pool_(&pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  Lease Acquire();
  Database& database() const { return database_; }

 private:
  void Release(std::unique_ptr<Connection> connection);

  Database& database_;
  std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mutex_)
  size_t free_slots_;                              // GUARDED_BY(mutex_): idle + not yet opened
};

// Runs `work` inside a write transaction, commits, and retries the whole transaction up to
// three times when the engine reports a deadlock or serialization failure.
void RunWrite(ConnectionPool& pool, const std::function<void(Connection&)>& work);

// Runs `work` inside a read-only snapshot transaction.
void RunRead(ConnectionPool& pool, const std::function<void(Connection&)>& work);

}  // namespace roster::storage
