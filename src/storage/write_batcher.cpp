#include "storage/write_batcher.hpp"

#include <spdlog/spdlog.h>

namespace roster::storage {

WriteBatcher::WriteBatcher(Database& database)
    : database_(database), thread_([this] { Loop(); }) {}

WriteBatcher::~WriteBatcher() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WriteBatcher::Run(const std::function<void(Connection&)>& work) {
  Job job{&work, {}};
  std::future<void> done = job.done.get_future();
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(&job);
  }
  wake_.notify_one();
  done.get();
}

void WriteBatcher::Loop() {
  std::vector<Job*> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to write
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

std::exception_ptr WriteBatcher::RunJob(Job& job) {
  // Execute keeps these prepared; ExecuteScript would parse them again for every job.
  connection_->Execute("SAVEPOINT roster_write", {});
  try {
    (*job.work)(*connection_);
    connection_->Execute("RELEASE roster_write", {});
    return nullptr;
  } catch (...) {
    std::exception_ptr failure = std::current_exception();
    // Undoes this job's statements only; the batch's transaction stays open.
    connection_->ExecuteScript("ROLLBACK TO roster_write; RELEASE roster_write");
    return failure;
  }
}

void WriteBatcher::RunBatch(std::vector<Job*>& batch) {
  std::vector<std::exception_ptr> failures(batch.size());
  try {
    if (!connection_ || connection_->IsBroken()) connection_ = database_.Connect();
    connection_->BeginWrite();
    for (size_t i = 0; i < batch.size(); ++i) failures[i] = RunJob(*batch[i]);
    connection_->Commit();
  } catch (...) {
    // BEGIN, a savepoint statement or COMMIT failed: nothing of the batch is on disk.
    std::exception_ptr failure = std::current_exception();
    if (connection_) connection_->Rollback();
    std::fill(failures.begin(), failures.end(), failure);
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      spdlog::warn("a batch of {} write transactions failed: {}", batch.size(), error.what());
    } catch (...) {
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    if (failures[i]) {
      batch[i]->done.set_exception(failures[i]);
    } else {
      batch[i]->done.set_value();
    }
  }
}

}  // namespace roster::storage
