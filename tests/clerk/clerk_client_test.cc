#include "server/clerk/clerk_client.h"

#include <optional>

#include "absl/strings/match.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/status/status_details.h"
#include "tests/testing/fake_http_client.h"
#include "tests/testing/fake_time.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::User;

// Clerk-shaped user JSON with nulls, an unknown future field and a
// verification object, as Clerk sends it.
constexpr char kUserJson[] = R"({
  "id": "user_2NNEqL2nrIRdJ194ndJqAHwEfxC", "object": "user",
  "external_id": null, "username": "ada", "first_name": "Ada",
  "last_name": null, "image_url": "https://img.clerk.com/x", "has_image": true,
  "public_metadata": {"plan": "pro", "seats": 3}, "private_metadata": null,
  "unsafe_metadata": {}, "created_at": 1700690400000,
  "updated_at": 1700690500000, "last_sign_in_at": null,
  "email_addresses": [{"id": "idn_1", "object": "email_address",
    "email_address": "ada@example.com", "reserved": false,
    "verification": {"object": "verification_otp", "status": "verified",
      "strategy": "email_code", "attempts": 1, "expire_at": 1700690999000},
    "linked_to": [{"type": "oauth_google", "id": "idn_2"}],
    "created_at": 1700690400000, "updated_at": 1700690400000}],
  "phone_numbers": [], "web3_wallets": [], "passkeys": [],
  "external_accounts": [], "saml_accounts": [], "enterprise_accounts": [],
  "password_enabled": true, "two_factor_enabled": false, "banned": false,
  "locked": false, "lockout_expires_in_seconds": null,
  "a_field_from_the_future": {"x": 1}
})";

HttpResponse Ok(std::string body, std::string type = "application/json") {
  HttpResponse r;
  r.status = 200;
  r.body = std::move(body);
  r.headers = {{"content-type", std::move(type)}};
  return r;
}

AssembledImage Image() {
  AssembledImage image;
  image.user_id = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
  image.filename = "avatar.png";
  image.content_type = "image/png";
  image.bytes = std::make_shared<const std::string>("\x89PNG\r\n\x1A\nrest");
  return image;
}

class ClerkClientTest : public ::testing::Test {
 protected:
  absl::StatusOr<User> Upload(absl::Time deadline = absl::InfiniteFuture()) {
    std::optional<ClerkOutcome> result;
    client_.UploadProfileImage(Image(), deadline,
                               [&](ClerkOutcome o) { result = std::move(o); });
    EXPECT_TRUE(result.has_value());  // The fake answers synchronously.
    last_ = *result;
    return result->user;
  }

  ClerkOutcome last_;

  FakeHttpClient http_;
  FakeTime time_;
  Metrics metrics_;
  ClerkClient client_{{.api_url = "http://127.0.0.1:1234",
                       .secret_key = "sk_test_123",
                       .api_version = "2026-05-12",
                       .request_timeout = absl::Seconds(30)},
                      http_,
                      time_,
                      metrics_};
};

TEST_F(ClerkClientTest, SendsWhatClerksSdkSends) {
  http_.Push(Ok(kUserJson));
  ASSERT_TRUE(Upload().ok());
  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 1);
  const HttpRequest& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url,
            "http://127.0.0.1:1234/v1/users/user_2NNEqL2nrIRdJ194ndJqAHwEfxC/"
            "profile_image");
  EXPECT_EQ(r.timeout, absl::Seconds(30));
  HttpHeaders expected = {{"Authorization", "Bearer sk_test_123"},
                          {"Clerk-API-Version", "2026-05-12"},
                          {"Accept", "application/json"}};
  EXPECT_EQ(r.headers, expected);
  ASSERT_TRUE(r.multipart_file.has_value());
  EXPECT_EQ(r.multipart_file->field_name, "file");
  EXPECT_EQ(r.multipart_file->filename, "avatar.png");
  EXPECT_EQ(r.multipart_file->content_type, "image/png");
  EXPECT_EQ(*r.multipart_file->data, *Image().bytes);
}

TEST_F(ClerkClientTest, ParsesClerkUserJson) {
  http_.Push(Ok(kUserJson));
  absl::StatusOr<User> user = Upload();
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->id(), "user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
  EXPECT_TRUE(user->has_image());
  EXPECT_EQ(user->image_url(), "https://img.clerk.com/x");
  EXPECT_FALSE(user->has_external_id());  // null
  EXPECT_FALSE(user->has_last_name());    // null
  EXPECT_TRUE(user->has_username());
  EXPECT_FALSE(user->has_private_metadata());
  EXPECT_EQ(user->public_metadata().fields().at("plan").string_value(), "pro");
  EXPECT_EQ(user->created_at(), 1700690400000);
  ASSERT_EQ(user->email_addresses_size(), 1);
  EXPECT_EQ(user->email_addresses(0).verification().expire_at(), 1700690999000);
  EXPECT_EQ(user->email_addresses(0).linked_to(0).type(), "oauth_google");
}

TEST_F(ClerkClientTest, HonoursShorterCallerDeadline) {
  http_.Push(Ok(kUserJson));
  ASSERT_TRUE(Upload(time_.Now() + absl::Seconds(2)).ok());
  EXPECT_LE(http_.requests()[0].timeout, absl::Seconds(2));
}

