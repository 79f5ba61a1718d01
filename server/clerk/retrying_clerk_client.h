#ifndef SERVER_CLERK_RETRYING_CLERK_CLIENT_H_
#define SERVER_CLERK_RETRYING_CLERK_CLIENT_H_

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/clerk/clerk_client.h"
#include "server/metrics/metrics.h"
#include "server/ratelimit/rate_gate.h"
#include "server/retry/backoff.h"
#include "server/retry/retry_budget.h"
#include "server/time/clock.h"

namespace userimage {

struct RetryOptions {
  // Attempts per request, the first included.
  int max_attempts = 4;
  BackoffPolicy backoff;
  // How long a 429 without Retry-After pauses the shared gate.
  absl::Duration pause_without_retry_after = absl::Seconds(1);
  // Whether a 429 pauses every request (the shared gate) or only delays the
  // retry of the request that received it.
  bool shared_pause = true;
};

// Whether a failed attempt may succeed when retried: Clerk answered 429,
// 500, 502, 503 or 504, or could not be reached / timed out. Never other
// 4xx.
bool IsRetryable(const absl::Status& status);

// Delivers requests to Clerk through the process-wide RateGate, retrying
// what IsRetryable() allows: up to max_attempts, with full-jitter
// exponential backoff or Clerk's Retry-After as the floor of the wait,
// within the RetryBudget, and never past the caller's deadline (a wait that
// would end after it is not started). A 429 pauses the gate for everyone.
// The final error carries the attempts made (ErrorInfo metadata
// "attempts") and, when a later retry can succeed, a RetryInfo; the outcome
// also reports the attempts, Clerk's last HTTP status and trace id. Gate
// waits, retries and rate-limit pauses are recorded in `metrics`.
//
// Thread-safe. Borrows everything it is given, which must outlive it and
// every Operation. `done` runs exactly once, on a timer or HTTP thread, or
// on the caller's thread for an immediate answer.
class RetryingClerkClient {
 public:
  using Callback = ClerkClient::Callback;

  // One request in progress.
  class Operation {
   public:
    virtual ~Operation() = default;
    // Stops waiting (for the gate or a backoff timer) at once and finishes
    // with CANCELLED. An attempt already sent to Clerk runs to its end, and
    // its outcome is still reported.
    virtual void Cancel() = 0;
  };

  RetryingClerkClient(RetryOptions options, ClerkClient& clerk, RateGate& gate,
                      RetryBudget& budget, Clock& clock, Timers& timers,
                      RandomSource& random, Metrics& metrics);

  std::shared_ptr<Operation> UploadProfileImage(AssembledImage image,
                                                absl::Time deadline,
                                                Callback done);
  std::shared_ptr<Operation> DeleteProfileImage(std::string user_id,
                                                absl::Time deadline,
                                                Callback done);

 private:
  class Call;
  using Attempt = absl::AnyInvocable<void(Callback)>;
  std::shared_ptr<Operation> Start(Attempt attempt, absl::Time deadline,
                                   Callback done);

  const RetryOptions options_;
  ClerkClient& clerk_;
  RateGate& gate_;
  RetryBudget& budget_;
  Clock& clock_;
  Timers& timers_;
  RandomSource& random_;
  Metrics& metrics_;
};

}  // namespace userimage

#endif  // SERVER_CLERK_RETRYING_CLERK_CLIENT_H_
