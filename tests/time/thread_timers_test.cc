#include "server/time/thread_timers.h"

#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(ThreadTimersTest, RunsCallbacksInTimeOrderAndSkipsCancelled) {
  ThreadTimers timers;
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification done;
  const absl::Time now = absl::Now();
  auto record = [&](int id) {
    return [&, id] {
      absl::MutexLock lock(&mu);
      order.push_back(id);
    };
  };
  timers.Schedule(now + absl::Milliseconds(30), record(3));
  timers.Schedule(now + absl::Milliseconds(10), record(1));
  const Timers::Id cancelled = timers.Schedule(now + absl::Milliseconds(20), record(99));
  timers.Schedule(now + absl::Milliseconds(20), record(2));
  timers.Schedule(now + absl::Milliseconds(40), [&] { done.Notify(); });
  EXPECT_TRUE(timers.Cancel(cancelled));
  EXPECT_FALSE(timers.Cancel(cancelled));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, std::vector<int>({1, 2, 3}));
}

TEST(ThreadTimersTest, AnEarlierTimerWakesTheThread) {
  ThreadTimers timers;
  timers.Schedule(absl::Now() + absl::Hours(1), [] {});
  absl::Notification done;
  timers.Schedule(absl::Now(), [&] { done.Notify(); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

TEST(ThreadTimersTest, PendingCallbacksAreDroppedOnDestruction) {
  bool ran = false;
  {
    ThreadTimers timers;
    timers.Schedule(absl::Now() + absl::Hours(1), [&] { ran = true; });
  }
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace userimage
