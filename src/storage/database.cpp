#include "storage/database.hpp"

namespace roster::storage {

ConnectionPool::ConnectionPool(Database& database, size_t size, std::chrono::milliseconds wait)
    : database_(database), wait_(wait), free_slots_(size) {}

ConnectionPool::Lease::~Lease() {
  if (pool_ && connection_) pool_->Release(std::move(connection_));
}

ConnectionPool::Lease ConnectionPool::Acquire() {
  std::unique_lock lock(mutex_);
  if (!available_.wait_for(lock, wait_, [this] { return free_slots_ > 0; })) {
    throw StoreError(StoreErrorCode::kUnavailable, "timed out waiting for a database connection");
  }
  --free_slots_;
  if (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(connection));
  }
  // Open outside the lock: connecting to a server may take a while.
  lock.unlock();
  try {
    return Lease(*this, database_.Connect());
  } catch (...) {
    std::lock_guard relock(mutex_);
    ++free_slots_;
    available_.notify_one();
    throw;
  }
}

void ConnectionPool::Release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (!connection->IsBroken()) idle_.push_back(std::move(connection));
  ++free_slots_;
  available_.notify_one();
}

namespace {

void RunTransaction(ConnectionPool& pool, bool write,
                    const std::function<void(Connection&)>& work) {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    ConnectionPool::Lease connection = pool.Acquire();
    try {
      if (write) {
        connection->BeginWrite();
      } else {
        connection->BeginRead();
      }
      work(*connection);
      connection->Commit();
      return;
    } catch (const StoreError& error) {
      connection->Rollback();
      if (error.code() != StoreErrorCode::kRetry || attempt == kAttempts) throw;
    } catch (...) {
      connection->Rollback();
      throw;
    }
  }
}

}  // namespace

void RunWrite(ConnectionPool& pool, const std::function<void(Connection&)>& work) {
  RunTransaction(pool, true, work);
}

void RunRead(ConnectionPool& pool, const std::function<void(Connection&)>& work) {
  RunTransaction(pool, false, work);
}

}  // namespace roster::storage
