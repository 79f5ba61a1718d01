#include "server/ratelimit/shared_permits.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/fake_shared_quota.h"

namespace userimage {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

// The gate as the source sees it: Update()s wait until Apply() runs them,
// with their deferred work, as the gate does after its lock.
class FakeHost final : public PermitSource::Host {
 public:
  void Update(Change change) override { changes.push_back(std::move(change)); }

  void Apply(absl::Time now) {
    std::vector<Change> pending = std::move(changes);
    changes.clear();
    for (Change& change : pending) {
      PermitSource::Deferred deferred;
      std::move(change)(now, deferred);
      RunAll(deferred);
    }
  }
  static void RunAll(PermitSource::Deferred& deferred) {
    for (auto& work : deferred) std::move(work)();
    deferred.clear();
  }

  std::vector<Change> changes;
};

class SharedPermitsTest : public ::testing::Test {
 protected:
  SharedPermitsTest()
      : permits_(
            {.pacing_interval = absl::Milliseconds(100),
             .retry_interval = absl::Seconds(1),
             .answer_timeout = absl::Milliseconds(500),
             .max_pause = absl::Seconds(60),
             .on_state =
                 [this](uint64_t change, bool in_use, const absl::Status& why) {
                   changes_.push_back(change);
                   states_.emplace_back(in_use, why);
                 }},
            quota_,
            // A quarter of 100 per 10 s: one every 10 s / 24.
            LocalPacing({.quota = 100, .replicas = 4}, kStart)) {
    permits_.Attach(host_);
  }

  // A Take() as the gate makes it, with its deferred work run after.
  PermitSource::Permits Take(absl::Time now, int wanted) {
    PermitSource::Deferred deferred;
    const PermitSource::Permits permits =
        permits_.Take(now, {.interactive = wanted}, deferred);
    FakeHost::RunAll(deferred);
    return permits;
  }
  // Answers the oldest question and applies the answer at `now`.
  int Answer(absl::Time now, absl::StatusOr<SharedQuota::Grant> result) {
    const int wanted = quota_.Answer(std::move(result));
    host_.Apply(now);
    return wanted;
  }

