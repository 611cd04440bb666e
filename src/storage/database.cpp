#include "storage/database.hpp"

#include "storage/write_batcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace roster::storage {

ConnectionPool::ConnectionPool(Database& database, size_t size, std::chrono::milliseconds wait)
    : database_(database), wait_(wait), free_slots_(size) {
  if (database.SerializesWriters()) write_batcher_ = std::make_unique<WriteBatcher>(database);
}

ConnectionPool::~ConnectionPool() = default;

ConnectionPool::Lease::~Lease() {
  if (pool_ && connection_) pool_->Release(std::move(connection_));
}

ConnectionPool::Lease ConnectionPool::Acquire() {
  std::unique_lock lock(mutex_);
  if (!available_.wait_for(lock, wait_, [this] { return free_slots_ > 0; })) {
    throw StoreError(StoreErrorCode::kUnavailable,
                     fmt::format("timed out after {} ms waiting for a free database connection",
                                 wait_.count()));
  }
  if (std::unique_ptr<Connection> idle = TakeLiveIdle()) {
    --free_slots_;
    return Lease(*this, std::move(idle), /*reused=*/true);
  }
  if (connect_failing_ && (probe_in_flight_ || Clock::now() < next_probe_)) {
    throw StoreError(StoreErrorCode::kUnavailable,
                     "the database is unreachable: the last attempt to reach it failed");
  }
  --free_slots_;
  return Open(lock);
}

std::unique_ptr<Connection> ConnectionPool::TakeLiveIdle() {
  int discarded = 0;
  std::unique_ptr<Connection> live;
  while (!idle_.empty() && !live) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    if (connection->CheckAlive()) {
      live = std::move(connection);
    } else {
      ++discarded;
    }
  }
  if (discarded > 0) {
    spdlog::info("discarded {} pooled {} database connection(s) that the server closed",
                 discarded, database_.EngineName());
  }
  return live;
}

ConnectionPool::Lease ConnectionPool::Open(std::unique_lock<std::mutex>& lock) {
  bool probe = connect_failing_;
  if (probe) probe_in_flight_ = true;
  // Connect outside the lock: connecting to a server may take up to its connect timeout.
  lock.unlock();
  std::unique_ptr<Connection> connection;
  try {
    connection = database_.Connect();
  } catch (const StoreError& error) {
    lock.lock();
    ++free_slots_;
    if (probe) probe_in_flight_ = false;
    if (error.code() == StoreErrorCode::kUnavailable) RecordFailure(error);
    available_.notify_one();
    throw;
  } catch (...) {
    lock.lock();
    ++free_slots_;
    if (probe) probe_in_flight_ = false;
    available_.notify_one();
    throw;
  }
  lock.lock();
  if (connect_failing_) {
    spdlog::info("connected to the database again after {} failure(s)", failed_connects_);
    connect_failing_ = false;
    probe_in_flight_ = false;
    failed_connects_ = 0;
  }
  return Lease(*this, std::move(connection), /*reused=*/false);
}

void ConnectionPool::RecordFailure(const StoreError& error) {
  if (!connect_failing_) {
    spdlog::warn("the database is unreachable, so requests fail with 503 until a new "
                 "connection succeeds (tried again every {} ms): {}",
                 kConnectRetryDelay.count(), error.what());
  }
  connect_failing_ = true;
  ++failed_connects_;
  next_probe_ = Clock::now() + kConnectRetryDelay;
}

void ConnectionPool::ReportNoReply(const StoreError& error) {
  std::lock_guard lock(mutex_);
  if (!idle_.empty()) {
    spdlog::info("dropping {} idle database connection(s) after a statement got no reply",
                 idle_.size());
    idle_.clear();
  }
  RecordFailure(error);
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (!connection->IsBroken()) idle_.push_back(std::move(connection));
  ++free_slots_;
  available_.notify_one();
}

namespace {

enum class TransactionKind { kWrite, kSnapshotRead, kStatementReads };

void RunTransaction(ConnectionPool& pool, TransactionKind kind,
                    const std::function<void(Connection&)>& work) {
  constexpr int kAttempts = 3;
  bool replaced_stale = false;
  for (int attempt = 1;;) {
    ConnectionPool::Lease connection = pool.Acquire();
    bool begun = false;
    try {
      if (kind == TransactionKind::kWrite) connection->BeginWrite();
      if (kind == TransactionKind::kSnapshotRead) connection->BeginRead();
      // Statement reads have no BEGIN to fail at, and are safe to run again from the start.
      begun = kind != TransactionKind::kStatementReads;
      work(*connection);
      if (kind != TransactionKind::kStatementReads) connection->Commit();
      return;
    } catch (const StoreError& error) {
      connection->Rollback();
      // A connection that died while idle in the pool fails at its first statement. Nothing
      // of `work` ran, so the transaction starts again on a new connection.
      if (error.fault() == ConnectionFault::kNoReply) pool.ReportNoReply(error);
      if (!begun && connection.reused() && error.fault() == ConnectionFault::kClosed &&
          !replaced_stale) {
        spdlog::info("a pooled database connection was closed, retrying on a new one: {}",
                     error.what());
        replaced_stale = true;
        continue;
      }
      if (error.code() != StoreErrorCode::kRetry || attempt == kAttempts) throw;
      spdlog::info("retrying a transaction (attempt {} of {}) after: {}", attempt + 1, kAttempts,
                   error.what());
      ++attempt;
    } catch (...) {
      connection->Rollback();
      throw;
    }
  }
}

}  // namespace

void RunWrite(ConnectionPool& pool, const std::function<void(Connection&)>& work) {
  if (WriteBatcher* batcher = pool.write_batcher()) return batcher->Run(work);
  RunTransaction(pool, TransactionKind::kWrite, work);
}

void RunRead(ConnectionPool& pool, const std::function<void(Connection&)>& work) {
  RunTransaction(pool, TransactionKind::kSnapshotRead, work);
}

void RunStatementReads(ConnectionPool& pool, const std::function<void(Connection&)>& work) {
  RunTransaction(pool, TransactionKind::kStatementReads, work);
}

}  // namespace roster::storage
