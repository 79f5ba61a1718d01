#ifndef SERVER_EXEC_EXECUTOR_H_
#define SERVER_EXEC_EXECUTOR_H_

#include "absl/functional/any_invocable.h"

namespace userimage {

// Runs work later, on a thread of the implementation's choosing. Post()
// never blocks. It runs `work` on the caller's stack only where the
// implementation says so (InlineExecutor, for tests; a SerialExecutor that
// has shut down), so callers never post while holding a lock.
// Implementations are thread-safe.
class Executor {
 public:
  using Work = absl::AnyInvocable<void() &&>;
  virtual ~Executor() = default;
  virtual void Post(Work work) = 0;
};

// Runs work at once on the posting thread. For tests that drive everything
// from one thread.
class InlineExecutor final : public Executor {
 public:
  void Post(Work work) override { std::move(work)(); }
};

}  // namespace userimage

#endif  // SERVER_EXEC_EXECUTOR_H_
