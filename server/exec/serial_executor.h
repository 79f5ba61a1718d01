#ifndef SERVER_EXEC_SERIAL_EXECUTOR_H_
#define SERVER_EXEC_SERIAL_EXECUTOR_H_

#include <deque>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/exec/executor.h"

namespace userimage {

// An Executor with one thread of its own: work runs one item at a time, in
// the order it was posted. The queue is unbounded; work must not block.
//
// Thread-safe. Shutdown() (or the destructor) runs the work already posted
// (and what that work posts), then joins the thread; work posted after that
// runs at once on the posting thread, so nothing posted is ever dropped.
class SerialExecutor final : public Executor {
 public:
  SerialExecutor();
  ~SerialExecutor() override;
  SerialExecutor(const SerialExecutor&) = delete;
  SerialExecutor& operator=(const SerialExecutor&) = delete;

  void Post(Work work) override;
  // Runs what is queued and joins the thread. Idempotent; not from the
  // executor's own thread.
  void Shutdown();

  // Whether the calling thread is this executor's.
  bool InExecutorThread() const;

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<Work> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;  // The thread has returned.
  std::thread thread_;
};

}  // namespace userimage

#endif  // SERVER_EXEC_SERIAL_EXECUTOR_H_
