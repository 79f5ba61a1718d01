// The example caller policy shipped in deploy/k8s/base/callers parses as the
// server parses it, and grants what docs/security.md says: the uploader
// may only upload and sees only the image fields; the support console may
// call everything and also sees names and emails; anyone else gets the id;
// the uploader has twice the others' share of the quota.

#include <fstream>
#include <sstream>
#include <string>

#include "clerk/userimage/v1/user_image_service.pb.h"
#include "gtest/gtest.h"
#include "server/auth/caller_authorizer.h"
#include "server/ratelimit/caller_weights.h"
#include "server/service/response_fields.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::User;

constexpr char kUploader[] = "spiffe://cluster.local/ns/profile/sa/profile-web";
constexpr char kAdmin[] = "spiffe://cluster.local/ns/support/sa/user-admin";

std::string Shipped(const std::string& name) {
  std::ifstream in(Runfile("deploy/k8s/base/callers/" + name));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

CallerAuthorizer::Options::Service Rpcs() {
  return CallerAuthorizer::Options::Service::Of(
      *clerk::userimage::v1::ImageMetadata::descriptor()
           ->file()
           ->FindServiceByName("UserImageService"));
}

TEST(ShippedCallerPolicyTest, TheAllowListGrantsEachWorkloadItsRpcs) {
  absl::StatusOr<CallerAuthorizer> authorizer = CallerAuthorizer::Create(
      {.allowlist_file_contents = Shipped("allowlist"), .service = Rpcs()});
  ASSERT_TRUE(authorizer.ok()) << authorizer.status();
  auto as = [&](const std::string& identity, const char* method) {
    return authorizer->Authorize({.certificate_identities = {identity}}, method)
        .status()
        .code();
  };
  EXPECT_EQ(as(kUploader, "UploadProfileImage"), absl::StatusCode::kOk);
  EXPECT_EQ(as(kUploader, "DeleteProfileImage"),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(as(kAdmin, "DeleteProfileImage"), absl::StatusCode::kOk);
  EXPECT_EQ(as("spiffe://cluster.local/ns/x/sa/y", "UploadProfileImage"),
            absl::StatusCode::kPermissionDenied);
}

TEST(ShippedCallerPolicyTest, TheFieldPolicyGivesEachWorkloadItsFields) {
  absl::StatusOr<ResponseFields> fields =
      ResponseFields::Parse(Shipped("response-fields"));
  ASSERT_TRUE(fields.ok()) << fields.status();
  User full;
  full.set_id("user_1");
  full.set_image_url("https://img.clerk.com/x");
  full.set_first_name("Ada");
  full.add_email_addresses()->set_email_address("ada@example.com");
  full.add_phone_numbers()->set_phone_number("+15555550100");
  (*full.mutable_private_metadata()->mutable_fields())["k"].set_string_value(
      "v");
  auto answer = [&](const std::string& caller) {
    User user = full;
    ResponseFields::Apply(*fields->For(caller, {}), user);
    return user;
  };
  User user = answer(kUploader);
  EXPECT_EQ(user.image_url(), "https://img.clerk.com/x");
  EXPECT_FALSE(user.has_first_name());
  EXPECT_EQ(user.email_addresses_size(), 0);
  user = answer(kAdmin);
  EXPECT_EQ(user.first_name(), "Ada");
  EXPECT_EQ(user.email_addresses_size(), 1);
  EXPECT_EQ(user.phone_numbers_size(), 0);
  EXPECT_FALSE(user.has_private_metadata());
  user = answer("someone else");
  EXPECT_EQ(user.id(), "user_1");
  EXPECT_TRUE(user.image_url().empty());
}

TEST(ShippedCallerPolicyTest, TheWeightsGiveTheProfileScreenTwiceTheShare) {
  absl::StatusOr<CallerWeights> weights =
      CallerWeights::Parse(Shipped("caller-weights"));
  ASSERT_TRUE(weights.ok()) << weights.status();
  EXPECT_EQ(weights->For(kUploader), 2);
  EXPECT_EQ(weights->For(kAdmin), 1);
  EXPECT_EQ(weights->For(""), 1);
}

}  // namespace
}  // namespace userimage
