#include "tools/clerk_emulator/rate_limiter.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/clerk_emulator/fake_clock.h"

namespace clerk::emulator {
namespace {

TEST(RateLimiterTest, ZeroLimitAdmitsEverything) {
  FakeClock clock;
  RateLimiter limiter(&clock, 0, absl::Seconds(10));
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Admit().allowed);
}

TEST(RateLimiterTest, RefusesAfterLimitUntilTheWindowEnds) {
  FakeClock clock;
  RateLimiter limiter(&clock, 3, absl::Seconds(10));
  for (int i = 0; i < 3; ++i) {
    const RateLimiter::Admission admission = limiter.Admit();
    EXPECT_TRUE(admission.allowed);
    EXPECT_EQ(admission.retry_after_seconds, 0);
    clock.Advance(absl::Milliseconds(500));
  }
  // 1.5 s into the window: 8.5 s left, rounded up.
  RateLimiter::Admission refused = limiter.Admit();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 9);

  clock.Advance(absl::Milliseconds(6500));  // 2 s left
  refused = limiter.Admit();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 2);

  clock.Advance(absl::Milliseconds(1999));  // 1 ms left
  refused = limiter.Admit();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);

  clock.Advance(absl::Milliseconds(1));  // the window has ended
  EXPECT_TRUE(limiter.Admit().allowed);
}

TEST(RateLimiterTest, NewWindowStartsWithTheFirstRequestAfterTheLastOne) {
  FakeClock clock;
  RateLimiter limiter(&clock, 1, absl::Seconds(10));
  EXPECT_TRUE(limiter.Admit().allowed);
  clock.Advance(absl::Seconds(25));
  EXPECT_TRUE(limiter.Admit().allowed);  // opens a window ending at 35 s
  clock.Advance(absl::Seconds(4));
  const RateLimiter::Admission refused = limiter.Admit();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 6);
}

TEST(RateLimiterTest, RetryAfterIsAtLeastOneSecond) {
  FakeClock clock;
  RateLimiter limiter(&clock, 1, absl::Milliseconds(300));
  EXPECT_TRUE(limiter.Admit().allowed);
  const RateLimiter::Admission refused = limiter.Admit();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
}

TEST(RateLimiterTest, ConfigureReplacesLimitAndForgetsTheWindow) {
  FakeClock clock;
  RateLimiter limiter(&clock, 1, absl::Seconds(10));
  EXPECT_TRUE(limiter.Admit().allowed);
  EXPECT_FALSE(limiter.Admit().allowed);

  limiter.Configure(2, absl::Seconds(60));
  EXPECT_TRUE(limiter.Admit().allowed);
  EXPECT_TRUE(limiter.Admit().allowed);
  const RateLimiter::Admission refused = limiter.Admit();
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 60);

  limiter.Configure(0, absl::Seconds(60));
  EXPECT_TRUE(limiter.Admit().allowed);
}

TEST(RateLimiterTest, ResetForgetsTheWindow) {
  FakeClock clock;
  RateLimiter limiter(&clock, 1, absl::Seconds(10));
  EXPECT_TRUE(limiter.Admit().allowed);
  EXPECT_FALSE(limiter.Admit().allowed);
  limiter.Reset();
  EXPECT_TRUE(limiter.Admit().allowed);
  EXPECT_FALSE(limiter.Admit().allowed);
}

}  // namespace
}  // namespace clerk::emulator
