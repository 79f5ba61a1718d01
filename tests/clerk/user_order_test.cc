// Per-user order and superseding in RetryingClerkClient, on a fake clock
// with a Clerk that holds each request until the test answers it.

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/app/clerk_delivery.h"
#include "server/clerk/retrying_clerk_client.h"
#include "server/status/status_details.h"
#include "tests/testing/clerk_answers.h"
#include "tests/testing/fake_time.h"
#include "tests/testing/holding_http_client.h"
#include "tests/testing/metrics_scrape.h"

namespace userimage {
namespace {

std::string Reason(const absl::Status& status) {
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  return info ? info->reason() : "";
}

class UserOrderTest : public ::testing::Test {
 protected:
  // Starts an upload for `user` whose image is `tag`; returns its index in
  // outcomes_.
  int Upload(const std::string& user, const std::string& tag) {
    AssembledImage image;
    image.user_id = user;
    image.filename = "a.png";
    image.content_type = "image/png";
    image.bytes = std::make_shared<const std::string>(tag);
    const int index = static_cast<int>(outcomes_.size());
    outcomes_.emplace_back();
    ops_.push_back(client_.UploadProfileImage(
        std::move(image), absl::InfiniteFuture(),
        [this, index](ClerkOutcome o) { outcomes_[index] = std::move(o); }));
    return index;
  }
  int Delete(const std::string& user) {
    const int index = static_cast<int>(outcomes_.size());
    outcomes_.emplace_back();
    ops_.push_back(client_.DeleteProfileImage(
        user, absl::InfiniteFuture(),
        [this, index](ClerkOutcome o) { outcomes_[index] = std::move(o); }));
    return index;
  }

  void ExpectSuperseded(int index, int attempts) {
    ASSERT_TRUE(outcomes_[index].has_value());
    const absl::Status status = outcomes_[index]->user.status();
    EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
    EXPECT_EQ(Reason(status), "SUPERSEDED");
    EXPECT_NE(status.message().find("a newer upload or delete for user"),
              std::string::npos)
        << status;
    EXPECT_EQ(outcomes_[index]->attempts, attempts);
  }
  void ExpectOk(int index) {
    ASSERT_TRUE(outcomes_[index].has_value());
    EXPECT_TRUE(outcomes_[index]->user.ok()) << outcomes_[index]->user.status();
  }

  HoldingHttpClient http_;
  FakeTime time_;
  FakeRandom random_{{0.5}};
  Metrics metrics_;
  ClerkDelivery delivery_{
      {.clerk = {.api_url = "http://clerk.test", .secret_key = "sk"},
       .gate = {.quota = 100, .window = absl::Seconds(10), .pacing = false},
       .retry = {.max_attempts = 4,
                 .backoff = {.base = absl::Milliseconds(100),
                             .cap = absl::Seconds(5)}}},
      http_,
      time_,
      time_,
      random_,
      metrics_};
  RateGate& gate_ = delivery_.gate();
  RetryBudget& budget_ = delivery_.budget();
  RetryingClerkClient& client_ = delivery_.client();
  std::vector<std::shared_ptr<RetryingClerkClient::Operation>> ops_;
  std::vector<std::optional<ClerkOutcome>> outcomes_;
};

// The lost update: an older upload in backoff must not be sent
// after a newer one.
TEST_F(UserOrderTest, ANewerUploadSupersedesAnOlderOneInBackoff) {
  const int older = Upload("user_1", "older");
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));  // Backs off 50 ms.
  time_.Advance(absl::Milliseconds(20));
  const int newer = Upload("user_1", "newer");
  ExpectSuperseded(older, 1);
  EXPECT_EQ(http_.held(), 1u);  // The newer one went at once.
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(newer);
  time_.Advance(absl::Seconds(10));
  EXPECT_EQ(http_.sent(), 2);  // The older one was never sent again.
  EXPECT_EQ(time_.pending(), 0u);
  EXPECT_EQ(ScrapeMetric(metrics_, "userimage_superseded_total"), 1);
}

TEST_F(UserOrderTest, ANewerRequestSupersedesOneWaitingAtTheGate) {
  gate_.PauseUntil(time_.Now() + absl::Seconds(2));
  const int older = Upload("user_1", "older");
  EXPECT_EQ(gate_.waiting(), 1u);
  const int newer = Delete("user_1");
  ExpectSuperseded(older, 0);
  EXPECT_EQ(gate_.waiting(), 1u);  // Only the newer one waits.
  time_.Advance(absl::Seconds(2));
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(newer);
  EXPECT_EQ(http_.sent(), 1);  // No quota spent on the older one.
}

TEST_F(UserOrderTest, ARequestInFlightIsAwaitedAndNotRetried) {
  const int older = Upload("user_1", "older");
  const int newer = Upload("user_1", "newer");
  EXPECT_EQ(http_.sent(), 1);  // The newer waits for the older's answer.
  EXPECT_FALSE(outcomes_[older].has_value());
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));
  // Not retried: the newer request replaces it, and is sent now.
  ExpectSuperseded(older, 1);
  EXPECT_NE(outcomes_[older]->user.status().message().find("not retried"),
            std::string::npos);
  EXPECT_EQ(http_.sent(), 2);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(newer);
}

