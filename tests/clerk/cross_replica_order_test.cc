// Per-user order across replicas: two RetryingClerkClients (two replicas)
// share one Clerk and one in-memory shared order (standing for Redis), on a
// fake clock, with a Clerk that holds each request until the test answers.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/app/clerk_delivery.h"
#include "server/clerk/retrying_clerk_client.h"
#include "server/status/status_details.h"
#include "tests/testing/clerk_answers.h"
#include "tests/testing/fake_shared_user_order.h"
#include "tests/testing/fake_time.h"
#include "tests/testing/holding_http_client.h"
#include "tests/testing/metrics_scrape.h"

namespace userimage {
namespace {

constexpr char kUser[] = "user_1";

std::string Reason(const absl::Status& status) {
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  return info ? info->reason() : "";
}

// One replica: its own gate, budget, metrics and client, sharing Clerk,
// the clock and the order with the others.
struct Replica {
  Replica(HttpClient& http, FakeTime& time, SharedUserOrder& order)
      : delivery({.clerk = {.api_url = "http://clerk.test", .secret_key = "sk"},
                  .gate = {.quota = 100,
                           .window = absl::Seconds(10),
                           .pacing = false},
                  .retry = {.max_attempts = 4,
                            .backoff = {.base = absl::Milliseconds(100),
                                        .cap = absl::Seconds(5)},
                            .shared_order = &order,
                            .lease = {.ttl = absl::Seconds(3)}}},
                 http, time, time, random, metrics) {}

  FakeRandom random{{0.5}};
  Metrics metrics;
  ClerkDelivery delivery;
  RetryingClerkClient& client = delivery.client();
};

class CrossReplicaOrderTest : public ::testing::Test {
 protected:
  // Starts an upload on `replica`; returns its index in outcomes_.
  int Upload(Replica& replica, absl::Time deadline = absl::InfiniteFuture()) {
    AssembledImage image;
    image.user_id = kUser;
    image.filename = "a.png";
    image.content_type = "image/png";
    image.bytes = std::make_shared<const std::string>("png");
    const int index = static_cast<int>(outcomes_.size());
    outcomes_.emplace_back();
    ops_.push_back(replica.client.UploadProfileImage(
        std::move(image), deadline,
        [this, index](ClerkOutcome o) { outcomes_[index] = std::move(o); }));
    return index;
  }

  void ExpectOk(int index) {
    ASSERT_TRUE(outcomes_[index].has_value());
    EXPECT_TRUE(outcomes_[index]->user.ok()) << outcomes_[index]->user.status();
  }
  void ExpectSuperseded(int index, int attempts) {
    ASSERT_TRUE(outcomes_[index].has_value());
    const absl::Status status = outcomes_[index]->user.status();
    EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
    EXPECT_EQ(Reason(status), "SUPERSEDED");
    EXPECT_EQ(outcomes_[index]->attempts, attempts);
  }

  HoldingHttpClient http_;
  FakeTime time_;
  FakeSharedUserOrder order_{time_};
  Replica a_{http_, time_, order_};
  Replica b_{http_, time_, order_};
  std::vector<std::shared_ptr<RetryingClerkClient::Operation>> ops_;
  std::vector<std::optional<ClerkOutcome>> outcomes_;
};

// The lost update, with the two uploads on different replicas: the
// older one's retry must not be sent after the newer one.
TEST_F(CrossReplicaOrderTest, AnOlderUploadInBackoffElsewhereIsSuperseded) {
  const int older = Upload(a_);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));  // Backs off 50 ms.
  time_.Advance(absl::Milliseconds(20));
  const int newer = Upload(b_);
  EXPECT_EQ(http_.held(), 1u);  // The newer one went at once.
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(newer);
  time_.Advance(absl::Seconds(10));
  // The older one's retry reached its claim and stopped there.
  ExpectSuperseded(older, 1);
  EXPECT_NE(outcomes_[older]->user.status().message().find("503"),
            std::string::npos)
      << outcomes_[older]->user.status();
  EXPECT_EQ(http_.sent(), 2);
  EXPECT_EQ(ScrapeMetric(a_.metrics, "userimage_superseded_total"), 1);
  EXPECT_EQ(time_.pending(), 0u);  // No lease is still being renewed.
}

