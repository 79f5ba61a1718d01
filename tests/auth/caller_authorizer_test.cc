#include "server/auth/caller_authorizer.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

constexpr char kTokens[] =
    "# identity token\n"
    "svc-profile  0123456789abcdef0123\n"
    "svc-admin    fedcba9876543210fedc  # trailing comment\n";
constexpr char kAllowlist[] =
    "UploadProfileImage svc-profile\n"
    "* svc-admin\n"
    "DeleteProfileImage spiffe://cluster/ns/admin\n";

const CallerAuthorizer::Options::Service kService = {
    .full_name = "clerk.userimage.v1.UserImageService",
    .methods = {"UploadProfileImage", "DeleteProfileImage"}};

CallerAuthorizer Make(bool allow_unauthenticated = false,
                      std::string allowlist = kAllowlist) {
  return *CallerAuthorizer::Create(
      {.tokens_file_contents = kTokens,
       .allowlist_file_contents = allowlist,
       .service = kService,
       .allow_unauthenticated = allow_unauthenticated});
}

TEST(CallerAuthorizerTest, GoodTokenIsTheCallersIdentity) {
  auto identity = Make().Authorize(
      {.authorization = {"Bearer 0123456789abcdef0123"}}, "UploadProfileImage");
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(*identity, "svc-profile");
}

TEST(CallerAuthorizerTest, BadOrMalformedTokenIsUnauthenticated) {
  CallerAuthorizer a = Make();
  for (const char* value :
       {"Bearer 0123456789abcdef0124", "Bearer ", "Basic 0123456789abcdef0123",
        "0123456789abcdef0123"}) {
    absl::StatusOr<std::string> r =
        a.Authorize({.authorization = {value}}, "UploadProfileImage");
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated) << value;
    EXPECT_FALSE(absl::StrContains(r.status().message(), "0123456789"));
  }
}

TEST(CallerAuthorizerTest, NothingPresentedIsUnauthenticatedUnlessAllowed) {
  EXPECT_EQ(Make().Authorize({}, "UploadProfileImage").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(*Make(true).Authorize({}, "UploadProfileImage"), "");
}

TEST(CallerAuthorizerTest, AllowListIsPerMethod) {
  CallerAuthorizer a = Make();
  auto token = [](const char* t) {
    return CallerCredentials{.authorization = {t}};
  };
  EXPECT_TRUE(
      a.Authorize(token("Bearer 0123456789abcdef0123"), "UploadProfileImage")
          .ok());
  auto denied =
      a.Authorize(token("Bearer 0123456789abcdef0123"), "DeleteProfileImage");
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(denied.status().message(), "svc-profile"));
  EXPECT_TRUE(
      a.Authorize(token("Bearer fedcba9876543210fedc"), "DeleteProfileImage")
          .ok());

  CallerCredentials cert{
      .certificate_identities = {"spiffe://cluster/ns/admin"}};
  EXPECT_TRUE(a.Authorize(cert, "DeleteProfileImage").ok());
  EXPECT_EQ(a.Authorize(cert, "UploadProfileImage").status().code(),
            absl::StatusCode::kPermissionDenied);
  CallerCredentials stranger{.certificate_identities = {"someone-else"}};
  EXPECT_EQ(a.Authorize(stranger, "UploadProfileImage").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CallerAuthorizerTest, WithoutAllowListAnyAuthenticatedCallerMayCall) {
  CallerAuthorizer a = Make(false, "");
  CallerCredentials cert{.certificate_identities = {"anyone"}};
  EXPECT_EQ(*a.Authorize(cert, "DeleteProfileImage"), "anyone");
}

TEST(CallerAuthorizerTest, RejectsBadFiles) {
  EXPECT_FALSE(
      CallerAuthorizer::Create({.tokens_file_contents = "svc short"}).ok());
  EXPECT_FALSE(
      CallerAuthorizer::Create({.tokens_file_contents = "one-field"}).ok());
  EXPECT_FALSE(
      CallerAuthorizer::Create({.allowlist_file_contents = "a b c"}).ok());
}

TEST(CallerAuthorizerTest, MethodsMayBeNamedInFullAsGrpcurlPrintsThem) {
  CallerAuthorizer a = Make(
      false,
      "clerk.userimage.v1.UserImageService/UploadProfileImage svc-profile\n"
      "/clerk.userimage.v1.UserImageService/DeleteProfileImage svc-admin\n");
  const CallerCredentials profile = {
      .authorization = {"Bearer 0123456789abcdef0123"}};
  const CallerCredentials admin = {
      .authorization = {"Bearer fedcba9876543210fedc"}};
  EXPECT_TRUE(a.Authorize(profile, "UploadProfileImage").ok());
  EXPECT_EQ(a.Authorize(profile, "DeleteProfileImage").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(a.Authorize(admin, "DeleteProfileImage").ok());
  EXPECT_EQ(a.Authorize(admin, "UploadProfileImage").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CallerAuthorizerTest, AnAllowListLineThatCannotMatchFailsNamingTheLine) {
  for (const auto& [contents, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"UploadProfileImage svc\nUploadImage svc\n",
            "line 2: \"UploadImage\" is not a method of "
            "clerk.userimage.v1.UserImageService (UploadProfileImage, "
            "DeleteProfileImage"},
           {"other.Service/UploadProfileImage svc\n",
            "line 1: \"other.Service/UploadProfileImage\""},
           {"clerk.userimage.v1.UserImageServiceX/UploadProfileImage svc\n",
            "line 1:"},
           {"# comment\n\nUploadProfileImage\n",
            "line 3: expected \"<method or *> <identity>\""}}) {
    absl::StatusOr<CallerAuthorizer> a = CallerAuthorizer::Create(
        {.allowlist_file_contents = contents, .service = kService});
    ASSERT_FALSE(a.ok()) << contents;
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(a.status().message().find(message), std::string::npos)
        << a.status();
  }
}

}  // namespace
}  // namespace userimage