TEST_F(ClerkClientTest, PassedDeadlineSendsNothing) {
  absl::StatusOr<User> user = Upload(time_.Now() - absl::Seconds(1));
  EXPECT_EQ(user.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(ClerkClientTest, MapsClerkErrors) {
  HttpResponse r;
  r.status = 404;
  r.headers = {{"content-type", "application/json"}};
  r.body = R"({"errors":[{"message":"Resource not found","long_message":)"
           R"("Resource not found","code":"resource_not_found"}],)"
           R"("clerk_trace_id":"t404"})";
  http_.Push(r);
  absl::StatusOr<User> user = Upload();
  EXPECT_EQ(user.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(user.status().message(), "resource_not_found"));
  EXPECT_TRUE(absl::StrContains(user.status().message(), "t404"));
  EXPECT_EQ(last_.http_status, 404);
  EXPECT_EQ(last_.trace_id, "t404");
  EXPECT_EQ(last_.attempts, 1);
}

TEST_F(ClerkClientTest, RetryAfterIsParsedIntoTheOutcome) {
  HttpResponse r;
  r.status = 429;
  r.headers = {{"content-type", "application/json"}, {"retry-after", "7"}};
  r.body = R"({"errors":[{"message":"Too many requests","long_message":"x",)"
           R"("code":"too_many_requests"}]})";
  http_.Push(r);
  absl::Status status = Upload().status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  // A typed value for the retry decision; RetryInfo is attached once, to
  // the final status (RetryingClerkClient).
  EXPECT_EQ(last_.failure, ClerkFailure::kAnswered);
  EXPECT_EQ(last_.http_status, 429);
  EXPECT_EQ(last_.retry_after, absl::Seconds(7));
  EXPECT_FALSE(GetDetail<google::rpc::RetryInfo>(status).has_value());
}

// The id goes into the URL path unescaped, so its shape is checked where
// the URL is built, whatever the caller checked before.
TEST_F(ClerkClientTest, AMalformedUserIdIsRefusedBeforeAnythingIsSent) {
  for (const char* id :
       {"", "user_a/../b", "user_a?x=1", "org_1", "user_%2F"}) {
    AssembledImage image = Image();
    image.user_id = id;
    std::optional<ClerkOutcome> upload, remove;
    client_.UploadProfileImage(image, absl::InfiniteFuture(),
                               [&](ClerkOutcome o) { upload = std::move(o); });
    client_.DeleteProfileImage(id, absl::InfiniteFuture(),
                               [&](ClerkOutcome o) { remove = std::move(o); });
    for (const auto* outcome : {&upload, &remove}) {
      ASSERT_TRUE(outcome->has_value()) << id;
      EXPECT_EQ((*outcome)->user.status().code(),
                absl::StatusCode::kInvalidArgument)
          << id;
      EXPECT_EQ((*outcome)->failure, ClerkFailure::kNotSent);
    }
  }
  EXPECT_EQ(http_.requests().size(), 0u);
}

TEST_F(ClerkClientTest, TransportFailureIsUnavailable) {
  http_.Push(absl::UnavailableError("Connection refused"));
  absl::StatusOr<User> user = Upload();
  EXPECT_EQ(user.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(user.status().message(),
            "could not reach Clerk to upload the profile image: Connection "
            "refused");
  auto info = GetDetail<google::rpc::ErrorInfo>(user.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), kClerkUnreachable);
  EXPECT_EQ(last_.failure, ClerkFailure::kUnreachable);
}

TEST_F(ClerkClientTest, AnUnverifiableCertificateIsAConfigurationError) {
  http_.Push(absl::FailedPreconditionError(
      "SSL peer certificate or SSH remote key was not OK"));
  absl::StatusOr<User> user = Upload();
  EXPECT_EQ(user.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(user.status().message().find("could not verify Clerk's TLS"),
            std::string::npos)
      << user.status();
  auto info = GetDetail<google::rpc::ErrorInfo>(user.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), kClerkTlsUnverified);
  EXPECT_EQ(last_.failure, ClerkFailure::kTlsUnverified);
  EXPECT_FALSE(last_.maybe_applied);
}

TEST_F(ClerkClientTest, AnOversizedAnswerIsInternalAndNotRetryable) {
  http_.Push(absl::OutOfRangeError("the response body is larger than 1 MiB"));
  absl::StatusOr<User> user = Upload();
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(user.status().message().find("--clerk_max_response_bytes"),
            std::string::npos)
      << user.status();
  auto info = GetDetail<google::rpc::ErrorInfo>(user.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), kClerkResponseTooLarge);
  ASSERT_EQ(http_.requests().size(), 1u);
  EXPECT_EQ(http_.requests()[0].max_response_bytes, 1u << 20);
}

TEST_F(ClerkClientTest, UnreadableSuccessIsInternal) {
  http_.Push(Ok("<html>hello</html>", "text/html"));
  EXPECT_EQ(Upload().status().code(), absl::StatusCode::kInternal);
  http_.Push(Ok("{\"object\": \"organization\", \"id\": \"org_1\"}"));
  EXPECT_EQ(Upload().status().code(), absl::StatusCode::kInternal);
  http_.Push(Ok("{\"id\": 5"));
  EXPECT_EQ(Upload().status().code(), absl::StatusCode::kInternal);
}

TEST_F(ClerkClientTest, DeleteSendsDelete) {
  http_.Push(Ok(kUserJson));
  std::optional<ClerkOutcome> result;
  client_.DeleteProfileImage("user_1", absl::InfiniteFuture(),
                             [&](ClerkOutcome o) { result = std::move(o); });
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->user.ok());
  EXPECT_EQ(result->http_status, 200);
  std::vector<HttpRequest> requests = http_.requests();
  EXPECT_EQ(requests[0].method, "DELETE");
  EXPECT_EQ(requests[0].url,
            "http://127.0.0.1:1234/v1/users/user_1/profile_image");
  EXPECT_FALSE(requests[0].multipart_file.has_value());
}

}  // namespace
}  // namespace userimage