TEST_F(UserOrderTest, AnOlderRequestThatSucceedsInFlightKeepsItsAnswer) {
  const int older = Upload("user_1", "older");
  const int newer = Upload("user_1", "newer");
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(older);
  EXPECT_EQ(http_.sent(), 2);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(newer);
}

TEST_F(UserOrderTest, OnlyTheNewestOfThoseWaitingIsSent) {
  const int first = Upload("user_1", "first");
  const int second = Upload("user_1", "second");
  const int third = Upload("user_1", "third");
  ExpectSuperseded(second, 0);  // Replaced while waiting: never sent.
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(first);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(third);
  EXPECT_EQ(http_.sent(), 2);
}

TEST_F(UserOrderTest, OtherUsersDoNotWait) {
  const int a = Upload("user_1", "a");
  const int b = Upload("user_2", "b");
  EXPECT_EQ(http_.sent(), 2);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(a);
  ExpectOk(b);
}

TEST_F(UserOrderTest, CancellingAWaitingRequestLetsTheLineMoveOn) {
  const int first = Upload("user_1", "first");
  const int second = Upload("user_1", "second");
  ops_[second]->Cancel();
  ASSERT_TRUE(outcomes_[second].has_value());
  EXPECT_EQ(outcomes_[second]->user.status().code(),
            absl::StatusCode::kCancelled);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(first);
  EXPECT_EQ(http_.sent(), 1);
  // The line is gone: the next request goes at once.
  const int third = Upload("user_1", "third");
  EXPECT_EQ(http_.sent(), 2);
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(third);
}

TEST_F(UserOrderTest, QueueWaitsAreMeasured) {
  Upload("user_1", "first");
  const int second = Upload("user_1", "second");
  time_.Advance(absl::Seconds(3));
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  ExpectOk(second);
  EXPECT_EQ(ScrapeMetric(metrics_, "userimage_user_queue_wait_seconds_count"),
            2);
  EXPECT_GE(ScrapeMetric(metrics_, "userimage_user_queue_wait_seconds_sum"), 3);
}

// Answers 200 at once, counting how many requests per URL are inside Send()
// together: the per-user order allows one.
class OverlapCountingHttpClient final : public HttpClient {
 public:
  void Send(HttpRequest request, Callback done) override {
    {
      absl::MutexLock lock(&mu_);
      const int now = ++inside_[request.url];
      most_ = std::max(most_, now);
      ++sent_;
    }
    HttpResult answer = ClerkAnswer(200);
    {
      absl::MutexLock lock(&mu_);
      --inside_[request.url];
    }
    std::move(done)(std::move(answer));
  }
  int most() {
    absl::MutexLock lock(&mu_);
    return most_;
  }
  int sent() {
    absl::MutexLock lock(&mu_);
    return sent_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, int> inside_ ABSL_GUARDED_BY(mu_);
  int most_ ABSL_GUARDED_BY(mu_) = 0;
  int sent_ ABSL_GUARDED_BY(mu_) = 0;
};

// Threads racing uploads, deletes and cancels for two users: every request
// ends exactly once, never two at Clerk for one user, and everything that
// was not sent was superseded or cancelled.
TEST(UserOrderConcurrencyTest, RacingRequestsEndOnceAndNeverOverlap) {
  OverlapCountingHttpClient http;
  FakeTime time;
  FakeRandom random({0.5});
  Metrics metrics;
  ClerkDelivery delivery(
      {.clerk = {.api_url = "http://clerk.test", .secret_key = "sk"},
       .gate = {.quota = 1000000,
                .window = absl::Seconds(10),
                .pacing = false}},
      http, time, time, random, metrics);
  RetryingClerkClient& client = delivery.client();
  constexpr int kThreads = 4;
  constexpr int kEach = 500;
  std::atomic<int> finished{0}, ok{0}, superseded{0}, cancelled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string user = (i + t) % 2 == 0 ? "user_1" : "user_2";
        auto done = [&](ClerkOutcome o) {
          ++finished;
          if (o.user.ok()) {
            ++ok;
          } else if (o.user.status().code() == absl::StatusCode::kAborted) {
            ++superseded;
          } else if (o.user.status().code() == absl::StatusCode::kCancelled) {
            ++cancelled;
          }
        };
        std::shared_ptr<RetryingClerkClient::Operation> op;
        if (i % 3 == 0) {
          op = client.DeleteProfileImage(user, absl::InfiniteFuture(), done);
        } else {
          AssembledImage image;
          image.user_id = user;
          image.filename = "a.png";
          image.content_type = "image/png";
          image.bytes = std::make_shared<const std::string>("png");
          op = client.UploadProfileImage(std::move(image),
                                         absl::InfiniteFuture(), done);
        }
        if (i % 7 == 0) op->Cancel();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(finished.load(), kThreads * kEach);
  EXPECT_EQ(ok + superseded + cancelled, kThreads * kEach);
  EXPECT_EQ(http.sent(), ok.load());
  EXPECT_EQ(http.most(), 1);
}

}  // namespace
}  // namespace userimage
