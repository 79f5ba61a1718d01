#ifndef SERVER_RATELIMIT_SHARED_QUOTA_H_
#define SERVER_RATELIMIT_SHARED_QUOTA_H_

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/ratelimit/sender.h"

namespace userimage {

// A request quota shared by every process that uses the same Clerk secret
// key (the replicas of this service), kept somewhere they all reach, e.g.
// Redis. The RateGate asks it for permission to send when one is
// configured. Durations are relative, so replicas' clocks need not agree.
//
// Implementations are thread-safe; callbacks run exactly once, never on the
// caller's stack, and must not block.
class SharedQuota {
 public:
  struct Grant {
    // Requests that may be sent now (at most what was asked for).
    int granted = 0;
    // When fewer were granted than asked for: how soon asking again can
    // succeed.
    absl::Duration retry_in;
    // Positive when a replica received a 429: how much longer every
    // replica must hold its requests.
    absl::Duration paused_for;
  };
  using TakeCallback = absl::AnyInvocable<void(absl::StatusOr<Grant>) &&>;

  virtual ~SharedQuota() = default;

  // Asks to send up to `wanted` requests of `priority` now (0: only learn
  // whether the quota is reachable and paused). Bulk requests are granted
  // only what leaves a permit at hand for any replica's interactive ones
  // (when the quota's burst holds more than one). An error means the
  // shared quota cannot be consulted; the caller decides alone.
  virtual void Take(int wanted, Priority priority, TakeCallback done) = 0;

  // Holds every replica's requests for `duration` from now (extends a
  // current pause, never shortens it). Best effort: not confirmed.
  virtual void Pause(absl::Duration duration) = 0;
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_SHARED_QUOTA_H_
