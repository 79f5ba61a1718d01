#include "server/ratelimit/token_bucket.h"

#include "gtest/gtest.h"

namespace userimage {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(TokenBucketTest, BurstThenOneTokenPerInterval) {
  TokenBucket bucket(2, absl::Milliseconds(100), kStart);
  EXPECT_TRUE(bucket.TryTake(kStart));
  EXPECT_TRUE(bucket.TryTake(kStart));
  EXPECT_FALSE(bucket.TryTake(kStart));
  EXPECT_EQ(bucket.NextAvailable(kStart), kStart + absl::Milliseconds(100));
  EXPECT_FALSE(bucket.TryTake(kStart + absl::Milliseconds(99)));
  EXPECT_TRUE(bucket.TryTake(kStart + absl::Milliseconds(100)));
  EXPECT_EQ(bucket.NextAvailable(kStart + absl::Milliseconds(100)),
            kStart + absl::Milliseconds(200));
}

TEST(TokenBucketTest, NeverHoldsMoreThanTheBurst) {
  TokenBucket bucket(2, absl::Milliseconds(100), kStart);
  const absl::Time later = kStart + absl::Hours(1);
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_TRUE(bucket.TryTake(later));
  EXPECT_FALSE(bucket.TryTake(later));
}

TEST(TokenBucketTest, AnyWindowHoldsAtMostBurstPlusRate) {
  // 100 per 10 s as the rate gate configures it: burst 2, 98 per window.
  TokenBucket bucket(2, absl::Seconds(10) / 98, kStart);
  std::vector<absl::Time> sent;
  for (absl::Time t = kStart; t < kStart + absl::Seconds(60);
       t += absl::Milliseconds(7)) {
    while (bucket.TryTake(t)) sent.push_back(t);
  }
  size_t most = 0;
  for (size_t i = 0, j = 0; i < sent.size(); ++i) {
    while (sent[i] - sent[j] >= absl::Seconds(10)) ++j;
    most = std::max(most, i - j + 1);
  }
  EXPECT_LE(most, 100);
  EXPECT_GE(sent.size(), 98 * 6);  // Keeps up with the quota.
}

}  // namespace
}  // namespace userimage
