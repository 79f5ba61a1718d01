#include "server/service/request_priority.h"

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/status/status_details.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::PRIORITY_BULK;
using ::clerk::userimage::v1::PRIORITY_INTERACTIVE;
using ::clerk::userimage::v1::PRIORITY_UNSPECIFIED;

TEST(RequestPriorityTest, UnsetIsInteractive) {
  EXPECT_EQ(RequestPriority(PRIORITY_UNSPECIFIED, "priority").value(),
            Priority::kInteractive);
  EXPECT_EQ(RequestPriority(PRIORITY_INTERACTIVE, "priority").value(),
            Priority::kInteractive);
  EXPECT_EQ(RequestPriority(PRIORITY_BULK, "priority").value(),
            Priority::kBulk);
}

TEST(RequestPriorityTest, AnUnknownValueIsRefusedNamingTheField) {
  absl::StatusOr<Priority> priority = RequestPriority(
      static_cast<clerk::userimage::v1::Priority>(9), "metadata.priority");
  ASSERT_EQ(priority.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(priority.status().message().find("metadata.priority 9"),
            std::string::npos)
      << priority.status();
  auto info = GetDetail<google::rpc::ErrorInfo>(priority.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "UNKNOWN_PRIORITY");
  auto bad = GetDetail<google::rpc::BadRequest>(priority.status());
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->field_violations(0).field(), "metadata.priority");
}

}  // namespace
}  // namespace userimage
