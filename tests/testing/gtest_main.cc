// gtest's main, with absl's mutex deadlock detection set to abort (whatever
// the build's default), so that a lock-order cycle or a mutex taken twice by
// one thread fails the test that causes it.
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kAbort);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
