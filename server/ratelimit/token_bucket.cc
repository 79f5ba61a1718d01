#include "server/ratelimit/token_bucket.h"

#include <algorithm>

namespace userimage {

Pacing PacingFor(int quota, absl::Duration window) {
  const int burst = std::max(1, quota / 50);
  const int paced = std::max(1, quota - burst);
  return {burst, window / paced};
}

TokenBucket::TokenBucket(double burst, absl::Duration interval,
                         absl::Time start)
    : burst_(burst), interval_(interval), tokens_(burst), last_(start) {}

double TokenBucket::TokensAt(absl::Time now) const {
  if (now <= last_) return tokens_;
  return std::min(burst_, tokens_ + absl::FDivDuration(now - last_, interval_));
}

bool TokenBucket::TryTake(absl::Time now) {
  const double tokens = TokensAt(now);
  last_ = std::max(last_, now);
  tokens_ = tokens;
  // A hair of tolerance for floating-point error in the refill.
  if (tokens_ < 1.0 - 1e-9) return false;
  tokens_ = std::max(0.0, tokens_ - 1.0);
  return true;
}

void TokenBucket::Drain(absl::Time now) {
  tokens_ = 0;
  last_ = std::max(last_, now);
}

absl::Time TokenBucket::NextAvailable(absl::Time now) const {
  const double tokens = TokensAt(now);
  if (tokens >= 1.0 - 1e-9) return now;
  return std::max(now, last_) + interval_ * (1.0 - tokens);
}

}  // namespace userimage
