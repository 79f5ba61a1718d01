#ifndef SERVER_APP_CLERK_DELIVERY_H_
#define SERVER_APP_CLERK_DELIVERY_H_

#include "server/clerk/clerk_client.h"
#include "server/clerk/retrying_clerk_client.h"
#include "server/http/http_client.h"
#include "server/metrics/metrics.h"
#include "server/ratelimit/rate_gate.h"
#include "server/retry/retry_budget.h"
#include "server/time/clock.h"

namespace userimage {

struct ClerkDeliveryOptions {
  ClerkClientOptions clerk;
  RateGateOptions gate;
  RetryBudgetOptions budget;
  RetryOptions retry;
};

// The path of every request to Clerk, wired once for the server and for
// the tests that drive the service: Clerk's client on `http`, the rate
// gate, the retry budget and the retrying client in front of them.
//
// Owns the four; borrows the seams, which must outlive it (a shared quota
// or order named in the options too). Thread-safe as its parts are.
// Destroy it only when no request is in progress.
class ClerkDelivery {
 public:
  ClerkDelivery(ClerkDeliveryOptions options, HttpClient& http, Clock& clock,
                Timers& timers, RandomSource& random, Metrics& metrics);
  ClerkDelivery(const ClerkDelivery&) = delete;
  ClerkDelivery& operator=(const ClerkDelivery&) = delete;

  RetryingClerkClient& client() { return retrying_; }
  RateGate& gate() { return gate_; }
  RetryBudget& budget() { return budget_; }

 private:
  ClerkClient clerk_;
  RateGate gate_;
  RetryBudget budget_;
  RetryingClerkClient retrying_;
};

}  // namespace userimage

#endif  // SERVER_APP_CLERK_DELIVERY_H_
