#include "server/service/response_fields.h"

#include "google/protobuf/util/field_mask_util.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::User;
using ::google::protobuf::FieldMask;
using ::google::protobuf::util::FieldMaskUtil;

FieldMask Paths(const std::string& paths) {
  FieldMask mask;
  FieldMaskUtil::FromString(paths, &mask);
  return mask;
}

User FullUser() {
  User user;
  user.set_id("user_1");
  user.set_image_url("https://img.clerk.com/x");
  user.set_has_image(true);
  auto* phone = user.add_phone_numbers();
  phone->set_phone_number("+15555550100");
  phone->add_backup_codes("123456");
  auto* email = user.add_email_addresses();
  email->set_email_address("a@example.com");
  (*user.mutable_private_metadata()->mutable_fields())["secret"]
      .set_string_value("s");
  return user;
}

User Answer(const ResponseFields& fields, const std::string& caller,
            const std::string& read_mask) {
  absl::StatusOr<ResponseFields::Mask> mask =
      fields.For(caller, Paths(read_mask));
  EXPECT_TRUE(mask.ok()) << mask.status();
  User user = FullUser();
  ResponseFields::Apply(*mask, user);
  return user;
}

TEST(ResponseFieldsTest, WithoutAPolicyEveryFieldButBackupCodes) {
  const User user = Answer(ResponseFields(), "anyone", "");
  EXPECT_EQ(user.id(), "user_1");
  EXPECT_EQ(user.email_addresses_size(), 1);
  EXPECT_TRUE(user.has_private_metadata());
  ASSERT_EQ(user.phone_numbers_size(), 1);
  EXPECT_EQ(user.phone_numbers(0).phone_number(), "+15555550100");
  EXPECT_EQ(user.phone_numbers(0).backup_codes_size(), 0);  // Never.
}

TEST(ResponseFieldsTest, AReadMaskNarrowsTheAnswer) {
  const User user = Answer(ResponseFields(), "anyone", "id,image_url");
  EXPECT_EQ(user.id(), "user_1");
  EXPECT_EQ(user.image_url(), "https://img.clerk.com/x");
  EXPECT_FALSE(user.has_image());
  EXPECT_EQ(user.email_addresses_size(), 0);
  EXPECT_FALSE(user.has_private_metadata());
}

TEST(ResponseFieldsTest, BackupCodesAreDroppedEvenWhenAskedFor) {
  const User user = Answer(ResponseFields(), "anyone", "phone_numbers");
  ASSERT_EQ(user.phone_numbers_size(), 1);
  EXPECT_EQ(user.phone_numbers(0).phone_number(), "+15555550100");
  EXPECT_EQ(user.phone_numbers(0).backup_codes_size(), 0);
  EXPECT_TRUE(user.id().empty());
}

TEST(ResponseFieldsTest, NestedPathsThroughSingularMessages) {
  const User user =
      Answer(ResponseFields(), "anyone", "private_metadata.fields");
  EXPECT_TRUE(user.has_private_metadata());
  EXPECT_TRUE(user.id().empty());
  // Not through a repeated field (protobuf's FieldMask rules).
  EXPECT_FALSE(
      ResponseFields().For("x", Paths("phone_numbers.phone_number")).ok());
}

TEST(ResponseFieldsTest, APolicyIsTheMostACallerGetsAndReadMaskNeverWidens) {
  absl::StatusOr<ResponseFields> fields = ResponseFields::Parse(
      "# identity fields\n"
      "uploader id, image_url,has_image\n"
      "admin    id,email_addresses,private_metadata,phone_numbers\n"
      "*        id\n");
  ASSERT_TRUE(fields.ok()) << fields.status();
  User user = Answer(*fields, "uploader", "");
  EXPECT_EQ(user.image_url(), "https://img.clerk.com/x");
  EXPECT_EQ(user.email_addresses_size(), 0);
  EXPECT_FALSE(user.has_private_metadata());
  // Asking for more gets only the overlap.
  user = Answer(*fields, "uploader", "image_url,private_metadata");
  EXPECT_EQ(user.image_url(), "https://img.clerk.com/x");
  EXPECT_TRUE(user.id().empty());
  EXPECT_FALSE(user.has_private_metadata());
  // Anyone else: the "*" line.
  user = Answer(*fields, "someone", "");
  EXPECT_EQ(user.id(), "user_1");
  EXPECT_TRUE(user.image_url().empty());
  user = Answer(*fields, "admin", "");
  EXPECT_TRUE(user.has_private_metadata());
  ASSERT_EQ(user.phone_numbers_size(), 1);
  EXPECT_EQ(user.phone_numbers(0).backup_codes_size(), 0);
}

TEST(ResponseFieldsTest, NoLineAndNoStarMeansAnEmptyUser) {
  absl::StatusOr<ResponseFields> fields =
      ResponseFields::Parse("uploader id\n");
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(Answer(*fields, "stranger", "").ByteSizeLong(), 0u);
  // Nothing of what was asked is allowed: empty too, not everything.
  EXPECT_EQ(Answer(*fields, "uploader", "image_url").ByteSizeLong(), 0u);
}

TEST(ResponseFieldsTest, AnUnknownPathIsInvalidAndNamed) {
  absl::StatusOr<ResponseFields::Mask> mask =
      ResponseFields().For("x", Paths("id,imageUrl"));
  EXPECT_EQ(mask.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(mask.status().message().find("\"imageUrl\""), std::string::npos)
      << mask.status();
  for (const auto& [contents, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"uploader id,nope\n", "line 1: \"nope\" is not a field path"},
           {"uploader\n", "line 1: expected"},
           {"a id\na image_url\n", "line 2: a already has a line"}}) {
    absl::StatusOr<ResponseFields> fields = ResponseFields::Parse(contents);
    ASSERT_FALSE(fields.ok()) << contents;
    EXPECT_NE(fields.status().message().find(message), std::string::npos)
        << fields.status();
  }
}

}  // namespace
}  // namespace userimage
