#include "tools/bench/stats.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace clerk::userimage::bench {
namespace {

TEST(StatsTest, PercentileIsTheNearestRank) {
  std::vector<absl::Duration> values;
  for (int i = 1; i <= 100; ++i) values.push_back(absl::Milliseconds(i));
  EXPECT_EQ(Percentile(values, 0.5), absl::Milliseconds(50));
  EXPECT_EQ(Percentile(values, 0.99), absl::Milliseconds(99));
  EXPECT_EQ(Percentile(values, 0.999), absl::Milliseconds(100));
  EXPECT_EQ(Percentile(values, 0), absl::Milliseconds(1));
  EXPECT_EQ(Percentile(values, 1), absl::Milliseconds(100));
  EXPECT_EQ(Percentile({absl::Seconds(3)}, 0.5), absl::Seconds(3));
}

TEST(StatsTest, RatiosSayWhenTheyAreUndefinedOrInfinite) {
  EXPECT_EQ(Ratio(3, 2), 1.5);
  EXPECT_FALSE(Ratio(0, 0).has_value());
  EXPECT_TRUE(std::isinf(*Ratio(1, 0)));
  EXPECT_EQ(FormatRatio(Ratio(3, 2)), "1.50");
  EXPECT_EQ(FormatRatio(Ratio(0, 0)), "-");
  EXPECT_EQ(FormatRatio(Ratio(1, 0)), "inf");
}

}  // namespace
}  // namespace clerk::userimage::bench
