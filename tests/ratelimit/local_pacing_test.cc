#include "server/ratelimit/local_pacing.h"

#include "gtest/gtest.h"

namespace userimage {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(LocalPacingTest, GrantsTheBurstThenOnePerIntervalOfItsShare) {
  // 100 per 10 s over 2 replicas: a share of 50, burst 1, one per 10 s / 49.
  LocalPacing pacing({.quota = 100, .window = absl::Seconds(10), .replicas = 2},
                     kStart);
  const absl::Duration interval = absl::Seconds(10) / 49;
  PermitSource::Deferred deferred;
  PermitSource::Permits permits =
      pacing.Take(kStart, {.interactive = 3}, deferred);
  EXPECT_EQ(permits.granted, 1);
  EXPECT_EQ(permits.ask_again, kStart + interval);
  permits = pacing.Take(kStart + interval, {.interactive = 3}, deferred);
  EXPECT_EQ(permits.granted, 1);
  EXPECT_EQ(permits.ask_again, kStart + interval * 2);
  EXPECT_TRUE(deferred.empty());  // Never any work outside the lock.
}

TEST(LocalPacingTest, WantingNothingTakesNothingAndAsksNoWakeUp) {
  LocalPacing pacing({.quota = 10, .window = absl::Seconds(1)}, kStart);
  PermitSource::Deferred deferred;
  const PermitSource::Permits permits =
      pacing.Take(kStart, {.interactive = 0}, deferred);
  EXPECT_EQ(permits.granted, 0);
  EXPECT_EQ(permits.ask_again, absl::InfiniteFuture());
  EXPECT_EQ(pacing.Take(kStart, {.interactive = 1}, deferred).granted,
            1);  // Still full.
}

TEST(LocalPacingTest, EstimatesAStartFromThePlaceInLine) {
  // 10 per second: burst 1, then one every 1/9 s.
  LocalPacing pacing({.quota = 10, .window = absl::Seconds(1)}, kStart);
  const absl::Duration interval = absl::Seconds(1) / 9;
  EXPECT_EQ(pacing.EstimateStart(kStart, 0), kStart);
  EXPECT_EQ(pacing.EstimateStart(kStart, 3), kStart + interval * 3);
  PermitSource::Deferred deferred;
  ASSERT_EQ(pacing.Take(kStart, {.interactive = 1}, deferred).granted, 1);
  EXPECT_EQ(pacing.EstimateStart(kStart, 0), kStart + interval);
  // From a later start (the end of a pause), counted from there.
  EXPECT_EQ(pacing.EstimateStart(kStart + absl::Seconds(5), 2),
            kStart + absl::Seconds(5) + interval * 2);
}

TEST(LocalPacingTest, ADrainedBucketRefillsOnlyWithTime) {
  LocalPacing pacing({.quota = 100, .window = absl::Seconds(10)}, kStart);
  const absl::Duration interval = absl::Seconds(10) / 98;
  pacing.Drain(kStart);
  PermitSource::Deferred deferred;
  EXPECT_EQ(pacing.Take(kStart, {.interactive = 1}, deferred).granted, 0);
  EXPECT_EQ(
      pacing.Take(kStart + interval, {.interactive = 5}, deferred).granted, 1);
}

TEST(LocalPacingTest, WithoutPacingEveryRequestMayLeave) {
  for (const LocalPacingOptions& options :
       {LocalPacingOptions{.pacing = false}, LocalPacingOptions{.quota = 0}}) {
    LocalPacing pacing(options, kStart);
    PermitSource::Deferred deferred;
    const PermitSource::Permits permits =
        pacing.Take(kStart, {.interactive = 1000}, deferred);
    EXPECT_EQ(permits.granted, 1000);
    EXPECT_EQ(permits.ask_again, absl::InfiniteFuture());
    EXPECT_EQ(pacing.EstimateStart(kStart, 999), kStart);
  }
}

}  // namespace
}  // namespace userimage
