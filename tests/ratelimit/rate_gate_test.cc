#include "server/ratelimit/rate_gate.h"

#include <vector>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/status/status_details.h"
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
    gate.Acquire(absl::InfiniteFuture(), false, recorder_.For(i));
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
  gate.Acquire(absl::InfiniteFuture(), false, recorder_.For(1));
  gate.Acquire(absl::InfiniteFuture(), false, recorder_.For(2));
  time_.Advance(absl::Milliseconds(2999));
  EXPECT_TRUE(recorder_.events.empty());
  time_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(recorder_.Released(), std::vector<int>({1, 2}));
}

TEST_F(RateGateTest, PriorityGoesFirst) {
  RateGate gate({.quota = 10, .window = absl::Seconds(1)}, time_, time_);
  gate.Acquire(absl::InfiniteFuture(), false,
               recorder_.For(0));  // Takes the burst.
  gate.Acquire(absl::InfiniteFuture(), false, recorder_.For(1));
  gate.Acquire(absl::InfiniteFuture(), true, recorder_.For(2));
  time_.Advance(absl::Seconds(1));
  EXPECT_EQ(recorder_.Released(), std::vector<int>({0, 2, 1}));
}

TEST_F(RateGateTest, FailsFastWithRetryInfoWhenTheDeadlineCannotBeMet) {
  RateGate gate({.quota = 100, .window = absl::Seconds(10), .pacing = false},
                time_, time_);
  gate.PauseUntil(time_.Now() + absl::Seconds(5));
  gate.Acquire(time_.Now() + absl::Seconds(2), false, recorder_.For(7));
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
    gate.Acquire(time_.Now() + absl::Seconds(1), false, recorder_.For(i));
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
  gate.Acquire(time_.Now() + absl::Seconds(3), false, recorder_.For(1));
  gate.Acquire(time_.Now() + absl::Seconds(30), false, recorder_.For(2));
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
  RateGate::Ticket ticket =
      gate.Acquire(absl::InfiniteFuture(), false, recorder_.For(1));
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
    gate.Acquire(absl::InfiniteFuture(), false, [&](absl::Status s) {
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
