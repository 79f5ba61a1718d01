#ifndef SERVER_RATELIMIT_RATE_GATE_H_
#define SERVER_RATELIMIT_RATE_GATE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/ratelimit/caller_weights.h"
#include "server/ratelimit/fair_queue.h"
#include "server/ratelimit/permit_source.h"
#include "server/ratelimit/shared_quota.h"
#include "server/time/clock.h"

namespace userimage {

struct RateGateOptions {
  // Clerk's quota for the secret key: `quota` requests per `window`
  // (100 per 10 s on development instances, 1000 per 10 s in production).
  int quota = 100;
  absl::Duration window = absl::Seconds(10);
  // Pace requests to the quota with a token bucket. When off, the gate only
  // honours pauses.
  bool pacing = true;
  // Replicas sharing the secret key. Deciding alone (no shared quota, or
  // while it is unreachable), this process paces to quota / replicas, its
  // fair share.
  int replicas = 1;
  // A quota shared with the other replicas (Redis), or null. Borrowed; it
  // must outlive the gate.
  SharedQuota* shared = nullptr;
  // While the shared quota is unreachable, how often it is tried again
  // (at least every 10 ms).
  absl::Duration shared_retry_interval = absl::Seconds(1);
  // A question to the shared quota unanswered for this long counts as
  // unreachable (the gate falls back at once; a late answer still counts).
  absl::Duration shared_answer_timeout = absl::Seconds(1);
  // The longest a pause may last from the moment it is set, whoever sets it
  // (PauseUntil(), or another replica through the shared quota): a single
  // Retry-After of a day must not stop the service for a day.
  absl::Duration max_pause = absl::Seconds(60);
  // Told when the gate stops using the shared quota (false, with the
  // reason) and when it uses it again (true). Runs outside the gate's lock,
  // so two changes may arrive in either order from different threads:
  // `change` numbers them (1, 2, ...), and a change older than one already
  // applied is stale.
  std::function<void(uint64_t change, bool shared_in_use,
                     const absl::Status& why)>
      on_shared_state;
  // Each caller's share of the permits (null: every caller weighs 1).
  // Borrowed; it must outlive the gate.
  const CallerWeights* weights = nullptr;
  // The most requests one caller may have waiting at each priority (0: no
  // limit), so a bulk backlog never refuses the same caller's interactive
  // requests; a new request beyond it is refused with RESOURCE_EXHAUSTED
  // (retries of requests already admitted are not).
  size_t max_queued_per_caller = 0;
};

// The one process-wide gate every request to Clerk passes, so that the
// service sends about as many requests as Clerk accepts:
// - requests leave on the permits of a PermitSource: this process's token
//   bucket (LocalPacing: a burst of quota/50, at least 1, then
//   (quota - burst) per window: no span of one window ever holds more than
//   `quota` requests, whatever the alignment of Clerk's windows), or, with
//   a SharedQuota, its grants, so that the replicas together pace to the
//   quota, falling back to this replica's fair share while it cannot be
//   consulted (SharedPermits);
// - PauseUntil() (called on a 429 with Retry-After) holds *every* request
//   until then, not only the one that was refused; with a shared quota the
//   pause is shared with every replica;
// - waiting requests leave in a fair order (FairQueue): interactive before
//   bulk, callers sharing by weight, each caller's in arrival order
//   (retries first);
// - a caller may have at most max_queued_per_caller requests waiting at
//   each priority; beyond that a new one fails at once with
//   RESOURCE_EXHAUSTED and a RetryInfo saying when the caller's first
//   waiting request of that priority should leave;
// - a request that cannot leave before its deadline, from its place in the
//   fair order, fails at once with RESOURCE_EXHAUSTED and a RetryInfo saying
//   when a retry can succeed;
// - waits are timers, never blocked threads.
// The gate keeps the queue, the pauses, the deadlines and the wake timer;
// the source only counts permits.
//
// Thread-safe. Callbacks run outside the gate's lock, on the calling thread,
// the timer thread or the shared quota's thread, exactly once each; they must
// not block. The gate never calls the clock, the timers, the shared quota or
// a callback while holding its lock (its source runs under the lock and
// defers such work until after it). Borrows `clock` and `timers`, which must
// outlive the gate. Destroy the gate only when no request is waiting; the
// destructor waits for a running wake-up and an unanswered question to the
// shared quota.
class RateGate final : private PermitSource::Host {
 public:
  using Ticket = uint64_t;
  // Receives OK when the request may be sent, or the reason it may not.
  using Callback = absl::AnyInvocable<void(absl::Status) &&>;

