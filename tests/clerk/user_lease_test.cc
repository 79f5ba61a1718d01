// UserLease on a fake clock against an in-memory shared order: claims,
// waits while an earlier request holds the lease, the fence, renewals,
// cancellation and deadlines.

#include "server/clerk/user_lease.h"

#include <optional>

#include "gtest/gtest.h"
#include "tests/testing/fake_shared_user_order.h"
#include "tests/testing/fake_time.h"
#include "tests/testing/metrics_scrape.h"

namespace userimage {
namespace {

using Outcome = UserLease::Outcome;

constexpr char kUser[] = "user_1";

class UserLeaseTest : public ::testing::Test {
 protected:
  uint64_t Arrive() {
    uint64_t token = 0;
    order_.Arrive(kUser,
                  [&](absl::StatusOr<uint64_t> t) { token = t.value(); });
    return token;
  }

  std::shared_ptr<UserLease> Lease(uint64_t token) {
    return std::make_shared<UserLease>(options_, order_, time_, time_, metrics_,
                                       kUser, token);
  }

  // Starts an Acquire() whose outcome lands in `outcome`.
  void Acquire(UserLease& lease, std::optional<Outcome>& outcome,
               absl::Time deadline = absl::InfiniteFuture()) {
    lease.Acquire(deadline, [&outcome](Outcome o) {
      ASSERT_FALSE(outcome.has_value()) << "done ran twice";
      outcome = o;
    });
  }

