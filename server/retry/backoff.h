#ifndef SERVER_RETRY_BACKOFF_H_
#define SERVER_RETRY_BACKOFF_H_

#include <optional>

#include "absl/time/time.h"
#include "server/time/clock.h"

namespace userimage {

struct BackoffPolicy {
  // Full-jitter exponential backoff: the wait before retry n (0-based) is
  // uniform in [0, min(cap, base * 2^n)).
  absl::Duration base = absl::Milliseconds(250);
  absl::Duration cap = absl::Seconds(10);
  // A server's Retry-After is the floor of the wait, with up to half of it
  // again added as jitter, and the total clamped to this.
  absl::Duration max_retry_after = absl::Seconds(60);
};

// How long to wait before retry `retry` (0 for the first retry). When the
// server sent Retry-After, `retry_after` holds it and wins over the
// exponential schedule. Pure apart from drawing from `random`;
// thread-safe if `random` is.
absl::Duration BackoffDelay(const BackoffPolicy& policy, int retry,
                            std::optional<absl::Duration> retry_after,
                            RandomSource& random);

}  // namespace userimage

#endif  // SERVER_RETRY_BACKOFF_H_