  // With the source the options describe (SharedPermits when `shared` is
  // set, else LocalPacing).
  RateGate(RateGateOptions options, Clock& clock, Timers& timers);
  // With the given source (max_pause is the only option the gate reads).
  RateGate(std::unique_ptr<PermitSource> source, RateGateOptions options,
           Clock& clock, Timers& timers);
  ~RateGate();
  RateGate(const RateGate&) = delete;
  RateGate& operator=(const RateGate&) = delete;

  struct Request {
    // The request must start by then.
    absl::Time deadline = absl::InfiniteFuture();
    // A retry of a request already admitted once: first in its caller's
    // line, and never refused for the caller's cap.
    bool retry = false;
    Sender sender;
  };

  // Queues a request. Returns a ticket for Cancel(), or 0 when `proceed`
  // has already run.
  Ticket Acquire(Request request, Callback proceed);

  // Fails a waiting request with CANCELLED. False if it already left.
  bool Cancel(Ticket ticket);

  // Holds every request until `until`, at most max_pause from now (a later
  // pause extends it). Waiting requests that can then no longer start before
  // their deadline fail.
  void PauseUntil(absl::Time until);

  size_t waiting() const;
  // Waiting requests of `caller`.
  size_t waiting(absl::string_view caller) const;
  // Until when requests are held (this process's pause or a shared one).
  absl::Time paused_until() const;
  // Whether a shared quota is configured and answering.
  bool shared_in_use() const;

 private:
  struct Ready {
    Callback proceed;
    absl::Status status;
  };
  // A change of the wake timer, decided under the lock and made after it.
  struct WakeChange {
    Timers::Id cancel = 0;    // the timer to cancel, if any
    uint64_t generation = 0;  // non-zero: schedule a wake-up at `at`
    absl::Time at;
  };
  // What a dispatch decided under the lock, done after it.
  struct Actions {
    std::vector<Ready> ready;
    PermitSource::Deferred deferred;
    WakeChange wake;
  };

  absl::Time HeldUntilLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // When a request at `position` in the queue could start, seen at `now`.
  absl::Time EstimateStart(absl::Time now, size_t position) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why a request `position` places back cannot start before its deadline.
  absl::Status NoRoomBefore(absl::Time start, absl::Time now,
                            size_t position) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why `sender` may queue no more.
  absl::Status QueueFull(const Sender& sender, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why `request` is refused at once, or OK.
  absl::Status Admit(const Request& request, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails the requests whose deadline has passed.
  void ExpireLocked(absl::Time now, std::vector<Ready>& ready)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Releases what may go, fails what is out of time, sets the wake timer.
  void Dispatch();
  void DispatchLocked(absl::Time now, Actions& actions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PlanWakeLocked(absl::Time wake, WakeChange& change)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Run(Actions& actions);
  void ApplyWakeChange(const WakeChange& change);
  void Wake(uint64_t generation);
  // PermitSource::Host.
  void Update(Change change) override;

  const RateGateOptions options_;
  const CallerWeights default_weights_;
  Clock& clock_;
  Timers& timers_;
  mutable absl::Mutex mu_;
  const std::unique_ptr<PermitSource> source_ ABSL_PT_GUARDED_BY(mu_);
  FairQueue queue_ ABSL_GUARDED_BY(mu_);
  absl::Time paused_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  Ticket next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  Timers::Id wake_timer_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t wake_generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time wake_at_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  // Wake-ups scheduled or running, and source updates running.
  int timer_callbacks_ ABSL_GUARDED_BY(mu_) = 0;
  int updates_running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_RATE_GATE_H_
