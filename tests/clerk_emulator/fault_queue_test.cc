#include "tools/clerk_emulator/fault_queue.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace clerk::emulator {
namespace {

TEST(FaultKindTest, NamesRoundTrip) {
  for (const char* name : {"429", "500", "502", "503", "504", "reset"}) {
    const absl::StatusOr<FaultKind> kind = ParseFaultKind(name);
    ASSERT_TRUE(kind.ok()) << name;
    EXPECT_EQ(FaultKindName(*kind), name);
  }
  EXPECT_EQ(*ParseFaultKind("reset"), FaultKind::kConnectionReset);
  for (absl::string_view name : {"401", "404", "413", "422", "500_text",
                                 "200_html", "200_garbage", "200_extra"}) {
    absl::StatusOr<FaultKind> kind = ParseFaultKind(name);
    ASSERT_TRUE(kind.ok()) << name;
    EXPECT_EQ(FaultKindName(*kind), name);
  }
  EXPECT_EQ(*ParseFaultKind("429"), FaultKind::kTooManyRequests);
}

TEST(FaultKindTest, RejectsUnknownNames) {
  for (const char* name : {"", "418", "RESET", "timeout"}) {
    EXPECT_EQ(ParseFaultKind(name).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
}

TEST(FaultQueueTest, PopsInOrderWithCounts) {
  FaultQueue queue;
  EXPECT_FALSE(queue.Pop().has_value());
  queue.Push({FaultKind::kTooManyRequests, "7"}, 2);
  queue.Push({FaultKind::kConnectionReset, std::nullopt}, 1);
  EXPECT_EQ(queue.size(), 3);

  for (int i = 0; i < 2; ++i) {
    const std::optional<Fault> fault = queue.Pop();
    ASSERT_TRUE(fault.has_value());
    EXPECT_EQ(fault->kind, FaultKind::kTooManyRequests);
    EXPECT_EQ(fault->retry_after, "7");
  }
  const std::optional<Fault> reset = queue.Pop();
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(reset->kind, FaultKind::kConnectionReset);
  EXPECT_FALSE(reset->retry_after.has_value());
  EXPECT_FALSE(queue.Pop().has_value());
  EXPECT_EQ(queue.size(), 0);
}

TEST(FaultQueueTest, IgnoresNonPositiveCounts) {
  FaultQueue queue;
  queue.Push({FaultKind::kInternalError, std::nullopt}, 0);
  queue.Push({FaultKind::kInternalError, std::nullopt}, -3);
  EXPECT_EQ(queue.size(), 0);
}

TEST(FaultQueueTest, ClearEmptiesTheQueue) {
  FaultQueue queue;
  queue.Push({FaultKind::kBadGateway, std::nullopt}, 1'000'000);
  EXPECT_EQ(queue.size(), 1'000'000);
  queue.Clear();
  EXPECT_EQ(queue.size(), 0);
  EXPECT_FALSE(queue.Pop().has_value());
}

}  // namespace
}  // namespace clerk::emulator
