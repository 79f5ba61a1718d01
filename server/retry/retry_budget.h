#ifndef SERVER_RETRY_RETRY_BUDGET_H_
#define SERVER_RETRY_RETRY_BUDGET_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace userimage {

// Process-wide retry throttling, as in gRPC's retry design (gRFC A6): a
// token count starts at `max_tokens`; every failed attempt that could be
// retried takes one token away, every success adds `token_ratio`; retries
// are allowed only while more than half the tokens remain. In a sustained
// outage retries therefore fall to about `token_ratio` of requests, so they
// cannot multiply the load on Clerk; in normal operation they are free.
// Thread-safe.
class RetryBudget {
 public:
  RetryBudget(double max_tokens, double token_ratio);

  void RecordSuccess();
  void RecordFailure();
  // Whether a retry may be sent now.
  bool AllowRetry() const;
  double tokens() const;

 private:
  const double max_tokens_;
  const double token_ratio_;
  mutable absl::Mutex mu_;
  double tokens_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_RETRY_RETRY_BUDGET_H_
