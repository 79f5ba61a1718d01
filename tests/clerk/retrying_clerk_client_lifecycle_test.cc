// Every way a request can end races another; these tests put each race in
// the exact order that used to break it (test hooks and fake timers, no
// sleeps) and check that the request ends exactly once, with the right
// status, holding nothing. absl's deadlock detection aborts on a lock taken
// twice or out of order (tests/testing:gtest_main).
#include <memory>
#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "server/app/clerk_delivery.h"
#include "server/clerk/retrying_clerk_client.h"
#include "server/status/status_details.h"
#include "tests/testing/clerk_answers.h"
#include "tests/testing/fake_time.h"
#include "tests/testing/holding_http_client.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::User;

AssembledImage Image(std::weak_ptr<const std::string>* bytes = nullptr) {
  AssembledImage image;
  image.user_id = "user_1";
  image.filename = "a.png";
  image.content_type = "image/png";
  image.bytes = std::make_shared<const std::string>("\x89PNG\r\n\x1A\n");
  if (bytes != nullptr) *bytes = image.bytes;
  return image;
}

class RetryingClerkClientLifecycleTest : public ::testing::Test {
 protected:
  // Starts an upload; every outcome is appended to outcomes_.
  std::shared_ptr<RetryingClerkClient::Operation> Upload(
      absl::Time deadline = absl::InfiniteFuture()) {
    auto op = client_.UploadProfileImage(
        Image(&bytes_), deadline, [this](ClerkOutcome outcome) {
          // Re-entering the operation and the gate from `done` deadlocks
          // (and aborts) if `done` ran under one of their locks.
          if (op_ != nullptr) op_->Cancel();
          (void)gate_.waiting();
          outcomes_.push_back(std::move(outcome));
        });
    op_ = op;
    return op;
  }

  // The one outcome; fails the test unless there is exactly one.
  absl::StatusOr<User> Only() {
    EXPECT_EQ(outcomes_.size(), 1u);
    if (outcomes_.empty()) return absl::UnknownError("no outcome");
    return outcomes_.front().user;
  }

  // Nothing is left behind: no waiter, no timer, no request held, and the
  // image bytes are released.
  void ExpectNothingHeld() {
    EXPECT_EQ(gate_.waiting(), 0u);
    EXPECT_EQ(http_.held(), 0u);
    EXPECT_TRUE(bytes_.expired());
  }

  void OnHook(RetryHookPoint point, std::function<void(ClerkOperation&)> act) {
    hooks_.push_back({point, std::move(act)});
  }

  HoldingHttpClient http_;
  FakeTime time_;
  FakeRandom random_{{0.5}};
  Metrics metrics_;
  struct PendingHook {
    RetryHookPoint point;
    std::function<void(ClerkOperation&)> act;
  };
  std::vector<PendingHook> hooks_;
  ClerkDelivery delivery_{
      {.clerk = {.api_url = "http://clerk.test", .secret_key = "sk"},
       // A burst of one, then one request a second.
       .gate = {.quota = 11, .window = absl::Seconds(10), .pacing = true},
       .retry = {.max_attempts = 4,
                 .backoff = {.base = absl::Milliseconds(100),
                             .cap = absl::Seconds(5)},
                 .test_hook =
                     [this](RetryHookPoint point, ClerkOperation& op) {
                       for (auto it = hooks_.begin(); it != hooks_.end();
                            ++it) {
                         if (it->point == point) {
                           auto act = std::move(it->act);
                           hooks_.erase(it);
                           act(op);
                           return;
                         }
                       }
                     }}},
      http_,
      time_,
      time_,
      random_,
      metrics_};
  RateGate& gate_ = delivery_.gate();
  RetryBudget& budget_ = delivery_.budget();
  RetryingClerkClient& client_ = delivery_.client();
  std::shared_ptr<RetryingClerkClient::Operation> op_;
  std::vector<ClerkOutcome> outcomes_;
  std::weak_ptr<const std::string> bytes_;
};

TEST_F(RetryingClerkClientLifecycleTest, CancelBeforeTheGateTicketIsKnown) {
  // Use up the burst so the next request waits at the gate.
  Upload();
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  outcomes_.clear();
  op_ = nullptr;
  // Cancel in the instant after the gate queued the request and before
  // its ticket was recorded: the request must still leave the gate at once.
  OnHook(RetryHookPoint::kAfterAcquire,
         [](ClerkOperation& op) { op.Cancel(); });
  Upload();
  EXPECT_EQ(Only().status().code(), absl::StatusCode::kCancelled);
  ExpectNothingHeld();
  time_.Advance(absl::Seconds(5));
  EXPECT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(http_.sent(), 1);  // Only the first request reached Clerk.
}

