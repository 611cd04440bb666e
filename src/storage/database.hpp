// The engine-neutral SQL interface that Store runs on. An engine (SQLite, PostgreSQL) provides
// a Database that opens Connections; Store's SQL is written once and runs on both.
//
// SQL conventions every engine accepts: positional parameters written $1, $2, ...; integers
// and text only (booleans are 0/1, times are microseconds since the Unix epoch); INSERT ...
// ON CONFLICT. Store does not use RETURNING: it reads a new row back by its token.
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

// The reason a storage call failed. Handlers map each code to one HTTP status.
enum class StoreErrorCode {
  kConflict,     // a unique constraint rejected the write (409)
  kRetry,        // a deadlock or serialization failure; the whole transaction may be retried
  kUnavailable,  // the database cannot be reached or is shutting down (503)
  kInternal,     // anything else: a bug or a corrupt database (500)
};

// The way a session failed, for errors that come from a failed session.
enum class ConnectionFault {
  kNone,     // the statement failed with an error reply, or the session is fine
  kClosed,   // the server or the network had closed the session
  kNoReply,  // the server did not reply in time, so the session was dropped
};

class StoreError : public std::runtime_error {
 public:
  StoreError(StoreErrorCode code, const std::string& detail,
             ConnectionFault fault = ConnectionFault::kNone)
      : std::runtime_error(detail), code_(code), fault_(fault) {}
  StoreErrorCode code() const { return code_; }
  ConnectionFault fault() const { return fault_; }

 private:
  StoreErrorCode code_;
  ConnectionFault fault_;
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
  // Starts a read-only transaction that reads one snapshot.
  virtual void BeginRead() = 0;
  virtual void Commit() = 0;
  virtual void Rollback() noexcept = 0;

  // Whether the session is lost and must not go back to the pool.
  virtual bool IsBroken() const = 0;

  // Whether an idle pooled session is still usable, checked without a round trip to the
  // server: a session the server closed while it was idle (such as at a server restart)
  // returns false.
  virtual bool CheckAlive() { return !IsBroken(); }

  // Sets how long one statement may run before the engine cancels it; engines without such a
  // limit ignore it.
  virtual void SetStatementTimeout(std::chrono::milliseconds timeout) {}
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
  // Whether the engine runs one writer at a time, so that write transactions are better
  // committed together by a WriteBatcher (group commit) than one by one.
  virtual bool SerializesWriters() const { return false; }
};

class WriteBatcher;

// How long the pool fails requests at once after a connection attempt failed, before it lets
// one request try to connect again.
inline constexpr std::chrono::milliseconds kConnectRetryDelay{1000};

// A fixed-size pool of connections, opened on demand.
//
// Acquire() waits at most `wait` for a free connection and throws StoreError(kUnavailable)
// after that, so that no request hangs on an exhausted pool. It discards idle connections that
// CheckAlive() reports dead, and connections that come back broken. When opening a connection
// fails with kUnavailable, requests that need a new connection fail at once for
// kConnectRetryDelay. After that, one request at a time tries to connect, and the first
// success ends the outage. A statement that got no reply (ConnectionFault::kNoReply) starts
// such an outage too, and drops every idle connection, because they lead to the same server.
class ConnectionPool {
 public:
  ConnectionPool(Database& database, size_t size, std::chrono::milliseconds wait);
  ~ConnectionPool();

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection, bool reused)
        : pool_(&pool), connection_(std::move(connection)), reused_(reused) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }
    // Whether the connection was idle in the pool before (not opened for this lease).
    bool reused() const { return reused_; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
    bool reused_;
  };

  Lease Acquire();
  Database& database() const { return database_; }
  // The group committer that RunWrite uses, or null when writes go through the pool.
  WriteBatcher* write_batcher() const { return write_batcher_.get(); }
  // Records that the server did not reply on a connection: see the class comment.
  void ReportNoReply(const StoreError& error);

 private:
  void Release(std::unique_ptr<Connection> connection);
  // Returns an idle connection that passes CheckAlive(), or nothing; drops the others.
  std::unique_ptr<Connection> TakeLiveIdle();
  Lease Open(std::unique_lock<std::mutex>& lock);
  // Enters (or extends) the outage state; `mutex_` must be held.
  void RecordFailure(const StoreError& error);

  using Clock = std::chrono::steady_clock;

  Database& database_;
  std::chrono::milliseconds wait_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mutex_)
  size_t free_slots_;                              // GUARDED_BY(mutex_): idle + not yet opened
  // GUARDED_BY(mutex_): the outage state after a failed connection attempt.
  bool connect_failing_ = false;
  bool probe_in_flight_ = false;   // a request is trying to connect during an outage
  Clock::time_point next_probe_;   // no request tries to connect before this time
  int failed_connects_ = 0;        // failures since the outage started
  std::unique_ptr<WriteBatcher> write_batcher_;  // set when the engine serializes writers
};

// Runs `work` inside a write transaction and commits it: on an engine that serializes writers,
// in the pool's WriteBatcher together with concurrent writes; otherwise on a pooled connection,
// where it commits, and runs the whole transaction up to three
// times when the engine reports a deadlock or serialization failure. A pooled connection
// found closed at BEGIN, before any of `work` ran, is replaced by a new one once.
void RunWrite(ConnectionPool& pool, const std::function<void(Connection&)>& work);

// Runs `work` inside a read-only snapshot transaction, with the same retries as RunWrite.
void RunRead(ConnectionPool& pool, const std::function<void(Connection&)>& work);

// Runs `work`, which only reads, without BEGIN and COMMIT, so each statement reads the data
// committed when that statement started. On PostgreSQL that saves two round trips, so it suits reads whose
// statements need no common snapshot, such as a lookup by key. Retries as RunRead does, and
// also replaces a pooled connection found closed at the first statement.
void RunStatementReads(ConnectionPool& pool, const std::function<void(Connection&)>& work);

}  // namespace roster::storage
