#include "server/upload/memory_budget.h"

#include <thread>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/status/status_details.h"

namespace userimage {
namespace {

TEST(MemoryBudgetTest, RefusesAtTheEdgeAndReleasesOnDestruction) {
  MemoryBudget budget(100);
  {
    MemoryBudget::Reservation a = budget.Open();
    EXPECT_TRUE(a.Resize(60));
    MemoryBudget::Reservation b = budget.Open();
    EXPECT_TRUE(b.Resize(40));  // Exactly at the limit.
    EXPECT_EQ(budget.in_use(), 100);
    EXPECT_FALSE(b.Resize(41));
    EXPECT_EQ(b.bytes(), 40);   // Unchanged after a refusal.
    EXPECT_TRUE(a.Resize(10));  // Shrinking gives bytes back.
    EXPECT_TRUE(b.Resize(90));
    EXPECT_EQ(budget.in_use(), 100);
  }
  EXPECT_EQ(budget.in_use(), 0);
}

TEST(MemoryBudgetTest, MovingTransfersTheClaim) {
  MemoryBudget budget(100);
  MemoryBudget::Reservation a = budget.Open();
  ASSERT_TRUE(a.Resize(70));
  MemoryBudget::Reservation b = std::move(a);
  EXPECT_EQ(b.bytes(), 70);
  EXPECT_EQ(budget.in_use(), 70);
  b = MemoryBudget::Reservation();
  EXPECT_EQ(budget.in_use(), 0);
}

TEST(MemoryBudgetTest, ConcurrentClaimsNeverExceedTheLimit) {
  MemoryBudget budget(1000);
  std::vector<std::thread> threads;
  std::atomic<int> granted{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        MemoryBudget::Reservation r = budget.Open();
        if (r.Resize(300)) {
          ++granted;
          EXPECT_LE(budget.in_use(), 1000);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(granted.load(), 0);
  EXPECT_EQ(budget.in_use(), 0);
}

TEST(GrpcBufferQuotaTest, HalfTheBudgetAndAtLeast64MiB) {
  EXPECT_EQ(GrpcBufferQuotaBytes(uint64_t{512} << 20), uint64_t{256} << 20);
  EXPECT_EQ(GrpcBufferQuotaBytes(uint64_t{100} << 20), uint64_t{64} << 20);
  EXPECT_EQ(GrpcBufferQuotaBytes(0), uint64_t{64} << 20);
}

}  // namespace
}  // namespace userimage

namespace userimage {
namespace {

TEST(MemoryBudgetExhaustedTest, SaysRetryWithItsReason) {
  const absl::Status status = MemoryBudgetExhausted();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "MEMORY_BUDGET_EXHAUSTED");
  auto retry = GetDetail<google::rpc::RetryInfo>(status);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(retry->retry_delay().seconds(), 1);
}

}  // namespace
}  // namespace userimage
