#include "client/status_from_grpc.h"

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/types/optional.h"
#include "gtest/gtest.h"

namespace clerk::userimage::client {
namespace {

TEST(FromGrpcStatusTest, OkIsOk) {
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(FromGrpcStatusTest, KeepsCodeAndMessage) {
  absl::Status status =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::NOT_FOUND, "no user"));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no user");
  EXPECT_FALSE(status.GetPayload(kRpcStatusTypeUrl).has_value());
}

TEST(FromGrpcStatusTest, KeepsEveryCode) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status status = FromGrpcStatus(
        grpc::Status(static_cast<grpc::StatusCode>(code), "message"));
    EXPECT_EQ(static_cast<int>(status.code()), code);
    EXPECT_EQ(absl::StatusCodeToString(status.code()),
              absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
  }
}

TEST(FromGrpcStatusTest, KeepsErrorDetailsAsPayload) {
  const std::string details(
      "\x08\x03\x12\x03"
      "bad",
      7);
  absl::Status status = FromGrpcStatus(
      grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad", details));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  absl::optional<absl::Cord> payload = status.GetPayload(kRpcStatusTypeUrl);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(*payload), details);
}

}  // namespace
}  // namespace clerk::userimage::client
