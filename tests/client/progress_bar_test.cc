#include "client/progress_bar.h"

#include "gtest/gtest.h"

namespace clerk::userimage::client {
namespace {

TEST(RenderProgressBarTest, PartlyDone) {
  EXPECT_EQ(RenderProgressBar(4500000, 10000000, 20),
            "[#########...........]  45%  4.5 MB / 10.0 MB");
}

TEST(RenderProgressBarTest, Start) {
  EXPECT_EQ(RenderProgressBar(0, 10000000, 10),
            "[..........]   0%  0.0 MB / 10.0 MB");
}

TEST(RenderProgressBarTest, Done) {
  EXPECT_EQ(RenderProgressBar(10000000, 10000000, 10),
            "[##########] 100%  10.0 MB / 10.0 MB");
}

TEST(RenderProgressBarTest, RoundsDown) {
  // 29% exactly, which floating point would make 28.99...
  EXPECT_EQ(RenderProgressBar(29, 100, 10), "[##........]  29%  29 B / 100 B");
  // Only a finished upload shows 100%.
  EXPECT_EQ(RenderProgressBar(999, 1000, 10),
            "[#########.]  99%  1.0 kB / 1.0 kB");
}

TEST(RenderProgressBarTest, UnitFollowsTotal) {
  EXPECT_EQ(RenderProgressBar(512, 2048, 4), "[#...]  25%  0.5 kB / 2.0 kB");
  EXPECT_EQ(RenderProgressBar(1, 3000000000, 4),
            "[....]   0%  0.0 GB / 3.0 GB");
}

TEST(RenderProgressBarTest, SentOverTotalCountsAsTotal) {
  EXPECT_EQ(RenderProgressBar(7, 5, 4), "[####] 100%  5 B / 5 B");
}

TEST(RenderProgressBarTest, EmptyTotalIsComplete) {
  EXPECT_EQ(RenderProgressBar(0, 0, 4), "[####] 100%  0 B / 0 B");
}

TEST(RenderProgressBarTest, HugeSizesDoNotOverflow) {
  const uint64_t total = UINT64_MAX;
  EXPECT_EQ(RenderProgressBar(total / 2, total, 4).substr(0, 11),
            "[#...]  49%");
}

TEST(RenderProgressBarTest, NoCells) {
  EXPECT_EQ(RenderProgressBar(1, 2, 0), "[]  50%  1 B / 2 B");
  EXPECT_EQ(RenderProgressBar(1, 2, -3), "[]  50%  1 B / 2 B");
}

}  // namespace
}  // namespace clerk::userimage::client
