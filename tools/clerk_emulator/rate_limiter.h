#ifndef TOOLS_CLERK_EMULATOR_RATE_LIMITER_H_
#define TOOLS_CLERK_EMULATOR_RATE_LIMITER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/clerk_emulator/clock.h"

namespace clerk::emulator {

// Clerk-style fixed-window request limit: at most `limit` requests per
// window. A window opens with the first request after the previous one has
// ended; once the limit is reached, every further request in that window is
// refused until it ends. A limit of 0 admits everything.
//
// Does not own the clock, which must outlive the limiter. Thread-safe.
class RateLimiter {
 public:
  struct Admission {
    bool allowed = true;
    // For a refused request: whole seconds until the window ends, rounded
    // up, at least 1 (the value of Clerk's Retry-After header).
    int64_t retry_after_seconds = 0;
  };

  RateLimiter(const Clock* clock, int limit, absl::Duration window);

  // Replaces the limit and window and forgets the current window.
  void Configure(int limit, absl::Duration window);
  // Forgets the current window, keeping limit and window.
  void Reset();

  // Counts one request and says whether it may proceed.
  Admission Admit();

 private:
  const Clock& clock_;
  absl::Mutex mu_;
  int limit_ ABSL_GUARDED_BY(mu_);
  absl::Duration window_ ABSL_GUARDED_BY(mu_);
  absl::Time window_end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_RATE_LIMITER_H_
