#include "server/retry/retry_budget.h"

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(RetryBudgetTest, AllowsRetriesUntilHalfTheTokensAreSpent) {
  RetryBudget budget(10, 0.1);
  EXPECT_TRUE(budget.AllowRetry());
  for (int i = 0; i < 4; ++i) budget.RecordFailure();
  EXPECT_TRUE(budget.AllowRetry());  // 6 > 5
  budget.RecordFailure();
  EXPECT_FALSE(budget.AllowRetry());  // 5 is not > 5
}

TEST(RetryBudgetTest, SuccessesEarnRetriesBackSlowly) {
  RetryBudget budget(10, 0.1);
  for (int i = 0; i < 10; ++i) budget.RecordFailure();
  EXPECT_EQ(budget.tokens(), 0);
  for (int i = 0; i < 50; ++i) budget.RecordSuccess();
  EXPECT_FALSE(budget.AllowRetry());  // 5.0
  budget.RecordSuccess();
  EXPECT_TRUE(budget.AllowRetry());  // 5.1
  for (int i = 0; i < 1000; ++i) budget.RecordSuccess();
  EXPECT_EQ(budget.tokens(), 10);  // Capped.
}

TEST(RetryBudgetTest, InAnOutageRetriesAreAboutTheRatioOfRequests) {
  // Every first attempt fails; a retry is sent whenever allowed and fails
  // too; one request in ten succeeds. Count retries per request.
  RetryBudget budget(10, 0.1);
  int requests = 0, retries = 0;
  for (int i = 0; i < 10000; ++i) {
    ++requests;
    if (i % 10 == 0) {
      budget.RecordSuccess();
      continue;
    }
    budget.RecordFailure();
    if (budget.AllowRetry()) {
      ++retries;
      budget.RecordFailure();
    }
  }
  EXPECT_LT(static_cast<double>(retries) / requests, 0.02);
}

}  // namespace
}  // namespace userimage
