#include "server/http/abort_signal.h"

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(AbortSignalTest, RunsTheHookOnceWhenAborted) {
  AbortSignal signal;
  int runs = 0;
  EXPECT_TRUE(signal.OnAbort([&] { ++runs; }));
  EXPECT_FALSE(signal.aborted());
  signal.Abort();
  signal.Abort();
  EXPECT_TRUE(signal.aborted());
  EXPECT_EQ(runs, 1);
}

TEST(AbortSignalTest, AnAbortBeforeRegistrationIsReportedNotRun) {
  AbortSignal signal;
  signal.Abort();
  int runs = 0;
  EXPECT_FALSE(signal.OnAbort([&] { ++runs; }));
  EXPECT_EQ(runs, 0);
}

TEST(AbortSignalTest, ClearedHookNeverRuns) {
  AbortSignal signal;
  int runs = 0;
  ASSERT_TRUE(signal.OnAbort([&] { ++runs; }));
  signal.Clear();
  signal.Abort();
  EXPECT_EQ(runs, 0);
}

TEST(AbortSignalTest, TheHookRunsOutsideTheLock) {
  // A hook that re-enters the signal deadlocks (and aborts, with deadlock
  // detection on) if it ran under the signal's lock.
  AbortSignal signal;
  bool seen_aborted = false;
  ASSERT_TRUE(signal.OnAbort([&] {
    seen_aborted = signal.aborted();
    signal.Clear();
  }));
  signal.Abort();
  EXPECT_TRUE(seen_aborted);
}

}  // namespace
}  // namespace userimage
