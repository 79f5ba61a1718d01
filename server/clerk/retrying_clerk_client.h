#ifndef SERVER_CLERK_RETRYING_CLERK_CLIENT_H_
#define SERVER_CLERK_RETRYING_CLERK_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/clerk/clerk_client.h"
#include "server/clerk/shared_user_order.h"
#include "server/clerk/user_lanes.h"
#include "server/clerk/user_lease.h"
#include "server/http/abort_signal.h"
#include "server/metrics/metrics.h"
#include "server/ratelimit/fair_queue.h"
#include "server/ratelimit/rate_gate.h"
#include "server/retry/backoff.h"
#include "server/retry/retry_budget.h"
#include "server/time/clock.h"
#include "server/trace/trace_context.h"

namespace userimage {

// One request in progress (RetryingClerkClient::Operation).
class ClerkOperation {
 public:
  virtual ~ClerkOperation() = default;
  // Ends the request as soon as possible, from any thread, at any stage:
  // a wait for the gate or a backoff timer stops at once and finishes with
  // CANCELLED; an attempt in flight is aborted (removed from the HTTP
  // transport) and finishes with CANCELLED, unless Clerk answered first, in
  // which case that answer is the outcome. No retry starts after it. Never
  // runs `done` under a lock; may run it on the calling thread.
  virtual void Cancel() = 0;
};

// Where a test may act in a request's life (RetryOptions::test_hook); each
// sits exactly between two steps that another thread can race.
enum class RetryHookPoint {
  kAfterAcquire,   // the gate took the request, its ticket not yet recorded
  kBeforeSend,     // the gate (and the user's lease) let an attempt go, and
                   // it is not yet sent
  kAfterSend,      // an attempt was handed to Clerk's client
  kAfterSchedule,  // a backoff timer was set, its id not yet recorded
};

struct RetryOptions {
  // Attempts per request, the first included.
  int max_attempts = 4;
  BackoffPolicy backoff;
  // How long a 429 without Retry-After pauses the shared gate.
  absl::Duration pause_without_retry_after = absl::Seconds(1);
  // Whether a 429 pauses every request (the shared gate) or only delays the
  // retry of the request that received it.
  bool shared_pause = true;
  // The order of each user's requests across replicas (Redis), borrowed;
  // null: within this replica only. With it, every attempt claims the
  // user's lease (`lease`) right before it is sent.
  SharedUserOrder* shared_order = nullptr;
  UserLeaseOptions lease;
  // Tests only: runs at each RetryHookPoint, outside every lock, with the
  // operation it concerns (which the hook may cancel).
  std::function<void(RetryHookPoint, ClerkOperation&)> test_hook;
};

// Who a request is for and the trace it belongs to. A plain value.
struct ClerkRequestContext {
  // Its place in the gate's fair order (caller, priority); by default the
  // anonymous caller, interactive.
  Sender sender;
  // The trace its requests to Clerk continue (traceparent, tracestate);
  // none: no trace headers.
  std::optional<TraceContext> trace;
};

// ErrorInfo reason of a request replaced by a newer one for its user.
inline constexpr absl::string_view kSupersededReason = "SUPERSEDED";

// Whether a failed attempt may succeed when retried: Clerk answered 429,
// 500, 502, 503 or 504, or could not be reached / timed out. Never other
// 4xx, an attempt this service aborted, or an answer that was not a User.
bool IsRetryable(const ClerkOutcome& outcome);

// Delivers requests to Clerk through the process-wide RateGate, retrying
// what IsRetryable() allows: up to max_attempts, with full-jitter
// exponential backoff or Clerk's Retry-After as the floor of the wait,
// within the RetryBudget (every request deposits, every retry of a 5xx or a
// transport failure withdraws; 429s are paced by the gate instead), and
// never past the caller's deadline (a wait that
// would end after it is not started). A 429 pauses the gate for everyone.
// The final error carries the attempts made (ErrorInfo metadata
// "attempts") and, when a later retry can succeed, a RetryInfo; the outcome
// also reports the attempts, Clerk's last HTTP status and trace id. Gate
// waits, retries and rate-limit pauses are recorded in `metrics`.
//
// Each request is a small state machine (its user's line → gate → attempt
// → backoff → gate …) whose transitions are decided under its own lock; the
// user's line, the gate, the
// timers, the HTTP transport and `done` are only ever called after the lock
// is released. Every race between two ways of ending (cancel vs grant,
// cancel vs backoff timer, cancel vs HTTP completion) has one winner: the
// gate's queue, Timers::Cancel() and the transport's abort each decide it.
//
// Requests for one user id go to Clerk one at a time, in the order they
// were started (UserLanes): a newer upload or delete for the user replaces
// every older one not yet sent (at the gate, in backoff or waiting behind
// another), which ends ABORTED with ErrorInfo reason SUPERSEDED and never
// spends quota; an older one in flight is awaited before the newer is sent,
// and is not retried. With a SharedUserOrder the same holds across
// replicas: each request is numbered when it starts, and each attempt
// claims its user's lease after the gate and right before it is sent
// (UserLease), so an older request anywhere is superseded there (having
// used a gate slot but no Clerk request) and a newer one waits while an
// older one's attempt is in flight elsewhere. If the shared order cannot be
// consulted, the request is ordered within this replica only (and counted).
//
// Thread-safe. Borrows everything it is given, which must outlive it and
// every Operation. `done` runs exactly once, never under a lock: on the
// HTTP client's callback thread, the timer thread, the Redis worker's
// thread, or the caller's own (an immediate answer, or Cancel()), or that
// of a newer request for the same user (which superseded it). Once
// `done` has run the request holds no image bytes.
class RetryingClerkClient {
 public:
  using Callback = ClerkClient::Callback;

  using Operation = ClerkOperation;

  RetryingClerkClient(RetryOptions options, ClerkClient& clerk, RateGate& gate,
                      RetryBudget& budget, Clock& clock, Timers& timers,
                      RandomSource& random, Metrics& metrics);

  // `context` places the request in the gate's fair order and in its
  // trace.
  std::shared_ptr<Operation> UploadProfileImage(
      AssembledImage image, absl::Time deadline, Callback done,
      ClerkRequestContext context = {});
  std::shared_ptr<Operation> DeleteProfileImage(
      std::string user_id, absl::Time deadline, Callback done,
      ClerkRequestContext context = {});

 private:
  class Call;
  using Attempt =
      absl::AnyInvocable<void(Callback, std::shared_ptr<AbortSignal>)>;
  std::shared_ptr<Operation> Start(std::string user_id, Sender sender,
                                   Attempt attempt, absl::Time deadline,
                                   Callback done);

  const RetryOptions options_;
  ClerkClient& clerk_;
  RateGate& gate_;
  RetryBudget& budget_;
  Clock& clock_;
  Timers& timers_;
  RandomSource& random_;
  Metrics& metrics_;
  UserLanes lanes_;
};

}  // namespace userimage

#endif  // SERVER_CLERK_RETRYING_CLERK_CLIENT_H_
