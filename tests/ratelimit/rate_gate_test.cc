#include "server/ratelimit/rate_gate.h"

#include <vector>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/status/status_details.h"
#include "tests/testing/fake_shared_quota.h"
#include "tests/testing/fake_time.h"

namespace userimage {
namespace {

// Records what each request was told, in the order it was told.
struct Recorder {
  std::vector<std::pair<int, absl::Status>> events;
  RateGate::Callback For(int id) {
    return
        [this, id](absl::Status s) { events.emplace_back(id, std::move(s)); };
  }
  std::vector<int> Released() const {
    std::vector<int> ids;
    for (const auto& [id, s] : events) {
      if (s.ok()) ids.push_back(id);
    }
    return ids;
  }
};

class RateGateTest : public ::testing::Test {
 protected:
  FakeTime time_;
  Recorder recorder_;
};

TEST_F(RateGateTest, PacesToTheQuotaInArrivalOrder) {
  // 10 per second: burst 1, then one every 1/9 s.
  RateGate gate({.quota = 10, .window = absl::Seconds(1)}, time_, time_);
  for (int i = 0; i < 5; ++i) {
    gate.Acquire({}, recorder_.For(i));
  }
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0}));
  EXPECT_EQ(gate.waiting(), 4);
  time_.Advance(absl::Seconds(1) / 9);
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0, 1}));
  time_.Advance(absl::Seconds(1) / 9 * 3);
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0, 1, 2, 3, 4}));
  EXPECT_EQ(gate.waiting(), 0);
  EXPECT_EQ(time_.pending(), 0);  // No timer left behind.
}

TEST_F(RateGateTest, PauseHoldsEveryRequestUntilItEnds) {
  RateGate gate({.quota = 100, .window = absl::Seconds(10), .pacing = false},
                time_, time_);
  gate.PauseUntil(time_.Now() + absl::Seconds(3));
  gate.Acquire({}, recorder_.For(1));
  gate.Acquire({}, recorder_.For(2));
  time_.Advance(absl::Milliseconds(2999));
  EXPECT_TRUE(recorder_.events.empty());
  time_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(recorder_.Released(), std::vector<int>({1, 2}));
}

TEST_F(RateGateTest, PriorityGoesFirst) {
  RateGate gate({.quota = 10, .window = absl::Seconds(1)}, time_, time_);
  gate.Acquire({}, recorder_.For(0));  // Takes the burst.
  gate.Acquire({}, recorder_.For(1));
  gate.Acquire({.retry = true}, recorder_.For(2));
  time_.Advance(absl::Seconds(1));
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0, 2, 1}));
}

TEST_F(RateGateTest, FailsFastWithRetryInfoWhenTheDeadlineCannotBeMet) {
  RateGate gate({.quota = 100, .window = absl::Seconds(10), .pacing = false},
                time_, time_);
  gate.PauseUntil(time_.Now() + absl::Seconds(5));
  gate.Acquire({.deadline = time_.Now() + absl::Seconds(2)}, recorder_.For(7));
  ASSERT_EQ(recorder_.events.size(), 1);  // At once, not at the deadline.
  const absl::Status& status = recorder_.events[0].second;
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  auto retry = GetDetail<google::rpc::RetryInfo>(status);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 5);
  EXPECT_EQ(GetDetail<google::rpc::ErrorInfo>(status)->reason(),
            "RATE_LIMITED");
  EXPECT_EQ(gate.waiting(), 0);
}

TEST_F(RateGateTest, QueuePositionCountsAgainstTheDeadline) {
  // One slot per 1/9 s after the first: the 11th waiter needs > 1 s.
  RateGate gate({.quota = 10, .window = absl::Seconds(1)}, time_, time_);
  for (int i = 0; i < 12; ++i) {
    gate.Acquire({.deadline = time_.Now() + absl::Seconds(1)},
                 recorder_.For(i));
  }
  int refused = 0;
  for (const auto& [id, s] : recorder_.events) {
    if (s.code() == absl::StatusCode::kResourceExhausted) ++refused;
  }
  EXPECT_GE(refused, 2);
  time_.Advance(absl::Seconds(2));
  EXPECT_EQ(recorder_.events.size(), 12);  // Everyone had an answer.
  for (const auto& [id, s] : recorder_.events) {
    EXPECT_TRUE(s.ok() || s.code() == absl::StatusCode::kResourceExhausted)
        << s;
  }
}