  UserLeaseOptions options_{.ttl = absl::Seconds(3),
                            .first_poll = absl::Milliseconds(10),
                            .max_poll = absl::Milliseconds(40)};
  FakeTime time_;
  Metrics metrics_;
  FakeSharedUserOrder order_{time_};
};

TEST_F(UserLeaseTest, AFreeLeaseIsGrantedAndRenewedUntilReleased) {
  auto lease = Lease(Arrive());
  std::optional<Outcome> outcome;
  Acquire(*lease, outcome);
  EXPECT_EQ(outcome, Outcome::kGranted);
  EXPECT_EQ(order_.holder(kUser), 1u);
  // Renewed every second (a third of 3 s): still held after 10 s.
  time_.Advance(absl::Seconds(10));
  EXPECT_EQ(order_.renewals(), 10);
  EXPECT_EQ(order_.holder(kUser), 1u);
  lease->Release();
  EXPECT_EQ(order_.holder(kUser), 0u);
  EXPECT_EQ(time_.pending(), 0u);  // No renewal left behind.
  lease->Release();                // A no-op once released.
  EXPECT_EQ(order_.releases(), 1);
}

TEST_F(UserLeaseTest, WaitsWhileAnEarlierRequestHoldsItPollingWithBackoff) {
  auto older = Lease(Arrive());
  std::optional<Outcome> first, second;
  Acquire(*older, first);        // Its attempt is in flight when
  auto newer = Lease(Arrive());  // a newer request arrives.
  ASSERT_EQ(first, Outcome::kGranted);
  Acquire(*newer, second);
  EXPECT_FALSE(second.has_value());
  EXPECT_EQ(order_.claims(), 2);
  // Polls after 10, 20, 40, 40 ms.
  time_.Advance(absl::Milliseconds(10));
  EXPECT_EQ(order_.claims(), 3);
  time_.Advance(absl::Milliseconds(20));
  EXPECT_EQ(order_.claims(), 4);
  time_.Advance(absl::Milliseconds(40));
  EXPECT_EQ(order_.claims(), 5);
  older->Release();
  EXPECT_FALSE(second.has_value());  // Learnt at the next poll.
  time_.Advance(absl::Milliseconds(40));
  EXPECT_EQ(second, Outcome::kGranted);
  EXPECT_EQ(order_.holder(kUser), 2u);
  EXPECT_GT(ScrapeMetric(metrics_, "userimage_user_lease_wait_seconds_sum"),
            0.1);
  newer->Release();
}

TEST_F(UserLeaseTest, ALeaseThatLapsesIsTakenOverWithoutARelease) {
  auto older = Lease(Arrive());
  std::optional<Outcome> first, second;
  Acquire(*older, first);        // Its attempt is in flight when
  auto newer = Lease(Arrive());  // a newer request arrives.
  order_.SetDown(true);          // The holder's renewals fail from now on.
  time_.Advance(absl::Seconds(2));
  order_.SetDown(false);
  Acquire(*newer, second);
  EXPECT_FALSE(second.has_value());
  time_.Advance(absl::Seconds(1));  // The older lease lapses at 3 s.
  EXPECT_EQ(second, Outcome::kGranted);
  EXPECT_EQ(order_.holder(kUser), 2u);
  // The older holder's next renewal finds the lease gone: counted, and no
  // renewal is tried after that.
  EXPECT_EQ(ScrapeMetric(metrics_, "userimage_user_lease_lost_total"), 1);
  const int renewals = order_.renewals();
  time_.Advance(absl::Seconds(5));
  EXPECT_EQ(order_.renewals(), renewals + 5);  // Only the newer renews.
  older->Release();                            // Not the holder: no effect.
  EXPECT_EQ(order_.holder(kUser), 2u);
  newer->Release();
}

TEST_F(UserLeaseTest, ALaterArrivalSupersedesAnEarlierClaim) {
  auto older = Lease(Arrive());
  Arrive();
  std::optional<Outcome> outcome;
  Acquire(*older, outcome);
  EXPECT_EQ(outcome, Outcome::kSuperseded);
  EXPECT_EQ(order_.holder(kUser), 0u);
  EXPECT_EQ(time_.pending(), 0u);
}

TEST_F(UserLeaseTest, AnEarlierHolderIsSupersededAtItsNextClaim) {
  auto older = Lease(Arrive());
  std::optional<Outcome> first, again;
  Acquire(*older, first);
  ASSERT_EQ(first, Outcome::kGranted);
  older->Release();
  Arrive();                // A newer request, on any replica.
  Acquire(*older, again);  // Its retry.
  EXPECT_EQ(again, Outcome::kSuperseded);
}

TEST_F(UserLeaseTest, AGrantThatComesTooLateIsClaimedAgain) {
  auto lease = Lease(Arrive());
  std::optional<Outcome> outcome;
  order_.HoldClaims(true);
  Acquire(*lease, outcome);
  time_.Advance(absl::Milliseconds(1501));  // Past half the 3 s lease.
  order_.HoldClaims(false);
  ASSERT_TRUE(order_.AnswerClaim());
  // Not trusted: claimed again at once, and granted now.
  EXPECT_EQ(order_.claims(), 2);
  EXPECT_EQ(outcome, Outcome::kGranted);
  lease->Release();
}

// The fence: a holder paused past its lease, which a newer request then
// took, must not send on the strength of the old grant.
TEST_F(UserLeaseTest, ALateGrantWhoseLeaseWasTakenEndsSuperseded) {
  auto older = Lease(Arrive());
  std::optional<Outcome> outcome;
  order_.HoldClaims(true);
  Acquire(*older, outcome);         // Granted in Redis; the answer is late.
  time_.Advance(absl::Seconds(4));  // The lease lapses meanwhile,
  auto newer = Lease(Arrive());     // and a newer request takes it.
  order_.HoldClaims(false);
  std::optional<Outcome> newer_outcome;
  Acquire(*newer, newer_outcome);
  EXPECT_EQ(newer_outcome, Outcome::kGranted);
  ASSERT_TRUE(order_.AnswerClaim());
  EXPECT_EQ(outcome, Outcome::kSuperseded);
  EXPECT_EQ(order_.holder(kUser), 2u);
  newer->Release();
}

// A grant set aside by the fence, whose re-claim then finds a newer
// request, lets the lease go at once instead of leaving the newer one to
// wait for it to lapse.
TEST_F(UserLeaseTest, AGrantSetAsideIsReleased) {
  auto older = Lease(Arrive());
  std::optional<Outcome> outcome, newer_outcome;
  order_.HoldClaims(true);
  Acquire(*older, outcome);  // Granted in Redis; the answer is late.
  time_.Advance(absl::Seconds(1));
  auto newer = Lease(Arrive());
  order_.HoldClaims(false);
  Acquire(*newer, newer_outcome);
  EXPECT_FALSE(newer_outcome.has_value());  // Busy: the older holds it.
  time_.Advance(absl::Milliseconds(600));   // Past the fence's 1.5 s.
  ASSERT_TRUE(order_.AnswerClaim());
  EXPECT_EQ(outcome, Outcome::kSuperseded);
  EXPECT_EQ(order_.holder(kUser), 0u);    // Released, not left to lapse.
  time_.Advance(absl::Milliseconds(40));  // The newer one's next poll.
  EXPECT_EQ(newer_outcome, Outcome::kGranted);
  newer->Release();
}

TEST_F(UserLeaseTest, CancelEndsAWaitAtOnce) {
  auto older = Lease(Arrive());
  std::optional<Outcome> first, second;
  Acquire(*older, first);        // Its attempt is in flight when
  auto newer = Lease(Arrive());  // a newer request arrives.
  Acquire(*newer, second);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(time_.pending(), 2u);  // The holder's renewal and the poll.
  newer->Cancel();
  EXPECT_EQ(second, Outcome::kCancelled);
  EXPECT_EQ(time_.pending(), 1u);
  newer->Cancel();  // Repeating is harmless.
  // And any later Acquire() ends the same way, without asking.
  std::optional<Outcome> later;
  const int claims = order_.claims();
  Acquire(*newer, later);
  EXPECT_EQ(later, Outcome::kCancelled);
  EXPECT_EQ(order_.claims(), claims);
  older->Release();
}

TEST_F(UserLeaseTest, ACancelDuringAClaimLetsAGrantGo) {
  auto lease = Lease(Arrive());
  std::optional<Outcome> outcome;
  order_.HoldClaims(true);
  Acquire(*lease, outcome);
  lease->Cancel();
  EXPECT_FALSE(outcome.has_value());  // The claim in flight decides.
  ASSERT_TRUE(order_.AnswerClaim());
  EXPECT_EQ(outcome, Outcome::kCancelled);
  EXPECT_EQ(order_.holder(kUser), 0u);  // Granted, then let go.
  EXPECT_EQ(time_.pending(), 0u);
}

TEST_F(UserLeaseTest, ACancelRacingTheWaitTimerHasOneWinner) {
  auto older = Lease(Arrive());
  std::optional<Outcome> first, second;
  Acquire(*older, first);        // Its attempt is in flight when
  auto newer = Lease(Arrive());  // a newer request arrives.
  Acquire(*newer, second);
  // The poll timer is taken off the queue (Cancel() now fails) and the
  // cancel comes before its callback runs: the callback finishes.
  time_.SetBeforeRun([&](Timers::Id) { newer->Cancel(); });
  time_.Advance(absl::Milliseconds(10));
  time_.SetBeforeRun(nullptr);
  EXPECT_EQ(second, Outcome::kCancelled);
  older->Release();
}

TEST_F(UserLeaseTest, AWaitThatWouldPassTheDeadlineEndsAtOnce) {
  auto older = Lease(Arrive());
  std::optional<Outcome> first, second;
  Acquire(*older, first);        // Its attempt is in flight when
  auto newer = Lease(Arrive());  // a newer request arrives.
  Acquire(*newer, second, time_.Now() + absl::Milliseconds(25));
  time_.Advance(absl::Milliseconds(10));  // Polls at 10 ms; next at 30.
  EXPECT_EQ(second, Outcome::kDeadlineExceeded);
  older->Release();
}

TEST_F(UserLeaseTest, AnUnreachableOrderIsReported) {
  auto lease = Lease(Arrive());
  order_.SetDown(true);
  std::optional<Outcome> outcome;
  Acquire(*lease, outcome);
  EXPECT_EQ(outcome, Outcome::kUnavailable);
  EXPECT_EQ(time_.pending(), 0u);
}

}  // namespace
}  // namespace userimage
