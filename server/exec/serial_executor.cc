#include "server/exec/serial_executor.h"

#include <utility>

namespace userimage {

SerialExecutor::SerialExecutor() : thread_([this] { Run(); }) {}

SerialExecutor::~SerialExecutor() { Shutdown(); }

void SerialExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void SerialExecutor::Post(Work work) {
  {
    absl::MutexLock lock(&mu_);
    if (!stopped_) {
      queue_.push_back(std::move(work));
      return;
    }
  }
  std::move(work)();  // Shut down: run it here rather than drop it.
}

bool SerialExecutor::InExecutorThread() const {
  return std::this_thread::get_id() == thread_.get_id();
}

void SerialExecutor::Run() {
  while (true) {
    std::deque<Work> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) {  // Stopping, and nothing is left.
        stopped_ = true;
        return;
      }
      batch.swap(queue_);
    }
    // Run outside the lock: work may post more work.
    for (Work& work : batch) std::move(work)();
  }
}

}  // namespace userimage
