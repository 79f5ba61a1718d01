#ifndef SERVER_HTTP_ABORT_SIGNAL_H_
#define SERVER_HTTP_ABORT_SIGNAL_H_

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace userimage {

// Tells work in progress to stop, like the web's AbortController: whoever
// starts the work creates the signal and passes it along; whoever does the
// work registers a hook with OnAbort(). Abort() may come before, during or
// after the registration and runs the hook exactly once, or never if the
// work ended first (Clear()).
//
// Thread-safe. The hook runs outside the signal's lock, on the thread that
// calls Abort(); it must not block.
class AbortSignal {
 public:
  using Hook = absl::AnyInvocable<void() &&>;

  // Marks the signal aborted and runs the registered hook, if any. Later
  // calls do nothing.
  void Abort() {
    Hook hook;
    {
      absl::MutexLock lock(&mu_);
      if (aborted_) return;
      aborted_ = true;
      hook = std::move(hook_);
      hook_ = nullptr;
    }
    if (hook) std::move(hook)();
  }

  bool aborted() const {
    absl::MutexLock lock(&mu_);
    return aborted_;
  }

  // Registers what Abort() runs (replacing an earlier hook). Returns false,
  // dropping `hook` without running it, if the signal is aborted already:
  // the caller then stops the work itself.
  bool OnAbort(Hook hook) {
    Hook dropped;
    absl::MutexLock lock(&mu_);
    if (aborted_) return false;
    dropped = std::move(hook_);
    hook_ = std::move(hook);
    return true;
  }

  // Drops the hook: the work it would stop has ended.
  void Clear() {
    Hook dropped;  // Destroyed outside the lock.
    absl::MutexLock lock(&mu_);
    dropped = std::move(hook_);
    hook_ = nullptr;
  }

 private:
  mutable absl::Mutex mu_;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  Hook hook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_HTTP_ABORT_SIGNAL_H_