  FakeSharedQuota quota_;
  FakeHost host_;
  std::vector<std::pair<bool, absl::Status>> states_;
  std::vector<uint64_t> changes_;
  SharedPermits permits_;
};

TEST_F(SharedPermitsTest, FirstAsksWhetherTheQuotaAnswersThenForTheWaiting) {
  EXPECT_EQ(Take(kStart, 0).ask_again, kStart + absl::Milliseconds(500));
  ASSERT_EQ(quota_.takes.size(), 1u);
  EXPECT_EQ(quota_.takes[0].first, 0);  // A probe.
  EXPECT_FALSE(permits_.idle());
  EXPECT_EQ(Take(kStart, 3).granted, 0);
  EXPECT_EQ(quota_.takes.size(), 1u);  // One question at a time.
  Answer(kStart, Granted(0));
  EXPECT_TRUE(permits_.idle());
  EXPECT_TRUE(permits_.shared());
  EXPECT_EQ(Take(kStart, 3).granted, 0);
  ASSERT_EQ(quota_.takes.size(), 1u);
  EXPECT_EQ(Answer(kStart, Granted(2, absl::Milliseconds(100))), 3);
  EXPECT_EQ(Take(kStart, 3).granted, 2);
  // One still waits: asked again when the answer said, not before.
  EXPECT_TRUE(quota_.takes.empty());
  EXPECT_EQ(Take(kStart, 1).ask_again, kStart + absl::Milliseconds(100));
  EXPECT_EQ(Take(kStart + absl::Milliseconds(100), 1).granted, 0);
  ASSERT_EQ(quota_.takes.size(), 1u);
  EXPECT_EQ(quota_.takes[0].first, 1);
  EXPECT_TRUE(states_.empty());
}

TEST_F(SharedPermitsTest, AGrantNotTakenAtOnceIsLost) {
  Take(kStart, 0);
  Answer(kStart, Granted(0));
  Take(kStart, 2);
  Answer(kStart, Granted(2));
  EXPECT_EQ(Take(kStart, 0).granted, 0);  // Held by a pause meanwhile.
  EXPECT_EQ(Take(kStart, 2).granted, 0);  // Gone; asked for again.
  EXPECT_EQ(quota_.takes.size(), 1u);
}

TEST_F(SharedPermitsTest, AsksForAtMostSixteenAtOnce) {
  Take(kStart, 0);
  Answer(kStart, Granted(0));
  Take(kStart, 100);
  ASSERT_EQ(quota_.takes.size(), 1u);
  EXPECT_EQ(quota_.takes[0].first, 16);
}

TEST_F(SharedPermitsTest, AsksForInteractiveOnesFirstAndBulkOnesAsBulk) {
  Take(kStart, 0);
  Answer(kStart, Granted(0));
  PermitSource::Deferred deferred;
  // Three interactive and five bulk requests wait: only the three are
  // asked for, as interactive.
  permits_.Take(kStart, {.interactive = 3, .bulk = 5}, deferred);
  FakeHost::RunAll(deferred);
  ASSERT_EQ(quota_.takes.size(), 1u);
  EXPECT_EQ(quota_.takes[0].first, 3);
  EXPECT_EQ(quota_.priorities.back(), Priority::kInteractive);
  Answer(kStart, Granted(3));
  // They leave; the five bulk ones are asked for as bulk.
  EXPECT_EQ(
      permits_.Take(kStart, {.interactive = 3, .bulk = 5}, deferred).granted,
      3);
  FakeHost::RunAll(deferred);
  ASSERT_EQ(quota_.takes.size(), 1u);
  EXPECT_EQ(quota_.takes[0].first, 5);
  EXPECT_EQ(quota_.priorities.back(), Priority::kBulk);
}

TEST_F(SharedPermitsTest, AfterAShortBulkAnswerAnInteractiveAskGoesSooner) {
  Take(kStart, 0);
  Answer(kStart, Granted(0));
  PermitSource::Deferred deferred;
  permits_.Take(kStart, {.bulk = 5}, deferred);
  FakeHost::RunAll(deferred);
  // None for bulk for 250 ms: that wait includes the token bulk leaves.
  Answer(kStart, Granted(0, absl::Milliseconds(250)));
  EXPECT_EQ(permits_.Take(kStart, {.bulk = 5}, deferred).ask_again,
            kStart + absl::Milliseconds(250));
  // An interactive request may take that token, one interval (100 ms)
  // sooner.
  EXPECT_EQ(
      permits_.Take(kStart, {.interactive = 1, .bulk = 5}, deferred).ask_again,
      kStart + absl::Milliseconds(150));
  EXPECT_TRUE(quota_.takes.empty());
  permits_.Take(kStart + absl::Milliseconds(150), {.interactive = 1, .bulk = 5},
                deferred);
  FakeHost::RunAll(deferred);
  ASSERT_EQ(quota_.takes.size(), 1u);
  EXPECT_EQ(quota_.priorities.back(), Priority::kInteractive);
}

TEST_F(SharedPermitsTest, AnErrorFallsBackToTheDrainedShareAndProbes) {
  Take(kStart, 0);
  Answer(kStart, absl::UnavailableError("Redis is down"));
  ASSERT_EQ(states_.size(), 1u);
  EXPECT_FALSE(states_[0].first);
  EXPECT_EQ(states_[0].second.message(), "Redis is down");
  EXPECT_FALSE(permits_.shared());
  const absl::Duration share = absl::Seconds(10) / 24;
  // Drained: nothing at once, then one per share interval.
  PermitSource::Permits permits = Take(kStart, 2);
  EXPECT_EQ(permits.granted, 0);
  EXPECT_EQ(permits.ask_again, kStart + share);
  EXPECT_EQ(permits_.EstimateStart(kStart, 1), kStart + share * 2);
  EXPECT_EQ(Take(kStart + share, 2).granted, 1);
  EXPECT_TRUE(quota_.takes.empty());
  // Probed again after the retry interval, even with nobody waiting.
  EXPECT_EQ(Take(kStart + share, 0).ask_again, kStart + absl::Seconds(1));
  Take(kStart + absl::Seconds(1), 0);
  ASSERT_EQ(quota_.takes.size(), 1u);
  EXPECT_EQ(quota_.takes[0].first, 0);
  Answer(kStart + absl::Seconds(1), Granted(0));
  ASSERT_EQ(states_.size(), 2u);
  EXPECT_TRUE(states_[1].first);
  EXPECT_TRUE(permits_.shared());
  EXPECT_EQ(changes_, std::vector<uint64_t>({1, 2}));  // Numbered in order.
}

TEST_F(SharedPermitsTest, AnUnansweredQuestionFallsBackAndALateAnswerCounts) {
  Take(kStart, 0);
  EXPECT_EQ(Take(kStart + absl::Milliseconds(499), 0).ask_again,
            kStart + absl::Milliseconds(500));
  EXPECT_TRUE(states_.empty());
  Take(kStart + absl::Milliseconds(500), 1);
  ASSERT_EQ(states_.size(), 1u);
  EXPECT_EQ(states_[0].second.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(permits_.idle());  // The answer may still come.
  // Past the probe interval, still only that question: never two in
  // flight (the gate's destructor waits for the one it knows of).
  Take(kStart + absl::Seconds(3), 1);
  EXPECT_EQ(quota_.takes.size(), 1u);
  Answer(kStart + absl::Seconds(2), Granted(0));
  EXPECT_TRUE(permits_.idle());
  EXPECT_TRUE(permits_.shared());
}

TEST_F(SharedPermitsTest, AnotherReplicasPauseHoldsAtMostTheCap) {
  Take(kStart, 0);
  Answer(kStart, Granted(0, absl::Seconds(1), absl::Seconds(5)));
  EXPECT_EQ(permits_.HeldUntil(), kStart + absl::Seconds(5));
  Take(kStart, 1);
  Answer(kStart, Granted(0, absl::Seconds(1), absl::Hours(24)));
  EXPECT_EQ(permits_.HeldUntil(), kStart + absl::Seconds(60));
}

TEST_F(SharedPermitsTest, SharesThisProcesssPauseOutsideTheLock) {
  PermitSource::Deferred deferred;
  permits_.Pause(absl::Seconds(3), deferred);
  EXPECT_TRUE(quota_.pauses.empty());
  FakeHost::RunAll(deferred);
  EXPECT_EQ(quota_.pauses, std::vector<absl::Duration>({absl::Seconds(3)}));
}

TEST_F(SharedPermitsTest, EstimatesAsIfThisReplicaHadTheWholeQuota) {
  Take(kStart, 0);
  Answer(kStart, Granted(0));
  EXPECT_EQ(permits_.EstimateStart(kStart, 0), kStart);
  EXPECT_EQ(permits_.EstimateStart(kStart, 5),
            kStart + absl::Milliseconds(500));
  // Not before the shared quota said asking again could succeed.
  Take(kStart, 1);
  Answer(kStart, Granted(0, absl::Seconds(2)));
  EXPECT_EQ(permits_.EstimateStart(kStart, 1),
            kStart + absl::Seconds(2) + absl::Milliseconds(100));
}

TEST_F(SharedPermitsTest, CallsOutOnlyThroughDeferredWork) {
  PermitSource::Deferred deferred;
  permits_.Take(kStart, {}, deferred);
  EXPECT_TRUE(quota_.takes.empty());  // Not asked under the gate's lock,
  FakeHost::RunAll(deferred);         // but after it.
  ASSERT_EQ(quota_.takes.size(), 1u);
  quota_.Answer(absl::UnavailableError("down"));
  ASSERT_EQ(host_.changes.size(), 1u);
  std::move(host_.changes[0])(kStart, deferred);
  host_.changes.clear();
  EXPECT_TRUE(states_.empty());  // Health is told after the lock, too.
  FakeHost::RunAll(deferred);
  ASSERT_EQ(states_.size(), 1u);
  EXPECT_FALSE(states_[0].first);
}

TEST_F(SharedPermitsTest, StaysBusyUntilTheAnswerIsAppliedUnderTheLock) {
  Take(kStart, 0);
  quota_.Answer(Granted(0));      // The quota called back; the gate has not run
  EXPECT_FALSE(permits_.idle());  // the change yet: it must not be freed.
  host_.Apply(kStart);
  EXPECT_TRUE(permits_.idle());
}

TEST_F(SharedPermitsTest, AShortAnswerWithoutAWaitStillWaitsAMillisecond) {
  Take(kStart, 0);
  Answer(kStart, Granted(0));
  Take(kStart, 2);
  Answer(kStart, Granted(1, absl::ZeroDuration()));
  PermitSource::Permits permits = Take(kStart, 2);
  EXPECT_EQ(permits.granted, 1);
  EXPECT_TRUE(quota_.takes.empty());
  EXPECT_EQ(permits.ask_again, kStart + absl::Milliseconds(1));
}

}  // namespace
}  // namespace userimage
