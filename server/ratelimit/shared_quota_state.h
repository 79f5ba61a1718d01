#ifndef SERVER_RATELIMIT_SHARED_QUOTA_STATE_H_
#define SERVER_RATELIMIT_SHARED_QUOTA_STATE_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/metrics/metrics.h"

namespace userimage {

// The gRPC health service that says whether the replicas share Redis's
// quota: SERVING while shared, NOT_SERVING while this replica paces to its
// own share.
inline constexpr char kSharedQuotaHealth[] =
    "clerk.userimage.v1.SharedRateLimit";

// Tells operators whether the replicas share Redis's quota (RateGate's
// on_shared_state): kSharedQuotaHealth on every attached health service, a
// counter of fallbacks and a log line at each change. Thread-safe. Borrows
// `metrics` and the attached health services, which must outlive it or be
// detached (DetachAll()) first.
class SharedQuotaState {
 public:
  explicit SharedQuotaState(Metrics& metrics) : metrics_(metrics) {}

  // Change number `change` (RateGateOptions::on_shared_state): applied
  // unless a later change already was (changes told from two threads may
  // arrive in either order).
  void Set(uint64_t change, bool in_use, const absl::Status& why);
  // Reports the current state on `health` from now on.
  void Attach(grpc::HealthCheckServiceInterface* health);
  // Stops updating the health services (before they are destroyed).
  void DetachAll();

 private:
  Metrics& metrics_;
  mutable absl::Mutex mu_;
  bool in_use_ ABSL_GUARDED_BY(mu_) = true;
  uint64_t last_change_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<grpc::HealthCheckServiceInterface*> health_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_SHARED_QUOTA_STATE_H_
