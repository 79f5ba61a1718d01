#include "server/retry/backoff.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace userimage {

absl::Duration BackoffDelay(const BackoffPolicy& policy, int retry,
                            std::optional<absl::Duration> retry_after,
                            RandomSource& random) {
  const double u = random.Uniform();
  if (retry_after.has_value()) {
    // Envoy's rate-limited back-off: uniform in [floor, 1.5 * floor).
    return std::min(policy.max_retry_after, *retry_after * (1.0 + 0.5 * u));
  }
  // base * 2^retry, without overflowing for large `retry`.
  absl::Duration ceiling = policy.cap;
  if (retry < 62)
    ceiling = std::min(policy.cap, policy.base * std::ldexp(1.0, retry));
  return ceiling * u;
}

}  // namespace userimage
