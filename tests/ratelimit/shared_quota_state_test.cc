#include "server/ratelimit/shared_quota_state.h"

#include <map>
#include <string>

#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "server/metrics/metrics.h"

namespace userimage {
namespace {

// Records what each service was last told.
class RecordingHealth final : public grpc::HealthCheckServiceInterface {
 public:
  void SetServingStatus(const std::string& service, bool serving) override {
    status[service] = serving;
  }
  void SetServingStatus(bool serving) override { status[""] = serving; }
  void Shutdown() override {}

  std::map<std::string, bool> status;
};

TEST(SharedQuotaStateTest, AttachedHealthFollowsTheChanges) {
  Metrics metrics;
  SharedQuotaState state(metrics);
  RecordingHealth health;
  state.Attach(&health);
  EXPECT_TRUE(health.status.at(kSharedQuotaHealth));  // Shared until told.
  state.Set(1, false, absl::UnavailableError("Redis is down"));
  EXPECT_FALSE(health.status.at(kSharedQuotaHealth));
  state.Set(2, true, absl::OkStatus());
  EXPECT_TRUE(health.status.at(kSharedQuotaHealth));
  state.DetachAll();
  state.Set(3, false, absl::UnavailableError("down again"));
  EXPECT_TRUE(health.status.at(kSharedQuotaHealth));  // Detached: untold.
}

// A fallback told on the timer thread and the return told on Redis's may
// arrive in the opposite order: the newer change stays.
TEST(SharedQuotaStateTest, AChangeArrivingAfterANewerOneIsStale) {
  Metrics metrics;
  SharedQuotaState state(metrics);
  RecordingHealth health;
  state.Attach(&health);
  state.Set(2, true, absl::OkStatus());
  state.Set(1, false, absl::DeadlineExceededError("no answer within 1s"));
  EXPECT_TRUE(health.status.at(kSharedQuotaHealth));
  // A health service attached later is told the newest state too.
  RecordingHealth later;
  state.Attach(&later);
  EXPECT_TRUE(later.status.at(kSharedQuotaHealth));
}

}  // namespace
}  // namespace userimage