// A cancel in the instant after the gate let the attempt go and before it
// was sent finds nothing to end (no ticket, no timer, no transfer): the
// send step must see it and send nothing.
TEST_F(RetryingClerkClientLifecycleTest, CancelAfterTheGrantBeforeTheSend) {
  OnHook(RetryHookPoint::kBeforeSend, [](ClerkOperation& op) { op.Cancel(); });
  Upload();
  EXPECT_EQ(Only().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(http_.sent(), 0);
  ExpectNothingHeld();
}

TEST_F(RetryingClerkClientLifecycleTest, CancelWhileWaitingAtTheGate) {
  Upload();
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  outcomes_.clear();
  auto op = Upload();
  EXPECT_EQ(gate_.waiting(), 1u);
  op->Cancel();
  EXPECT_EQ(Only().status().code(), absl::StatusCode::kCancelled);
  ExpectNothingHeld();
  op->Cancel();  // A second cancel changes nothing.
  EXPECT_EQ(outcomes_.size(), 1u);
}

TEST_F(RetryingClerkClientLifecycleTest,
       CancelRightAfterTheAttemptIsHandedOver) {
  OnHook(RetryHookPoint::kAfterSend, [](ClerkOperation& op) { op.Cancel(); });
  Upload();
  absl::StatusOr<User> result = Only();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_NE(result.status().message().find("may already have applied"),
            std::string::npos)
      << result.status();
  EXPECT_EQ(http_.aborted(), 1);  // Removed from the transport at once.
  ExpectNothingHeld();
}

TEST_F(RetryingClerkClientLifecycleTest, CancelDuringTheAttemptAbortsIt) {
  auto op = Upload();
  ASSERT_EQ(http_.held(), 1u);
  op->Cancel();
  EXPECT_EQ(Only().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(http_.aborted(), 1);
  ExpectNothingHeld();
  EXPECT_FALSE(http_.Answer(ClerkAnswer(200)));  // Nothing left to answer.
}

TEST_F(RetryingClerkClientLifecycleTest,
       CancelAfterClerkAnsweredKeepsItsAnswer) {
  auto op = Upload();
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  op->Cancel();
  ASSERT_TRUE(Only().ok());
  EXPECT_EQ(http_.aborted(), 0);
  ExpectNothingHeld();
}

TEST_F(RetryingClerkClientLifecycleTest, CancelInBackoffStopsTheRetry) {
  auto op = Upload();
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));  // Schedules a backoff.
  ASSERT_EQ(time_.pending(), 1u);
  op->Cancel();
  EXPECT_EQ(Only().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(time_.pending(), 0u);
  time_.Advance(absl::Seconds(30));
  EXPECT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(http_.sent(), 1);  // The cancelled request was never retried.
  ExpectNothingHeld();
}

TEST_F(RetryingClerkClientLifecycleTest, CancelAtTheGateAfterA503IsCancelled) {
  auto op = Upload();
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));  // Backs off, then waits at the
  time_.Advance(absl::Milliseconds(500));       // gate for the next slot.
  ASSERT_EQ(gate_.waiting(), 1u);
  op->Cancel();
  // The caller cancelled: CANCELLED, not the earlier 503.
  EXPECT_EQ(Only().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(http_.sent(), 1);
  ExpectNothingHeld();
}

TEST_F(RetryingClerkClientLifecycleTest, CancelBeforeTheBackoffTimerIdIsKnown) {
  OnHook(RetryHookPoint::kAfterSchedule,
         [](ClerkOperation& op) { op.Cancel(); });
  Upload();
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));
  EXPECT_EQ(Only().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(time_.pending(), 0u);  // The backoff timer was cancelled.
  time_.Advance(absl::Seconds(30));
  EXPECT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(http_.sent(), 1);
  ExpectNothingHeld();
}

TEST_F(RetryingClerkClientLifecycleTest,
       CancelAsTheBackoffTimerFiresLeavesTheFinishToIt) {
  auto op = Upload();
  ASSERT_TRUE(http_.Answer(ClerkAnswer(503)));
  ASSERT_TRUE(outcomes_.empty());
  // The timer is off the queue (Timers::Cancel() reports false) but its
  // callback has not run: the cancel must leave the finish to the timer's
  // path, which must not send the retry.
  bool cancelled = false;
  time_.SetBeforeRun([&](Timers::Id) {
    if (!cancelled) {
      cancelled = true;
      op->Cancel();
      EXPECT_TRUE(outcomes_.empty());
    }
  });
  time_.Advance(absl::Seconds(10));
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(Only().status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(http_.sent(), 1);
  ExpectNothingHeld();
}

TEST_F(RetryingClerkClientLifecycleTest,
       DeadlineAndGrantAtTheSameInstantEndOnce) {
  Upload();
  ASSERT_TRUE(http_.Answer(ClerkAnswer(200)));
  outcomes_.clear();
  // The next slot is one second away: the deadline falls on it exactly.
  Upload(time_.Now() + absl::Seconds(1));
  ASSERT_EQ(gate_.waiting(), 1u);
  time_.Advance(absl::Seconds(1));
  while (http_.Answer(ClerkAnswer(200))) {
  }
  time_.Advance(absl::Seconds(10));
  EXPECT_EQ(outcomes_.size(), 1u);
  ExpectNothingHeld();
}

TEST_F(RetryingClerkClientLifecycleTest, DoneNeverRunsUnderALock) {
  // Each outcome re-enters the operation and the gate (see Upload()): with
  // absl's deadlock detection on, a `done` run under a lock aborts.
  for (int code : {200, 404, 503}) {
    outcomes_.clear();
    time_.Advance(absl::Seconds(10));  // A fresh slot at the gate.
    Upload();
    ASSERT_TRUE(http_.Answer(ClerkAnswer(code)));
    for (int i = 0; i < 4 && outcomes_.empty(); ++i) {
      time_.Advance(absl::Seconds(10));
      while (http_.Answer(ClerkAnswer(code))) {
      }
    }
    EXPECT_EQ(outcomes_.size(), 1u) << code;
  }
  ExpectNothingHeld();
}

}  // namespace
}  // namespace userimage