TEST_F(RateGateTest, PauseFailsWaitersThatCanNoLongerMakeIt) {
  RateGate gate({.quota = 100, .window = absl::Seconds(10), .pacing = false},
                time_, time_);
  gate.PauseUntil(time_.Now() + absl::Seconds(1));
  gate.Acquire({.deadline = time_.Now() + absl::Seconds(3)}, recorder_.For(1));
  gate.Acquire({.deadline = time_.Now() + absl::Seconds(30)}, recorder_.For(2));
  gate.PauseUntil(time_.Now() + absl::Seconds(10));
  ASSERT_EQ(recorder_.events.size(), 1);
  EXPECT_EQ(recorder_.events[0].first, 1);
  EXPECT_EQ(recorder_.events[0].second.code(),
            absl::StatusCode::kResourceExhausted);
  time_.Advance(absl::Seconds(10));
  EXPECT_EQ(recorder_.Released(), std::vector<int>({2}));
}

TEST_F(RateGateTest, CancelAnswersAtOnce) {
  RateGate gate({.quota = 100, .window = absl::Seconds(10), .pacing = false},
                time_, time_);
  gate.PauseUntil(time_.Now() + absl::Seconds(10));
  RateGate::Ticket ticket = gate.Acquire({}, recorder_.For(1));
  ASSERT_NE(ticket, 0);
  EXPECT_TRUE(gate.Cancel(ticket));
  ASSERT_EQ(recorder_.events.size(), 1);
  EXPECT_EQ(recorder_.events[0].second.code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(gate.Cancel(ticket));
  time_.Advance(absl::Seconds(20));
  EXPECT_EQ(recorder_.events.size(), 1);
}

TEST_F(RateGateTest, SustainedLoadStaysWithinTheQuotaInEveryWindow) {
  RateGate gate({.quota = 100, .window = absl::Seconds(10)}, time_, time_);
  std::vector<absl::Time> released;
  for (int i = 0; i < 1000; ++i) {
    gate.Acquire({}, [&](absl::Status s) {
      if (s.ok()) released.push_back(time_.Now());
    });
  }
  time_.Advance(absl::Seconds(200));
  ASSERT_EQ(released.size(), 1000);
  size_t most = 0;
  for (size_t i = 0, j = 0; i < released.size(); ++i) {
    while (released[i] - released[j] >= absl::Seconds(10)) ++j;
    most = std::max(most, i - j + 1);
  }
  EXPECT_LE(most, 100);
  // About 98 per window: 1000 requests take a little over 100 s.
  EXPECT_LT(released.back() - released.front(), absl::Seconds(103));
}

}  // namespace
}  // namespace userimage

namespace userimage {
namespace {

class SharedRateGateTest : public RateGateTest {
 protected:
  RateGateOptions Options() {
    return {.quota = 100,
            .window = absl::Seconds(10),
            .replicas = 4,
            .shared = &shared_,
            .on_shared_state = [this](uint64_t, bool in_use,
                                      const absl::Status& why) {
              states_.emplace_back(in_use, why);
            }};
  }
  FakeSharedQuota shared_;
  std::vector<std::pair<bool, absl::Status>> states_;
};

TEST_F(SharedRateGateTest, RequestsLeaveOnTheSharedQuotasGrantsInOrder) {
  RateGate gate(Options(), time_, time_);
  ASSERT_EQ(shared_.Answer(Granted(0)), 0);  // The first question: reachable?
  for (int i = 0; i < 3; ++i) gate.Acquire({}, recorder_.For(i));
  EXPECT_TRUE(recorder_.events.empty());     // Not even the local burst.
  ASSERT_EQ(shared_.takes.size(), 1);        // One question at a time,
  EXPECT_EQ(shared_.Answer(Granted(1)), 1);  // asked when the first came.
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0}));
  ASSERT_EQ(shared_.takes.size(), 1);  // Then for everyone waiting.
  EXPECT_EQ(shared_.Answer(Granted(1, absl::Milliseconds(100))), 2);
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0, 1}));
  EXPECT_TRUE(shared_.takes.empty());  // Not before the hinted time.
  time_.Advance(absl::Milliseconds(100));
  ASSERT_EQ(shared_.takes.size(), 1);
  EXPECT_EQ(shared_.Answer(Granted(1)), 1);
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0, 1, 2}));
  EXPECT_TRUE(shared_.takes.empty());
  EXPECT_TRUE(gate.shared_in_use());
  EXPECT_TRUE(states_.empty());
  EXPECT_EQ(time_.pending(), 0);
}

