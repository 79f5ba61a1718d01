#ifndef SERVER_RATELIMIT_LOCAL_PACING_H_
#define SERVER_RATELIMIT_LOCAL_PACING_H_

#include <optional>

#include "absl/time/time.h"
#include "server/ratelimit/permit_source.h"
#include "server/ratelimit/token_bucket.h"

namespace userimage {

struct LocalPacingOptions {
  // Clerk's quota for the secret key: `quota` requests per `window`.
  int quota = 100;
  absl::Duration window = absl::Seconds(10);
  // Pace with a token bucket; when off (or with no quota), every request
  // may leave at once.
  bool pacing = true;
  // Replicas sharing the key: this process paces to quota / replicas.
  int replicas = 1;
};

// Permits from this process's own token bucket, paced to its fair share of
// the quota (PacingFor(quota / replicas, window)); unlimited when pacing is
// off. The bucket starts full at `start`. A PermitSource: not thread-safe,
// its owner locks.
class LocalPacing final : public PermitSource {
 public:
  LocalPacing(const LocalPacingOptions& options, absl::Time start);

  Permits Take(absl::Time now, Demand demand, Deferred& deferred) override;
  absl::Time EstimateStart(absl::Time from, size_t position) const override;

  // Empties the bucket: permits come back only with time.
  void Drain(absl::Time now);

 private:
  std::optional<TokenBucket> bucket_;  // None: unlimited.
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_LOCAL_PACING_H_
