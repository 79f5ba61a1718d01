#ifndef SERVER_CLERK_USER_LEASE_H_
#define SERVER_CLERK_USER_LEASE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/clerk/shared_user_order.h"
#include "server/metrics/metrics.h"
#include "server/time/clock.h"

namespace userimage {

struct UserLeaseOptions {
  // How long a claim holds the user's lease unless renewed; renewed every
  // third of it while an attempt is in flight.
  absl::Duration ttl = absl::Seconds(10);
  // While an earlier request holds the lease, claims are repeated after
  // the first wait, doubling up to the last (never past the holder's
  // lease).
  absl::Duration first_poll = absl::Milliseconds(10);
  absl::Duration max_poll = absl::Milliseconds(200);
};

// One request's turn in its user's order across replicas
// (SharedUserOrder), for the attempts of a request numbered `token`:
// Acquire() before each attempt claims the user's lease, waiting while an
// earlier request elsewhere holds it; the lease is then renewed until
// Release() after the attempt.
//
// The fence: a grant counts only if it came back within half the lease's
// time to live from when the claim was sent (by this process's clock);
// later (a slow Redis, a paused process), the lease may have lapsed and
// been taken by a newer request, so the claim is made again, and answers
// kSuperseded if that is what happened.
//
// Renewals are timed from when the claim (or the last renewal) was sent,
// not from when its answer came, so a slow answer eats into the fence's
// half, never into the renewal's margin. An Acquire() that ends without a
// grant after all (set aside by the fence and then superseded, cancelled,
// or a claim whose answer was lost) releases whatever its claims may have
// taken.
//
// Thread-safe. Runs `done` exactly once per Acquire(), never under its
// lock, on the order's thread, the timer thread or the caller's (Cancel()).
// Borrows everything it is given, which must outlive it; hold it by
// shared_ptr (its callbacks keep it alive).
class UserLease : public std::enable_shared_from_this<UserLease> {
 public:
  enum class Outcome {
    kGranted,           // send the attempt now; Release() after it
    kSuperseded,        // a later request for the user exists: do not send
    kUnavailable,       // the order cannot be consulted: decide alone
    kCancelled,         // Cancel() ended the wait
    kDeadlineExceeded,  // the lease would not be free before `deadline`
  };
  using Callback = absl::AnyInvocable<void(Outcome) &&>;

  UserLease(UserLeaseOptions options, SharedUserOrder& order, Timers& timers,
            Clock& clock, Metrics& metrics, std::string user_id,
            uint64_t token);
  UserLease(const UserLease&) = delete;
  UserLease& operator=(const UserLease&) = delete;

  // Claims the lease for the next attempt. One at a time: not again before
  // `done` has run and, if granted, Release().
  void Acquire(absl::Time deadline, Callback done);
  // Ends an Acquire() in progress (unless its outcome is already decided),
  // and any later one, with kCancelled. Safe to repeat; leaves a held
  // lease to Release().
  void Cancel();
  // After the attempt (or instead of it): stops renewing and lets the lease
  // go. A no-op unless held.
  void Release();

 private:
  enum class State { kIdle, kClaiming, kWaiting, kHeld };

  void SendClaim();
  void OnClaim(absl::Time sent_at,
               absl::StatusOr<SharedUserOrder::ClaimResult> claim);
  void Wait(absl::Duration holder_ttl);
  void OnWaitTimer(uint64_t round);
  // Renews a third of the lease after `extended_at`, when the claim or the
  // last renewal was sent.
  void ScheduleRenewal(absl::Time extended_at);
  void OnRenewTimer(uint64_t round);
  void OnRenewed(uint64_t round, absl::Time sent_at, absl::StatusOr<bool> held);
  // Runs the Acquire()'s `done` (the first call wins); kGranted → kHeld,
  // renewed from `claimed_at`; otherwise a lease a grant may have left in
  // Redis is released.
  void Finish(Outcome outcome, absl::Time claimed_at = absl::InfinitePast());

  const UserLeaseOptions options_;
  SharedUserOrder& order_;
  Timers& timers_;
  Clock& clock_;
  Metrics& metrics_;
  const std::string user_id_;
  const uint64_t token_;

  absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kIdle;
  Callback done_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  // This Acquire() has had a grant (perhaps set aside by the fence).
  bool granted_seen_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time deadline_ ABSL_GUARDED_BY(mu_);
  absl::Time started_at_ ABSL_GUARDED_BY(mu_);
  absl::Duration next_poll_ ABSL_GUARDED_BY(mu_);
  // Tells a timer's late callback from the current one.
  uint64_t round_ ABSL_GUARDED_BY(mu_) = 0;
  Timers::Id timer_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace userimage

#endif  // SERVER_CLERK_USER_LEASE_H_
