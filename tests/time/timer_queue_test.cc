#include "server/time/timer_queue.h"

#include <vector>

#include "gtest/gtest.h"

namespace userimage {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

// Runs what TakeDue() hands out, as the driving loop would.
void RunDue(TimerQueue& queue, absl::Time now, absl::Duration* next) {
  for (auto& callback : queue.TakeDue(now, next)) std::move(callback)();
}

TEST(TimerQueueTest, HandsOutDueTimersInTimeOrderAndSaysWhenTheNextIs) {
  TimerQueue queue;
  std::vector<int> order;
  auto record = [&order](int id) {
    return [&order, id] { order.push_back(id); };
  };
  queue.Schedule(kStart + absl::Milliseconds(30), record(3));
  queue.Schedule(kStart + absl::Milliseconds(10), record(1));
  queue.Schedule(kStart + absl::Milliseconds(20), record(2));
  queue.Schedule(kStart + absl::Milliseconds(20), record(22));  // a tie
  absl::Duration next;
  RunDue(queue, kStart, &next);
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(next, absl::Milliseconds(10));
  RunDue(queue, kStart + absl::Milliseconds(25), &next);
  EXPECT_EQ(order, std::vector<int>({1, 2, 22}));
  EXPECT_EQ(next, absl::Milliseconds(5));
  RunDue(queue, kStart + absl::Seconds(1), &next);
  EXPECT_EQ(order, std::vector<int>({1, 2, 22, 3}));
  EXPECT_EQ(next, absl::InfiniteDuration());
}

TEST(TimerQueueTest, CancelSaysWhoOwnsTheFinish) {
  TimerQueue queue;
  bool ran = false;
  const Timers::Id id = queue.Schedule(kStart, [&ran] { ran = true; });
  const Timers::Id taken = queue.Schedule(kStart, [] {});
  EXPECT_NE(id, 0u);
  EXPECT_TRUE(queue.Cancel(id));
  EXPECT_FALSE(queue.Cancel(id));  // Cancelled already.
  absl::Duration next;
  auto due = queue.TakeDue(kStart, &next);
  EXPECT_EQ(due.size(), 1u);
  // Taken off the queue (about to run): too late to cancel.
  EXPECT_FALSE(queue.Cancel(taken));
  EXPECT_FALSE(ran);
}

TEST(TimerQueueTest, ANewEarliestTimerWakesTheDriver) {
  int wakes = 0;
  TimerQueue queue([&wakes] { ++wakes; });
  queue.Schedule(kStart + absl::Seconds(10), [] {});
  EXPECT_EQ(wakes, 1);
  queue.Schedule(kStart + absl::Seconds(5), [] {});
  EXPECT_EQ(wakes, 2);
}

TEST(TimerQueueTest, ALaterTimerDoesNotWakeTheDriver) {
  int wakes = 0;
  TimerQueue queue([&wakes] { ++wakes; });
  queue.Schedule(kStart, [] {});
  queue.Schedule(kStart + absl::Seconds(30), [] {});
  // Same due time: scheduled later, so it runs later, not earlier.
  queue.Schedule(kStart, [] {});
  EXPECT_EQ(wakes, 1);
}

TEST(TimerQueueTest, ATimerReplacingACancelledEarlierOneDoesNotWake) {
  int wakes = 0;
  TimerQueue queue([&wakes] { ++wakes; });
  // An upload's idle timeout, re-armed on every message while it is the
  // only timer: the driver already waits for the first due time, so it
  // wakes only for that one.
  Timers::Id idle = queue.Schedule(kStart + absl::Seconds(30), [] {});
  for (int message = 1; message <= 5; ++message) {
    ASSERT_TRUE(queue.Cancel(idle));
    idle = queue.Schedule(kStart + absl::Seconds(30 + message), [] {});
  }
  EXPECT_EQ(wakes, 1);
  // One due before the driver would look again still wakes it.
  queue.Schedule(kStart + absl::Seconds(10), [] {});
  EXPECT_EQ(wakes, 2);
}

TEST(TimerQueueTest, TheDriverIsWokenForWhatFallsBeforeItsNextLook) {
  int wakes = 0;
  TimerQueue queue([&wakes] { ++wakes; });
  const Timers::Id first = queue.Schedule(kStart, [] {});
  queue.Schedule(kStart + absl::Seconds(30), [] {});
  ASSERT_TRUE(queue.Cancel(first));
  absl::Duration next;
  // The driver looks at the cancelled timer's time, finds nothing due and
  // is told to wait for the one left.
  RunDue(queue, kStart, &next);
  EXPECT_EQ(next, absl::Seconds(30));
  queue.Schedule(kStart + absl::Seconds(40), [] {});
  EXPECT_EQ(wakes, 1);
  queue.Schedule(kStart + absl::Seconds(20), [] {});
  EXPECT_EQ(wakes, 2);
  // Once the queue is empty the driver waits for nothing: any timer wakes.
  RunDue(queue, kStart + absl::Hours(1), &next);
  EXPECT_EQ(next, absl::InfiniteDuration());
  queue.Schedule(kStart + absl::Hours(2), [] {});
  EXPECT_EQ(wakes, 3);
}

TEST(TimerQueueTest, ADriverThatLooksEverySecondIsWokenOnlyForSoonerTimers) {
  int wakes = 0;
  TimerQueue queue([&wakes] { ++wakes; }, absl::Seconds(1));
  absl::Duration next;
  RunDue(queue, kStart, &next);  // Nothing pending: it looks again by +1 s.
  EXPECT_EQ(next, absl::InfiniteDuration());
  queue.Schedule(kStart + absl::Seconds(30), [] {});
  queue.Schedule(kStart + absl::Seconds(1), [] {});
  EXPECT_EQ(wakes, 0);
  queue.Schedule(kStart + absl::Milliseconds(500), [] {});
  EXPECT_EQ(wakes, 1);
  // Told to wait 29.5 s, it still looks again within a second.
  RunDue(queue, kStart + absl::Milliseconds(500), &next);
  RunDue(queue, kStart + absl::Seconds(1), &next);
  EXPECT_EQ(next, absl::Seconds(29));
  queue.Schedule(kStart + absl::Seconds(2), [] {});
  EXPECT_EQ(wakes, 1);
  queue.Schedule(kStart + absl::Milliseconds(1999), [] {});
  EXPECT_EQ(wakes, 2);
}

TEST(TimerQueueTest, DropAllRunsNothing) {
  TimerQueue queue;
  bool ran = false;
  const Timers::Id id = queue.Schedule(kStart, [&ran] { ran = true; });
  queue.DropAll();
  EXPECT_FALSE(queue.Cancel(id));
  absl::Duration next;
  EXPECT_TRUE(queue.TakeDue(kStart + absl::Hours(1), &next).empty());
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace userimage