TEST_F(SharedRateGateTest, AnotherReplicasPauseHoldsThisOne) {
  RateGate gate(Options(), time_, time_);
  ASSERT_EQ(shared_.Answer(Granted(0)), 0);  // The first question: reachable?
  gate.Acquire({}, recorder_.For(1));
  shared_.Answer(Granted(0, absl::Seconds(5), absl::Seconds(5)));
  EXPECT_EQ(gate.paused_until(), time_.Now() + absl::Seconds(5));
  time_.Advance(absl::Milliseconds(4999));
  EXPECT_TRUE(shared_.takes.empty());
  time_.Advance(absl::Milliseconds(1));
  ASSERT_EQ(shared_.takes.size(), 1);
  shared_.Answer(Granted(1));
  EXPECT_EQ(recorder_.Released(), std::vector<int>({1}));
}

TEST_F(SharedRateGateTest, AGrantArrivingDuringALocalPauseSendsNothing) {
  RateGate gate(Options(), time_, time_);
  ASSERT_EQ(shared_.Answer(Granted(0)), 0);
  gate.Acquire({}, recorder_.For(1));
  ASSERT_EQ(shared_.takes.size(), 1);
  gate.PauseUntil(time_.Now() + absl::Seconds(2));  // A 429 meanwhile.
  shared_.Answer(Granted(1));
  EXPECT_TRUE(recorder_.events.empty());
  time_.Advance(absl::Seconds(2));
  ASSERT_EQ(shared_.takes.size(), 1);
  shared_.Answer(Granted(1));
  EXPECT_EQ(recorder_.Released(), std::vector<int>({1}));
}

TEST_F(SharedRateGateTest, ThisReplicasPauseIsShared) {
  RateGate gate(Options(), time_, time_);
  ASSERT_EQ(shared_.Answer(Granted(0)), 0);  // The first question: reachable?
  gate.PauseUntil(time_.Now() + absl::Seconds(3));
  EXPECT_EQ(shared_.pauses, std::vector<absl::Duration>({absl::Seconds(3)}));
}

TEST_F(SharedRateGateTest,
       FallsBackToItsFairShareAndReturnsWhenTheQuotaAnswers) {
  RateGate gate(Options(), time_, time_);
  ASSERT_EQ(shared_.Answer(Granted(0)), 0);  // The first question: reachable?
  for (int i = 0; i < 3; ++i) gate.Acquire({}, recorder_.For(i));
  shared_.Answer(absl::UnavailableError("Redis is down"));
  ASSERT_EQ(states_.size(), 1);
  EXPECT_FALSE(states_[0].first);
  EXPECT_EQ(states_[0].second.message(), "Redis is down");
  EXPECT_FALSE(gate.shared_in_use());
  // A quarter of 100 per 10 s: one every 10 s / 24, from an empty bucket.
  const absl::Duration share = absl::Seconds(10) / 24;
  EXPECT_TRUE(recorder_.events.empty());
  time_.Advance(share);
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0}));
  // A second later the shared quota is asked again (for nothing: a probe).
  time_.Advance(absl::Seconds(1) - share);
  ASSERT_EQ(shared_.takes.size(), 1);
  EXPECT_EQ(shared_.Answer(absl::UnavailableError("still down")), 0);
  EXPECT_EQ(states_.size(), 1);  // No news.
  time_.Advance(absl::Seconds(1));
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0, 1, 2}));
  ASSERT_EQ(shared_.takes.size(), 1);
  shared_.Answer(Granted(0));
  ASSERT_EQ(states_.size(), 2);
  EXPECT_TRUE(states_[1].first);
  EXPECT_TRUE(gate.shared_in_use());
  // Back on the shared quota: the next request waits for its grant.
  gate.Acquire({}, recorder_.For(3));
  ASSERT_EQ(shared_.takes.size(), 1);
  EXPECT_EQ(shared_.Answer(Granted(1)), 1);
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0, 1, 2, 3}));
}

