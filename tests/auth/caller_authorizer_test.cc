#include "server/auth/caller_authorizer.h"

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

CallerAuthorizer Make(bool allow_unauthenticated = false,
                      std::string allowlist = kAllowlist) {
  return *CallerAuthorizer::Create(
      {.tokens_file_contents = kTokens,
       .allowlist_file_contents = allowlist,
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

}  // namespace
}  // namespace userimage
