// One Clerk quota shared by three replicas through a real redis-server: the
// emulator enforces 40 requests per 2 s (fixed windows, 429 with
// Retry-After beyond), and a burst of uploads is spread over the replicas.
// Every upload succeeds and Clerk refuses almost none (replicas pacing
// alone to the whole quota would send three times it). Then the same with
// Redis killed a third of the way through: nothing crashes, no upload is
// lost, the replicas fall back to their shares (metrics, health, logs) and
// return to Redis when it is back. The quota is small and the window short
// so that the test takes seconds; goodput at Clerk's real quota is
// measured by //tools/bench:replicas_bench (docs/operations.md).
#include <atomic>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/user_image_client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/metrics_scrape.h"
#include "tools/support/redis_server.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

constexpr int kReplicas = 3;
constexpr int kQuota = 40;
constexpr absl::Duration kWindow = absl::Seconds(2);
constexpr int kUploads = 3 * kQuota;  // Three windows' worth.
constexpr int kCallers = 24;
// 429s tolerated: a request paced at a window's end may reach the emulator
// in the next one on a loaded machine. Replicas pacing alone to the whole
// quota are refused at least once each in every window they overrun (each
// pauses on its own 429): 6 to 9 here.
constexpr int kMaxRateLimited = 2;

struct Report {
  int succeeded = 0;
  std::vector<std::string> failures;
  int clerk_requests = 0;
  int rate_limited = 0;  // 429s Clerk sent
  absl::Duration elapsed;
  double goodput =
      0;  // successful uploads / what the quota allows in `elapsed`
};

grpc::health::v1::HealthCheckResponse::ServingStatus SharedHealth(
    LocalDeployment& d, int replica) {
  auto channel = grpc::CreateChannel(d.server_address(replica),
                                     grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service("clerk.userimage.v1.SharedRateLimit");
  grpc::health::v1::HealthCheckResponse response;
  if (!health->Check(&context, request, &response).ok()) {
    return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  }
  return response.status();
}

class SharedRateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start().value();
    const std::vector<std::string> flags = {
        absl::StrCat("--clerk_rate_limit=", kQuota),
        absl::StrCat("--clerk_rate_window=", absl::FormatDuration(kWindow)),
        absl::StrCat("--clerk_rate_limit_replicas=", kReplicas),
        absl::StrCat("--redis_address=127.0.0.1:", redis_->port()),
        "--redis_retry_interval=500ms"};
    deployment_ =
        LocalDeployment::Start(
            flags,
            {absl::StrCat("--rate_limit=", kQuota),
             absl::StrCat("--rate_window=", absl::FormatDuration(kWindow))})
            .value();
    for (int i = 1; i < kReplicas; ++i)
      ASSERT_TRUE(deployment_->AddServer(flags).ok());
    for (int i = 0; i < kReplicas; ++i) {
      clients_.push_back(std::make_unique<UserImageClient>(grpc::CreateChannel(
          deployment_->server_address(i), grpc::InsecureChannelCredentials())));
    }
    ASSERT_TRUE(deployment_->Control("reset"));
  }

  // Sends kUploads uploads from kCallers threads, round-robin over the
  // replicas; `after_each(n)` runs when the n-th upload has finished.
  Report Burst(const std::function<void(int)>& after_each) {
    const std::string image = TestPng(2048);
    std::atomic<int> next{0}, finished{0};
    absl::Mutex mu;
    Report report;
    const absl::Time start = absl::Now();
    absl::Time last = start;
    std::vector<std::thread> callers;
    for (int t = 0; t < kCallers; ++t) {
      callers.emplace_back([&] {
        for (int i = next++; i < kUploads; i = next++) {
          UploadOptions options;
          options.user_id = LocalDeployment::LoadUser(i);
          options.timeout = absl::Seconds(180);
          auto user =
              clients_[i % kReplicas]->UploadProfileImage(options, image);
          {
            absl::MutexLock lock(&mu);
            if (user.ok()) {
              ++report.succeeded;
              last = absl::Now();
            } else {
              report.failures.push_back(user.status().ToString());
            }
          }
          after_each(++finished);
        }
      });
    }
    for (std::thread& t : callers) t.join();
    report.elapsed = last - start;
    const google::protobuf::ListValue requests = deployment_->Requests();
    for (const auto& request : requests.values()) {
      const auto& fields = request.struct_value().fields();
      if (fields.at("method").string_value() != "POST") continue;
      ++report.clerk_requests;
      if (fields.at("status").number_value() == 429) ++report.rate_limited;
    }
    report.goodput = report.succeeded /
                     (absl::FDivDuration(report.elapsed, kWindow) * kQuota);
    return report;
  }

  static void Print(const std::string& title, const Report& r) {
    std::printf(
        "%s: %d/%d uploads succeeded in %.1f s through %d replicas; Clerk "
        "received %d requests, %d answered 429 (%.2f %%); goodput %.1f %% of "
        "the quota (%d per %s)\n",
        title.c_str(), r.succeeded, kUploads, absl::ToDoubleSeconds(r.elapsed),
        kReplicas, r.clerk_requests, r.rate_limited,
        r.clerk_requests ? 100.0 * r.rate_limited / r.clerk_requests : 0.0,
        100 * r.goodput, kQuota, absl::FormatDuration(kWindow).c_str());
    std::fflush(stdout);
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<LocalDeployment> deployment_;
  std::vector<std::unique_ptr<UserImageClient>> clients_;
};

