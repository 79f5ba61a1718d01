#include "client/status_printer.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "client/status_from_grpc.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace clerk::userimage::client {
namespace {

absl::Status WithDetails(absl::Status status,
                         const google::rpc::Status& details) {
  status.SetPayload(kRpcStatusTypeUrl, absl::Cord(details.SerializeAsString()));
  return status;
}

TEST(FormatErrorTest, CodeNameAndMessage) {
  EXPECT_EQ(FormatError(absl::NotFoundError("no user user_1")),
            "error: NOT_FOUND: no user user_1\n");
}

TEST(FormatErrorTest, ErrorInfoWithSortedMetadata) {
  google::rpc::ErrorInfo info;
  info.set_reason("IMAGE_TOO_LARGE");
  info.set_domain("userimage.clerk");
  (*info.mutable_metadata())["limit"] = "10000000";
  (*info.mutable_metadata())["actual"] = "12000000";
  google::rpc::Status details;
  details.add_details()->PackFrom(info);

  EXPECT_EQ(FormatError(WithDetails(
                absl::InvalidArgumentError("image too large"), details)),
            "error: INVALID_ARGUMENT: image too large\n"
            "  reason: IMAGE_TOO_LARGE (userimage.clerk)\n"
            "    actual: 12000000\n"
            "    limit: 10000000\n");
}

TEST(FormatErrorTest, ErrorInfoWithoutDomain) {
  google::rpc::ErrorInfo info;
  info.set_reason("RATE_LIMITED");
  google::rpc::Status details;
  details.add_details()->PackFrom(info);

  EXPECT_EQ(FormatError(WithDetails(absl::ResourceExhaustedError("slow down"),
                                    details)),
            "error: RESOURCE_EXHAUSTED: slow down\n"
            "  reason: RATE_LIMITED\n");
}

TEST(FormatErrorTest, RetryInfoInSeconds) {
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(1);
  retry.mutable_retry_delay()->set_nanos(500000000);
  google::rpc::Status details;
  details.add_details()->PackFrom(retry);

  EXPECT_EQ(FormatError(
                WithDetails(absl::UnavailableError("Clerk is down"), details)),
            "error: UNAVAILABLE: Clerk is down\n"
            "  retry after: 1.5s\n");
}

TEST(FormatErrorTest, BadRequestFieldViolations) {
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field("metadata.user_id");
  violation->set_description("must start with \"user_\"");
  violation = bad_request.add_field_violations();
  violation->set_field("metadata.sha256");
  violation->set_description("must be 64 hex characters");
  google::rpc::Status details;
  details.add_details()->PackFrom(bad_request);

  EXPECT_EQ(FormatError(WithDetails(absl::InvalidArgumentError("bad metadata"),
                                    details)),
            "error: INVALID_ARGUMENT: bad metadata\n"
            "  invalid field metadata.user_id: must start with \"user_\"\n"
            "  invalid field metadata.sha256: must be 64 hex characters\n");
}

TEST(FormatErrorTest, OtherDetailsByTypeUrl) {
  google::rpc::Help help;
  help.add_links()->set_url("https://clerk.com/docs");
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(30);
  google::rpc::Status details;
  details.add_details()->PackFrom(help);
  details.add_details()->PackFrom(retry);

  EXPECT_EQ(FormatError(WithDetails(absl::InternalError("oops"), details)),
            "error: INTERNAL: oops\n"
            "  detail: type.googleapis.com/google.rpc.Help\n"
            "  retry after: 30s\n");
}

TEST(FormatErrorTest, UnreadableDetails) {
  absl::Status status = absl::InternalError("oops");
  status.SetPayload(kRpcStatusTypeUrl, absl::Cord("\xff\xff"));
  EXPECT_EQ(FormatError(status),
            "error: INTERNAL: oops\n"
            "  (unreadable error details)\n");
}

}  // namespace
}  // namespace clerk::userimage::client
