#include "server/ratelimit/caller_weights.h"

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(CallerWeightsTest, EveryCallerWeighsOneByDefault) {
  CallerWeights weights;
  EXPECT_EQ(weights.For("web"), 1);
  EXPECT_EQ(weights.For(""), 1);
}

TEST(CallerWeightsTest, ParsesIdentitiesAndTheDefault) {
  auto weights = CallerWeights::Parse(
      "# shares of Clerk's quota\n"
      "web 4   # the profile screen\n"
      "\tbatch\t0.5\n"
      "* 2\n");
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->For("web"), 4);
  EXPECT_EQ(weights->For("batch"), 0.5);
  EXPECT_EQ(weights->For("other"), 2);
  EXPECT_EQ(weights->For(""), 2);  // anonymous callers take "*" too
  EXPECT_EQ(weights->identities(), std::vector<std::string>({"web", "batch"}));
}

TEST(CallerWeightsTest, RefusesBadLinesNamingThem) {
  for (const char* bad :
       {"web\n", "web 1 2\n", "web x\n", "web 0\n", "web -1\n", "web 1001\n",
        "web nan\n", "web 1\nweb 2\n", "* 1\n* 2\n"}) {
    auto weights = CallerWeights::Parse(bad);
    EXPECT_EQ(weights.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_NE(weights.status().message().find("line "), std::string::npos)
        << weights.status();
  }
}

}  // namespace
}  // namespace userimage
