#include "server/retry/retry_budget.h"

#include "gtest/gtest.h"
#include "tests/testing/fake_time.h"

namespace userimage {
namespace {

int WithdrawAll(RetryBudget& budget) {
  int n = 0;
  while (budget.TryWithdraw()) ++n;
  return n;
}

TEST(RetryBudgetTest, AQuietServiceAlwaysHasItsReserve) {
  FakeTime time;
  RetryBudget budget(
      {.percent = 20, .min_per_second = 1, .ttl = absl::Seconds(10)}, time);
  EXPECT_EQ(budget.Balance(), 10);
  EXPECT_EQ(WithdrawAll(budget), 10);
  EXPECT_EQ(budget.Balance(), 0);
  // Withdrawals expire with their slot: a second later one slot is back.
  time.Advance(absl::Seconds(9));
  EXPECT_FALSE(budget.TryWithdraw());
  time.Advance(absl::Seconds(1));
  EXPECT_EQ(WithdrawAll(budget), 10);
}

TEST(RetryBudgetTest, OneRetryASecondNeverRunsOut) {
  FakeTime time;
  RetryBudget budget({}, time);
  for (int i = 0; i < 1000; ++i) {
    budget.Deposit();
    ASSERT_TRUE(budget.TryWithdraw()) << i;
    time.Advance(absl::Seconds(1));
  }
}

TEST(RetryBudgetTest, RequestsEarnTheirPercentage) {
  FakeTime time;
  RetryBudget budget({.percent = 20, .min_per_second = 0}, time);
  EXPECT_FALSE(budget.TryWithdraw());
  for (int i = 0; i < 100; ++i) budget.Deposit();
  EXPECT_DOUBLE_EQ(budget.Balance(), 20);
  EXPECT_EQ(WithdrawAll(budget), 20);
}

TEST(RetryBudgetTest, DepositsExpireAfterTheTtl) {
  FakeTime time;
  RetryBudget budget(
      {.percent = 50, .min_per_second = 0, .ttl = absl::Seconds(10)}, time);
  for (int i = 0; i < 10; ++i) budget.Deposit();
  time.Advance(absl::Seconds(5));
  for (int i = 0; i < 10; ++i) budget.Deposit();
  EXPECT_DOUBLE_EQ(budget.Balance(), 10);
  time.Advance(absl::Seconds(5));  // The first ten have expired.
  EXPECT_DOUBLE_EQ(budget.Balance(), 5);
  time.Advance(absl::Seconds(5));
  EXPECT_DOUBLE_EQ(budget.Balance(), 0);
}

TEST(RetryBudgetTest, InAnOutageRetriesAreThePercentagePlusTheReserve) {
  // Ten requests a second for a minute, every attempt failing, a retry sent
  // whenever allowed.
  FakeTime time;
  RetryBudget budget({}, time);
  int requests = 0, retries = 0;
  for (int i = 0; i < 600; ++i) {
    ++requests;
    budget.Deposit();
    while (budget.TryWithdraw()) ++retries;
    time.Advance(absl::Milliseconds(100));
  }
  // 20 % of the requests plus one a second.
  EXPECT_LE(retries, requests * 0.2 + 60 + 10);
  EXPECT_GE(retries, requests * 0.2);
}

TEST(RetryBudgetTest, ValidatesOptions) {
  EXPECT_TRUE(ValidateRetryBudgetOptions({}).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions({.percent = -1}).ok());
  EXPECT_FALSE(ValidateRetryBudgetOptions({.min_per_second = -1}).ok());
  absl::Status bad = ValidateRetryBudgetOptions({.ttl = absl::Seconds(0)});
  EXPECT_NE(bad.message().find("--retry_budget_ttl"), std::string::npos);
}

}  // namespace
}  // namespace userimage