TEST_F(SharedRateLimitTest, ReplicasTogetherPaceToTheQuota) {
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_EQ(SharedHealth(*deployment_, i),
              grpc::health::v1::HealthCheckResponse::SERVING);
  }
  const Report report = Burst([](int) {});
  Print("shared quota", report);
  EXPECT_EQ(report.succeeded, kUploads)
      << (report.failures.empty() ? "" : report.failures.front());
  EXPECT_LE(report.rate_limited, kMaxRateLimited);
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_EQ(ScrapeMetric(deployment_->metrics_port(i),
                           "userimage_shared_quota_in_use"),
              1);
    EXPECT_EQ(ScrapeMetric(deployment_->metrics_port(i),
                           "userimage_shared_quota_fallbacks_total"),
              0);
  }
}

TEST_F(SharedRateLimitTest,
       RedisLostMidwayLosesNoUploadAndReplicasFallBackToTheirShares) {
  std::atomic<bool> stopped{false};
  const Report report = Burst([&](int finished) {
    if (finished == kUploads / 3 && !stopped.exchange(true)) redis_->Stop();
  });
  Print("Redis killed after a third", report);
  EXPECT_EQ(report.succeeded, kUploads)
      << (report.failures.empty() ? "" : report.failures.front());
  EXPECT_LE(report.rate_limited, kMaxRateLimited);
  for (int i = 0; i < kReplicas; ++i) {
    EXPECT_TRUE(deployment_->server(i).Running()) << "replica " << i;
    EXPECT_EQ(ScrapeMetric(deployment_->metrics_port(i),
                           "userimage_shared_quota_in_use"),
              0);
    EXPECT_GE(ScrapeMetric(deployment_->metrics_port(i),
                           "userimage_shared_quota_fallbacks_total"),
              1);
    EXPECT_EQ(SharedHealth(*deployment_, i),
              grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  }
  // Redis is back: every replica returns to it, without traffic.
  ASSERT_TRUE(redis_->Restart().ok());
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  for (int i = 0; i < kReplicas; ++i) {
    while (ScrapeMetric(deployment_->metrics_port(i),
                        "userimage_shared_quota_in_use") != 1 &&
           absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    EXPECT_EQ(ScrapeMetric(deployment_->metrics_port(i),
                           "userimage_shared_quota_in_use"),
              1)
        << "replica " << i;
    EXPECT_EQ(SharedHealth(*deployment_, i),
              grpc::health::v1::HealthCheckResponse::SERVING);
  }
}

}  // namespace
}  // namespace userimage
