// Per-user order across two replicas sharing a real redis-server, as a
// caller sees it: an upload that met a 503 (Retry-After: 5) is backing off
// on one replica when a newer upload for the same user arrives at the
// other. The newer one succeeds, the older one ends ABORTED / SUPERSEDED
// without being sent again, and Clerk keeps the newer image.

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/status_from_grpc.h"
#include "client/user_image_client.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/metrics_scrape.h"
#include "tools/support/redis_server.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;
using ::clerk::userimage::v1::User;

std::optional<google::rpc::ErrorInfo> Info(const absl::Status& status) {
  auto payload = status.GetPayload(clerk::userimage::client::kRpcStatusTypeUrl);
  if (!payload) return std::nullopt;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(std::string(*payload))) return std::nullopt;
  for (const auto& any : rpc.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info;
  }
  return std::nullopt;
}

class UserOrderEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start().value();
    const std::vector<std::string> flags = {
        "--clerk_rate_limit=100", "--clerk_rate_window=10s",
        "--clerk_rate_limit_replicas=2",
        absl::StrCat("--redis_address=127.0.0.1:", redis_->port())};
    deployment_ = LocalDeployment::Start(flags).value();
    ASSERT_TRUE(deployment_->AddServer(flags).ok());
    ASSERT_TRUE(deployment_->Control("reset"));
  }

  absl::StatusOr<User> Upload(int replica, const std::string& image) {
    UserImageClient client(
        grpc::CreateChannel(deployment_->server_address(replica),
                            grpc::InsecureChannelCredentials()));
    UploadOptions options;
    options.user_id = LocalDeployment::LoadUser(7);
    options.timeout = absl::Seconds(60);
    return client.UploadProfileImage(options, image);
  }

  // Waits (bounded) until the emulator has received `n` requests.
  bool AwaitRequests(int n) {
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (deployment_->Requests().values_size() < n) {
      if (absl::Now() > give_up) return false;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return true;
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<LocalDeployment> deployment_;
};

TEST_F(UserOrderEndToEndTest,
       AnOlderUploadBackingOffOnAnotherReplicaIsSuperseded) {
  ASSERT_TRUE(deployment_->Control("faults?kind=503&retry_after=5"));
  absl::StatusOr<User> older;
  std::thread first([&] { older = Upload(0, TestPng(1024, 1)); });
  ASSERT_TRUE(AwaitRequests(1));  // It met the 503 and backs off for 5 s.
  absl::StatusOr<User> newer = Upload(1, TestPng(1024, 2));
  first.join();
  ASSERT_TRUE(newer.ok()) << newer.status();
  EXPECT_EQ(older.status().code(), absl::StatusCode::kAborted)
      << older.status();
  auto info = Info(older.status());
  ASSERT_TRUE(info.has_value()) << older.status();
  EXPECT_EQ(info->reason(), "SUPERSEDED");
  EXPECT_EQ(info->metadata().at("attempts"), "1");
  // Clerk saw only the 503 and the newer upload, and holds the newer image.
  EXPECT_EQ(deployment_->Requests().values_size(), 2);
  auto held = deployment_->GetUser(LocalDeployment::LoadUser(7));
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->image_url(), newer->image_url());
  EXPECT_EQ(
      ScrapeMetric(deployment_->metrics_port(0), "userimage_superseded_total"),
      1);
}

}  // namespace
}  // namespace userimage
