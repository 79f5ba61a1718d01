#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "server/status/status_details.h"
#include "server/status/status_to_grpc.h"

namespace userimage {
namespace {

TEST(StatusDetailsTest, InvalidFieldErrorCarriesBadRequestAndErrorInfo) {
  absl::Status status =
      InvalidFieldError("metadata.user_id", "INVALID_USER_ID", "bad id");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "bad id");
  auto bad_request = GetDetail<google::rpc::BadRequest>(status);
  ASSERT_TRUE(bad_request.has_value());
  ASSERT_EQ(bad_request->field_violations_size(), 1);
  EXPECT_EQ(bad_request->field_violations(0).field(), "metadata.user_id");
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "INVALID_USER_ID");
  EXPECT_EQ(info->domain(), kServiceErrorDomain);
  EXPECT_FALSE(GetDetail<google::rpc::RetryInfo>(status).has_value());
}

TEST(GrpcStatusTest, OkStaysOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(GrpcStatusTest, KeepsCodeAndMessageWithoutDetails) {
  grpc::Status s = ToGrpcStatus(absl::NotFoundError("no such user"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no such user");
  EXPECT_TRUE(s.error_details().empty());
}

TEST(GrpcStatusTest, PacksPayloadsAsRpcStatusDetails) {
  absl::Status status = absl::ResourceExhaustedError("slow down");
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(3);
  SetDetail(status, retry);
  grpc::Status s = ToGrpcStatus(status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(s.error_details()));
  EXPECT_EQ(rpc.code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(rpc.message(), "slow down");
  ASSERT_EQ(rpc.details_size(), 1);
  google::rpc::RetryInfo unpacked;
  ASSERT_TRUE(rpc.details(0).UnpackTo(&unpacked));
  EXPECT_EQ(unpacked.retry_delay().seconds(), 3);
}

}  // namespace
}  // namespace userimage
