#include "server/retry/backoff.h"

#include "gtest/gtest.h"
#include "tests/testing/fake_time.h"

namespace userimage {
namespace {

const BackoffPolicy kPolicy{.base = absl::Milliseconds(100),
                            .cap = absl::Seconds(1),
                            .max_retry_after = absl::Seconds(30)};

TEST(BackoffDelayTest, FullJitterExponentialSequence) {
  // With the random draw fixed at its top, the ceiling shows: 100, 200,
  // 400, 800 ms, then capped at 1 s.
  FakeRandom top({0.999999});
  const absl::Duration expected[] = {
      absl::Milliseconds(100), absl::Milliseconds(200), absl::Milliseconds(400),
      absl::Milliseconds(800), absl::Seconds(1),        absl::Seconds(1)};
  for (int retry = 0; retry < 6; ++retry) {
    EXPECT_NEAR(absl::ToDoubleMilliseconds(
                    BackoffDelay(kPolicy, retry, std::nullopt, top)),
                absl::ToDoubleMilliseconds(expected[retry]), 0.01)
        << retry;
  }
  // The draw scales the ceiling: full jitter from zero.
  FakeRandom draws({0.0, 0.5, 0.25});
  EXPECT_EQ(BackoffDelay(kPolicy, 3, std::nullopt, draws),
            absl::ZeroDuration());
  EXPECT_EQ(BackoffDelay(kPolicy, 3, std::nullopt, draws),
            absl::Milliseconds(400));
  EXPECT_EQ(BackoffDelay(kPolicy, 3, std::nullopt, draws),
            absl::Milliseconds(200));
  // Huge retry counts do not overflow.
  EXPECT_EQ(BackoffDelay(kPolicy, 1000, std::nullopt, top),
            absl::Seconds(1) * 0.999999);
}

TEST(BackoffDelayTest, RetryAfterIsTheFloorWithJitterOnTop) {
  FakeRandom draws({0.0, 0.5, 0.999999});
  EXPECT_EQ(BackoffDelay(kPolicy, 0, absl::Seconds(2), draws),
            absl::Seconds(2));
  EXPECT_EQ(BackoffDelay(kPolicy, 0, absl::Seconds(2), draws),
            absl::Milliseconds(2500));
  EXPECT_LT(BackoffDelay(kPolicy, 0, absl::Seconds(2), draws),
            absl::Seconds(3));
}

TEST(BackoffDelayTest, RetryAfterIsClampedToTheMaximum) {
  FakeRandom half({0.5});
  EXPECT_EQ(BackoffDelay(kPolicy, 0, absl::Hours(1), half), absl::Seconds(30));
  EXPECT_EQ(BackoffDelay(kPolicy, 0, absl::ZeroDuration(), half),
            absl::ZeroDuration());
}

}  // namespace
}  // namespace userimage
