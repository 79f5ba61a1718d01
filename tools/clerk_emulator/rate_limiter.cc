#include "tools/clerk_emulator/rate_limiter.h"

#include <algorithm>

namespace clerk::emulator {

RateLimiter::RateLimiter(const Clock* clock, int limit, absl::Duration window)
    : clock_(*clock), limit_(limit), window_(window) {}

void RateLimiter::Configure(int limit, absl::Duration window) {
  absl::MutexLock lock(&mu_);
  limit_ = limit;
  window_ = window;
  window_end_ = absl::InfinitePast();
  count_ = 0;
}

void RateLimiter::Reset() {
  absl::MutexLock lock(&mu_);
  window_end_ = absl::InfinitePast();
  count_ = 0;
}

RateLimiter::Admission RateLimiter::Admit() {
  absl::MutexLock lock(&mu_);
  if (limit_ <= 0) return {};
  const absl::Time now = clock_.Now();
  if (now >= window_end_) {
    window_end_ = now + window_;
    count_ = 0;
  }
  if (count_ < limit_) {
    ++count_;
    return {};
  }
  const int64_t seconds_left =
      absl::Ceil(window_end_ - now, absl::Seconds(1)) / absl::Seconds(1);
  return {false, std::max<int64_t>(1, seconds_left)};
}

}  // namespace clerk::emulator
