#ifndef SERVER_LOG_ASYNC_LINE_WRITER_H_
#define SERVER_LOG_ASYNC_LINE_WRITER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace userimage {

// Writes lines to a file descriptor from a thread of its own, through a
// bounded queue, so that a slow or stalled reader (a full stderr pipe)
// never blocks whoever logs: when `max_queued` lines are waiting, a new line
// is dropped and counted instead.
//
// Thread-safe; Write() never blocks on I/O and takes only the queue's lock.
// The destructor (or Stop()) writes what is queued, then joins the thread;
// it blocks while the descriptor does. Does not own `fd`.
class AsyncLineWriter {
 public:
  AsyncLineWriter(int fd, size_t max_queued);
  ~AsyncLineWriter();
  AsyncLineWriter(const AsyncLineWriter&) = delete;
  AsyncLineWriter& operator=(const AsyncLineWriter&) = delete;

  // Queues `line` (which should end in '\n'); false if it was dropped.
  bool Write(std::string line);
  // Writes what is queued and stops; later lines are dropped. Idempotent.
  void Stop();

  // Lines dropped because the queue was full, or after Stop().
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void Run();

  const int fd_;
  const size_t max_queued_;
  std::atomic<uint64_t> dropped_{0};
  absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace userimage

#endif  // SERVER_LOG_ASYNC_LINE_WRITER_H_
