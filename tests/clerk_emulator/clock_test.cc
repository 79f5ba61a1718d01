#include "tools/clerk_emulator/clock.h"

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace clerk::emulator {
namespace {

TEST(SystemClockTest, FollowsTheWallClock) {
  const absl::Time before = absl::Now();
  const absl::Time now = SystemClock().Now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, absl::Now());
}

TEST(SystemClockTest, IsOneInstance) {
  EXPECT_EQ(&SystemClock(), &SystemClock());
}

}  // namespace
}  // namespace clerk::emulator
