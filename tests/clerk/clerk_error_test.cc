#include "server/clerk/clerk_error.h"

#include "absl/strings/match.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/status/status_details.h"

namespace userimage {
namespace {

HttpResponse Response(int status, std::string body, HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.headers.emplace_back("content-type", "application/json");
  return r;
}

TEST(StatusCodeForHttpStatusTest, FollowsTheDocumentedTable) {
  EXPECT_EQ(StatusCodeForHttpStatus(400), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForHttpStatus(413), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForHttpStatus(415), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForHttpStatus(422), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForHttpStatus(404), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeForHttpStatus(401), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForHttpStatus(403), absl::StatusCode::kInternal);
  EXPECT_EQ(StatusCodeForHttpStatus(402),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForHttpStatus(409),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForHttpStatus(423),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(StatusCodeForHttpStatus(408), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(StatusCodeForHttpStatus(429), absl::StatusCode::kResourceExhausted);
  for (int s : {500, 502, 503, 504, 599}) {
    EXPECT_EQ(StatusCodeForHttpStatus(s), absl::StatusCode::kUnavailable) << s;
  }
  EXPECT_EQ(StatusCodeForHttpStatus(302), absl::StatusCode::kUnknown);
}

TEST(ClerkErrorToStatusTest, CarriesClerkCodeLongMessageAndTraceId) {
  // The 429 body captured from Clerk's SDK test run.
  absl::Status s = ClerkErrorToStatus(
      Response(429,
               R"({"errors":[{"message":"Too many requests","long_message":)"
               R"("Too many requests, please retry later.","code":)"
               R"("too_many_requests"}],"clerk_trace_id":"abc"})"),
      "upload the profile image");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "Clerk refused to upload the profile image (HTTP 429 "
            "too_many_requests): Too many requests, please retry later. "
            "[clerk_trace_id=abc]");
  auto info = GetDetail<google::rpc::ErrorInfo>(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "too_many_requests");
  EXPECT_EQ(info->domain(), "api.clerk.com");
  EXPECT_EQ(info->metadata().at("clerk_trace_id"), "abc");
  EXPECT_EQ(info->metadata().at("http_status"), "429");
}

TEST(ClerkErrorToStatusTest, KeepsParamNameAndIgnoresUnknownFields) {
  absl::Status s = ClerkErrorToStatus(
      Response(422,
               R"({"errors":[{"message":"m","long_message":"bad file","code":)"
               R"("form_param_format_invalid","meta":{"param_name":"file"},)"
               R"("future":1}],"meta":{},"clerk_trace_id":"t1","new":true})"),
      "upload the profile image");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  auto info = GetDetail<google::rpc::ErrorInfo>(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata().at("param_name"), "file");
}

TEST(ClerkErrorToStatusTest, RejectedKeyIsOurMisconfiguration) {
  absl::Status s = ClerkErrorToStatus(
      Response(
          401,
          R"({"errors":[{"message":"Invalid authentication","long_message":)"
          R"("The provided Clerk Secret Key is invalid.","code":)"
          R"("authentication_invalid"}],"clerk_trace_id":"trace_401"})"),
      "upload the profile image");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(
      absl::StrContains(s.message(), "this service's Clerk secret key"));
  EXPECT_TRUE(absl::StrContains(s.message(), "authentication_invalid"));
}

TEST(ClerkErrorToStatusTest, TextBodyUsesHeaderTraceId) {
  HttpResponse r;
  r.status = 500;
  r.body = "upstream connect error";
  r.headers = {{"content-type", "text/plain"}, {"cf-ray", "8f00-FRA"}};
  absl::Status s = ClerkErrorToStatus(r, "delete the profile image");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "Clerk refused to delete the profile image (HTTP 500, no Clerk "
            "error body) [clerk_trace_id=8f00-FRA]");
  auto info = GetDetail<google::rpc::ErrorInfo>(s);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "HTTP_500");
}

}  // namespace
}  // namespace userimage
