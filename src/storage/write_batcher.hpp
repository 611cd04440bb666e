// Group commit for engines whose writers run one at a time (SQLite).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/database.hpp"

namespace roster::storage {

// Runs write transactions from many threads on one connection and commits each batch of them
// with one COMMIT, so that one fsync makes all of them durable. Each transaction runs inside
// its own SAVEPOINT: one that throws is rolled back alone and its caller gets the exception,
// while the rest of the batch commits. Run() returns only after the COMMIT that contains the
// transaction succeeded, so a caller that sends 200 after Run() never acknowledges a write
// that a crash could lose. When the COMMIT fails, every transaction of the batch fails.
//
// Thread safety: Run() may be called from any number of threads at once.
class WriteBatcher {
 public:
  // Transactions per COMMIT at most; a batch takes whatever is queued when the previous
  // COMMIT ends, so batches grow with the number of concurrent writers and no write waits for
  // a batch to fill.
  static constexpr size_t kMaxBatch = 64;

  explicit WriteBatcher(Database& database);
  // Finishes the queued transactions, then stops the writer thread.
  ~WriteBatcher();

  // Runs `work` in the next batch and waits for its COMMIT. Rethrows what `work` threw, or the
  // StoreError of a failed BEGIN or COMMIT.
  void Run(const std::function<void(Connection&)>& work);

 private:
  struct Job {
    const std::function<void(Connection&)>* work;
    std::promise<void> done;
  };

  void Loop();
  void RunBatch(std::vector<Job*>& batch);
  // Runs one job inside a savepoint; returns what it threw, or nothing.
  std::exception_ptr RunJob(Job& job);

  Database& database_;
  std::unique_ptr<Connection> connection_;  // used only by the writer thread
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;   // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace roster::storage
