#ifndef SERVER_RATELIMIT_TOKEN_BUCKET_H_
#define SERVER_RATELIMIT_TOKEN_BUCKET_H_

#include "absl/time/time.h"

namespace userimage {

// How a quota of `quota` requests per `window` is paced: a burst of
// quota/50 (at least 1), then one request every `interval` ((quota - burst)
// per window). No span of one window then holds more than `quota`
// requests, whatever the alignment of the enforcer's windows.
struct Pacing {
  int burst;
  absl::Duration interval;
};
Pacing PacingFor(int quota, absl::Duration window);

// A token bucket: holds up to `burst` tokens and gains one every
// `interval`; each event takes one. Over any span T it admits at most
// burst + T / interval events. Time is passed in, so the bucket is pure;
// not thread-safe (its owner locks).
class TokenBucket {
 public:
  // Starts full at `start`.
  TokenBucket(double burst, absl::Duration interval, absl::Time start);

  // Takes a token if one is available at `now`.
  bool TryTake(absl::Time now);

  // The earliest time, not before `now`, at which a token is available.
  absl::Time NextAvailable(absl::Time now) const;

  // Empties the bucket at `now`: tokens come back only with time.
  void Drain(absl::Time now);

  absl::Duration interval() const { return interval_; }

 private:
  double TokensAt(absl::Time now) const;

  const double burst_;
  const absl::Duration interval_;
  double tokens_;
  absl::Time last_;
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_TOKEN_BUCKET_H_
