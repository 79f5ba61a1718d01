#include "server/ratelimit/shared_quota_state.h"

#include "server/log/json_log.h"

namespace userimage {

void SharedQuotaState::Set(uint64_t change, bool in_use,
                           const absl::Status& why) {
  {
    // The health services take their own locks; they are told under ours
    // so that the newest change is the one they keep (gRPC's health
    // service only records the status and notifies watchers
    // asynchronously, so nothing calls back into this object).
    absl::MutexLock lock(&mu_);
    if (change <= last_change_) return;  // A later change came first.
    last_change_ = change;
    in_use_ = in_use;
    for (grpc::HealthCheckServiceInterface* health : health_) {
      health->SetServingStatus(kSharedQuotaHealth, in_use);
    }
  }
  if (in_use) {
    LogEvent(LogLevel::kInfo, "shared_rate_limit_restored",
             {{"message", LogString("Redis answers again: pacing to the quota "
                                    "shared by every replica")}});
  } else {
    metrics_.RecordSharedQuotaFallback();
    LogEvent(LogLevel::kWarning, "shared_rate_limit_unavailable",
             {{"message", LogString("Redis is unreachable: pacing to this "
                                    "replica's share of the quota until it "
                                    "answers")},
              {"error", LogString(why.message())}});
  }
}

void SharedQuotaState::Attach(grpc::HealthCheckServiceInterface* health) {
  absl::MutexLock lock(&mu_);
  health_.push_back(health);
  health->SetServingStatus(kSharedQuotaHealth, in_use_);
}

void SharedQuotaState::DetachAll() {
  absl::MutexLock lock(&mu_);
  health_.clear();
}

}  // namespace userimage