TEST_F(SharedRateGateTest, StartsOnItsShareWhenTheSharedQuotaIsUnreachable) {
  RateGate gate(Options(), time_, time_);
  ASSERT_EQ(shared_.takes.size(), 1);
  shared_.Answer(absl::UnavailableError("connection refused"));
  ASSERT_EQ(states_.size(), 1);
  EXPECT_FALSE(states_[0].first);
  gate.Acquire({}, recorder_.For(1));
  time_.Advance(absl::Seconds(10) / 24);
  EXPECT_EQ(recorder_.Released(), std::vector<int>({1}));
}

TEST_F(SharedRateGateTest, AnUnansweredQuestionCountsAsUnreachable) {
  RateGate gate(Options(), time_, time_);  // The first question hangs.
  gate.Acquire({}, recorder_.For(1));
  time_.Advance(absl::Milliseconds(999));
  EXPECT_TRUE(states_.empty());
  time_.Advance(absl::Milliseconds(1));  // The default answer timeout: 1 s.
  ASSERT_EQ(states_.size(), 1);
  EXPECT_FALSE(states_[0].first);
  EXPECT_EQ(states_[0].second.code(), absl::StatusCode::kDeadlineExceeded);
  time_.Advance(absl::Seconds(10) / 24);  // Paced to the share meanwhile.
  EXPECT_EQ(recorder_.Released(), std::vector<int>({1}));
  // Past the probe interval (1 s): still only the hung question, never a
  // second one in flight.
  time_.Advance(absl::Seconds(3));
  ASSERT_EQ(shared_.takes.size(), 1);
  shared_.Answer(Granted(0));  // It answers at last.
  ASSERT_EQ(states_.size(), 2);
  EXPECT_TRUE(states_[1].first);
}

TEST_F(SharedRateGateTest, ARequestWhoseDeadlinePassesWhileAskingFails) {
  RateGate gate(Options(), time_, time_);
  ASSERT_EQ(shared_.Answer(Granted(0)), 0);  // The first question: reachable?
  gate.Acquire({.deadline = time_.Now() + absl::Seconds(1)}, recorder_.For(1));
  time_.Advance(absl::Seconds(2));
  ASSERT_EQ(recorder_.events.size(), 1);
  EXPECT_EQ(recorder_.events[0].second.code(),
            absl::StatusCode::kDeadlineExceeded);
  shared_.Answer(Granted(1));  // Too late; nobody is released twice.
  EXPECT_EQ(recorder_.events.size(), 1);
}

}  // namespace
}  // namespace userimage

namespace userimage {
namespace {

// Clock, timers and a shared quota that each re-enter the gate whenever the
// gate calls them: if the gate called any of them under its lock, absl's
// deadlock detection would abort the test.
class ReentrantWorld final : public Clock, public Timers, public SharedQuota {
 public:
  absl::Time Now() const override {
    Touch();
    return time.Now();
  }
  Id Schedule(absl::Time when, absl::AnyInvocable<void() &&> cb) override {
    Touch();
    return time.Schedule(when, std::move(cb));
  }
  bool Cancel(Id id) override {
    Touch();
    return time.Cancel(id);
  }
  void Take(int wanted, Priority /*priority*/, TakeCallback done) override {
    Touch();
    ++takes;
    if (fail_every > 0 && takes % fail_every == 0) {
      std::move(done)(absl::UnavailableError("down for this question"));
    } else {
      std::move(done)(Granted(wanted));
    }
  }
  void Pause(absl::Duration) override { Touch(); }

  void Touch() const {
    if (gate != nullptr) (void)gate->waiting();
  }