TEST_F(CrossReplicaOrderTest,
       ANewerRequestWaitsWhileAnOlderIsInFlightElsewhere) {
  const int older = Upload(a_);
  ASSERT_EQ(http_.sent(), 1);
  const int newer = Upload(b_);
  time_.Advance(absl::Seconds(5));  // Renewed while in flight: still held.
  EXPECT_EQ(http_.sent(), 1);
  EXPECT_GE(order_.renewals(), 4);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(older);
  EXPECT_FALSE(outcomes_[newer].has_value());
  time_.Advance(absl::Milliseconds(200));  // Its next poll finds it free.
  EXPECT_EQ(http_.sent(), 2);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(newer);
  EXPECT_GE(ScrapeMetric(b_.metrics, "userimage_user_lease_wait_seconds_sum"),
            5);
}

TEST_F(CrossReplicaOrderTest, AnOlderAttemptInFlightElsewhereIsNotRetried) {
  const int older = Upload(a_);
  const int newer = Upload(b_);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));
  time_.Advance(absl::Milliseconds(200));  // The newer claims and is sent.
  EXPECT_EQ(http_.sent(), 2);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(newer);
  time_.Advance(absl::Seconds(10));
  ExpectSuperseded(older, 1);
  EXPECT_EQ(http_.sent(), 2);
}

TEST_F(CrossReplicaOrderTest, WithoutRedisOrderHoldsWithinEachReplica) {
  order_.SetDown(true);
  const int first = Upload(a_);
  const int second = Upload(a_);
  const int elsewhere = Upload(b_);
  // Replica a still sends one at a time; b, unable to know, sends at once.
  EXPECT_EQ(http_.sent(), 2);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(first);
  ExpectOk(second);
  ExpectOk(elsewhere);
  EXPECT_EQ(ScrapeMetric(a_.metrics, "userimage_user_order_unavailable_total"),
            2);
  EXPECT_EQ(ScrapeMetric(b_.metrics, "userimage_user_order_unavailable_total"),
            1);
}

TEST_F(CrossReplicaOrderTest, RedisLostAfterNumberingStillSendsAndCounts) {
  const int upload = Upload(a_, absl::InfiniteFuture());
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));
  order_.SetDown(true);  // The retry's claim cannot be made.
  time_.Advance(absl::Seconds(1));
  EXPECT_EQ(http_.sent(), 2);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(upload);
  EXPECT_EQ(ScrapeMetric(a_.metrics, "userimage_user_order_unavailable_total"),
            1);
}

TEST_F(CrossReplicaOrderTest, CancellingAWaitForTheLeaseEndsItAtOnce) {
  Upload(a_);
  const int newer = Upload(b_);
  ops_[newer]->Cancel();
  ASSERT_TRUE(outcomes_[newer].has_value());
  EXPECT_EQ(outcomes_[newer]->user.status().code(),
            absl::StatusCode::kCancelled);
  time_.Advance(absl::Seconds(1));
  EXPECT_EQ(http_.sent(), 1);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
}

TEST_F(CrossReplicaOrderTest, AWaitForTheLeaseEndsAtTheDeadline) {
  Upload(a_);
  const int newer = Upload(b_, time_.Now() + absl::Seconds(1));
  time_.Advance(absl::Seconds(2));
  ASSERT_TRUE(outcomes_[newer].has_value());
  const absl::Status status = outcomes_[newer]->user.status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_NE(status.message().find("another replica"), std::string::npos)
      << status;
  EXPECT_EQ(http_.sent(), 1);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
}

}  // namespace
}  // namespace userimage
