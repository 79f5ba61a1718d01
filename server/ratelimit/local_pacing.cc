#include "server/ratelimit/local_pacing.h"

#include <algorithm>

namespace userimage {

LocalPacing::LocalPacing(const LocalPacingOptions& options, absl::Time start) {
  if (options.pacing && options.quota > 0) {
    const Pacing share =
        PacingFor(std::max(1, options.quota / std::max(1, options.replicas)),
                  options.window);
    bucket_.emplace(share.burst, share.interval, start);
  }
}

PermitSource::Permits LocalPacing::Take(absl::Time now, Demand demand,
                                        Deferred& /*deferred*/) {
  // This process's own bucket: the gate already puts interactive first.
  const int wanted = demand.total();
  if (!bucket_.has_value()) return {.granted = wanted};
  Permits permits;
  while (permits.granted < wanted && bucket_->TryTake(now)) ++permits.granted;
  if (permits.granted < wanted) permits.ask_again = bucket_->NextAvailable(now);
  return permits;
}

absl::Time LocalPacing::EstimateStart(absl::Time from, size_t position) const {
  if (!bucket_.has_value()) return from;
  return bucket_->NextAvailable(from) + bucket_->interval() * position;
}

void LocalPacing::Drain(absl::Time now) {
  if (bucket_.has_value()) bucket_->Drain(now);
}

}  // namespace userimage