  FakeTime time;
  RateGate* gate = nullptr;
  int takes = 0;
  int fail_every = 0;  // Every n-th question fails (0: none).
};

TEST(RateGatePauseCapTest, NoPauseLastsLongerThanTheCapFromWhenItWasSet) {
  FakeTime time;
  FakeSharedQuota shared;
  RateGate gate(
      {.quota = 100, .shared = &shared, .max_pause = absl::Seconds(60)}, time,
      time);
  shared.Answer(Granted(0));  // The start-up question.
  const absl::Time now = time.Now();
  gate.PauseUntil(now + absl::Hours(24));
  EXPECT_EQ(gate.paused_until(), now + absl::Seconds(60));
  ASSERT_EQ(shared.pauses.size(), 1u);
  EXPECT_EQ(shared.pauses[0], absl::Seconds(60));  // Shared capped, too.
  // A day-long pause read back from the shared quota is capped as well.
  time.Advance(absl::Seconds(61));
  Recorder recorder;
  gate.Acquire({}, recorder.For(1));
  ASSERT_FALSE(shared.takes.empty());
  shared.Answer(Granted(0, absl::Seconds(1), absl::Hours(24)));
  EXPECT_LE(gate.paused_until(), time.Now() + absl::Seconds(60));
  EXPECT_GT(gate.paused_until(), time.Now());
  gate.Cancel(1);
  while (!shared.takes.empty()) shared.Answer(Granted(0));
}

TEST(RateGateLockTest, NeverCallsTheClockTimersOrQuotaUnderItsLock) {
  for (bool shared : {false, true}) {
    ReentrantWorld world;
    Recorder recorder;
    {
      RateGate gate({.quota = 11,
                     .window = absl::Seconds(10),
                     .shared = shared ? &world : nullptr},
                    world, world);
      world.gate = &gate;
      for (int i = 0; i < 5; ++i) {
        gate.Acquire({}, recorder.For(i));
      }
      gate.PauseUntil(world.time.Now() + absl::Seconds(2));
      const RateGate::Ticket ticket = gate.Acquire({}, recorder.For(9));
      gate.Cancel(ticket);
      world.time.Advance(absl::Seconds(20));
      world.gate = nullptr;
    }
    EXPECT_EQ(recorder.events.size(), 6u) << shared;
    EXPECT_EQ(recorder.Released().size(), 5u) << shared;
  }
}

TEST(RateGateLockTest, NeverCallsOutUnderItsLockWhileFallingBackAndBack) {
  ReentrantWorld world;
  world.fail_every = 3;
  Recorder recorder;
  int states = 0;
  {
    RateGate gate({.quota = 11,
                   .window = absl::Seconds(10),
                   .shared = &world,
                   .shared_retry_interval = absl::Milliseconds(500),
                   .on_shared_state =
                       [&](uint64_t, bool, const absl::Status&) {
                         world.Touch();
                         ++states;
                       }},
                  world, world);
    world.gate = &gate;
    for (int i = 0; i < 8; ++i) {
      gate.Acquire({}, recorder.For(i));
      world.time.Advance(absl::Milliseconds(700));
    }
    world.time.Advance(absl::Seconds(30));
    world.gate = nullptr;
  }
  EXPECT_EQ(recorder.Released().size(), 8u);
  EXPECT_GE(states, 2);  // It fell back and returned, at least once each.
}

// A quota that answers at once, with more waiting than one question asks
// for (16): the requests are still told in the order they came.
TEST(RateGateOrderTest, ASynchronousQuotaReleasesInArrivalOrder) {
  ReentrantWorld world;
  Recorder recorder;
  {
    RateGate gate({.quota = 100000, .shared = &world}, world, world);
    gate.PauseUntil(world.time.Now() + absl::Seconds(1));
    for (int i = 0; i < 40; ++i) {
      gate.Acquire({}, recorder.For(i));
    }
    world.time.Advance(absl::Seconds(1));
  }
  std::vector<int> expected;
  for (int i = 0; i < 40; ++i) expected.push_back(i);
  EXPECT_EQ(recorder.Released(), expected);
}

}  // namespace
}  // namespace userimage
