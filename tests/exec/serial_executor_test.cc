#include "server/exec/serial_executor.h"

#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(SerialExecutorTest, RunsWorkInOrderOnItsOwnThread) {
  SerialExecutor executor;
  std::vector<int> order;  // Touched only by the executor's thread.
  absl::Notification done;
  bool off_caller = true;
  const std::thread::id caller = std::this_thread::get_id();
  for (int i = 0; i < 100; ++i) {
    executor.Post([&, i] {
      off_caller = off_caller && std::this_thread::get_id() != caller &&
                   executor.InExecutorThread();
      order.push_back(i);
      if (i == 99) done.Notify();
    });
  }
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(off_caller);
  std::vector<int> expected;
  for (int i = 0; i < 100; ++i) expected.push_back(i);
  EXPECT_EQ(order, expected);
}

TEST(SerialExecutorTest, ShutdownRunsWhatIsQueuedAndWhatItPosts) {
  int ran = 0;
  SerialExecutor executor;
  absl::Notification blocked, release;
  executor.Post([&] {
    blocked.Notify();
    release.WaitForNotificationWithTimeout(absl::Seconds(30));
  });
  blocked.WaitForNotification();
  executor.Post([&] {
    ++ran;
    executor.Post([&] { ++ran; });  // Posted during shutdown: still run.
  });
  std::thread releaser([&] { release.Notify(); });
  executor.Shutdown();
  releaser.join();
  EXPECT_EQ(ran, 2);
  executor.Post([&] { ++ran; });  // After shutdown: runs here, not lost.
  EXPECT_EQ(ran, 3);
}

}  // namespace
}  // namespace userimage
