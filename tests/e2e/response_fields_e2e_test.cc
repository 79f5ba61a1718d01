// Least privilege on the returned User, through the real server: a field
// policy per token identity (--response_fields_file), a call's read_mask
// given as grpcurl sends it (JSON "readMask": "id,imageUrl"), an unknown
// path refused before Clerk is asked, and phone numbers' backup codes
// never returned, whoever asks.

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "client/user_image_client.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;
using ::clerk::userimage::v1::DeleteProfileImageRequest;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

// The seed user with emails, private metadata and a phone number with
// backup codes.
constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
constexpr char kUploader[] = "tok_uploader_0123456789";
constexpr char kAdmin[] = "tok_admin_0123456789abc";
constexpr char kOther[] = "tok_other_0123456789abc";

class ResponseFieldsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ofstream(TestTempPath("tokens"))
        << "uploader " << kUploader << "\nadmin " << kAdmin << "\nother "
        << kOther << "\n";
    std::ofstream(TestTempPath("fields"))
        << "uploader id,image_url,has_image\n"
        << "admin    id,image_url,email_addresses,private_metadata,"
           "phone_numbers\n"
        << "*        id\n";
    deployment_ = LocalDeployment::Start(
                      {"--bearer_tokens_file=" + TestTempPath("tokens"),
                       "--response_fields_file=" + TestTempPath("fields")})
                      .value()
                      .release();
    channel_ = new std::shared_ptr<grpc::Channel>(grpc::CreateChannel(
        deployment_->server_address(), grpc::InsecureChannelCredentials()));
  }
  static void TearDownTestSuite() {
    delete channel_;
    delete deployment_;
  }
  void SetUp() override { ASSERT_TRUE(deployment_->Control("reset")); }

  static absl::StatusOr<User> Upload(const std::string& token) {
    UserImageClient client(*channel_, token);
    UploadOptions options;
    options.user_id = kUser;
    options.timeout = absl::Seconds(20);
    return client.UploadProfileImage(options, TestPng(100));
  }

  // A delete whose request is the JSON grpcurl would send.
  static grpc::Status DeleteJson(const std::string& token,
                                 const std::string& json, User& user) {
    DeleteProfileImageRequest request;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(json, &request).ok());
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(20));
    return UserImageService::NewStub(*channel_)->DeleteProfileImage(
        &context, request, &user);
  }

  static LocalDeployment* deployment_;
  static std::shared_ptr<grpc::Channel>* channel_;
};

LocalDeployment* ResponseFieldsTest::deployment_ = nullptr;
std::shared_ptr<grpc::Channel>* ResponseFieldsTest::channel_ = nullptr;

TEST_F(ResponseFieldsTest, EachIdentityGetsWhatItsPolicyAllows) {
  absl::StatusOr<User> user = Upload(kUploader);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->id(), kUser);
  EXPECT_FALSE(user->image_url().empty());
  EXPECT_TRUE(user->has_image());
  EXPECT_EQ(user->email_addresses_size(), 0);
  EXPECT_FALSE(user->has_private_metadata());
  EXPECT_EQ(user->phone_numbers_size(), 0);

  user = Upload(kAdmin);
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->email_addresses_size(), 2);
  EXPECT_TRUE(user->has_private_metadata());
  ASSERT_EQ(user->phone_numbers_size(), 1);
  EXPECT_FALSE(user->phone_numbers(0).phone_number().empty());
  EXPECT_EQ(user->phone_numbers(0).backup_codes_size(), 0);  // Never.

  user = Upload(kOther);  // The "*" line.
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(user->id(), kUser);
  EXPECT_TRUE(user->image_url().empty());
}

TEST_F(ResponseFieldsTest, AReadMaskInGrpcurlJsonNarrowsNeverWidens) {
  User user;
  grpc::Status status =
      DeleteJson(kAdmin,
                 absl::StrCat(R"({"userId": ")", kUser,
                              R"(", "readMask": "id,imageUrl"})"),
                 user);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(user.id(), kUser);
  EXPECT_FALSE(user.image_url().empty());
  EXPECT_EQ(user.email_addresses_size(), 0);  // Allowed, but not asked for.
  // The uploader asks for private metadata it may not see: it gets the
  // overlap only.
  user.Clear();
  status = DeleteJson(kUploader,
                      absl::StrCat(R"({"userId": ")", kUser,
                                   R"(", "readMask": "id,privateMetadata"})"),
                      user);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(user.id(), kUser);
  EXPECT_FALSE(user.has_private_metadata());
}

// An upload's read_mask, in its metadata, as grpcurl would send it.
TEST_F(ResponseFieldsTest, AnUploadsReadMaskNarrowsItsAnswer) {
  UploadProfileImageRequest metadata;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  absl::StrCat(R"({"metadata": {"userId": ")", kUser,
                               R"(", "readMask": "imageUrl"}})"),
                  &metadata)
                  .ok());
  UploadProfileImageRequest chunk;
  chunk.set_chunk(TestPng(100));
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kAdmin));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(20));
  User user;
  auto stream =
      UserImageService::NewStub(*channel_)->UploadProfileImage(&context, &user);
  ASSERT_TRUE(stream->Write(metadata));
  ASSERT_TRUE(stream->Write(chunk));
  stream->WritesDone();
  const grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(user.image_url().empty());
  EXPECT_TRUE(user.id().empty());
  EXPECT_EQ(user.email_addresses_size(), 0);
}

TEST_F(ResponseFieldsTest, AnUnknownPathIsRefusedBeforeClerkIsAsked) {
  User user;
  const grpc::Status status = DeleteJson(
      kAdmin,
      absl::StrCat(R"({"userId": ")", kUser, R"(", "readMask": "id,avatar"})"),
      user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("\"avatar\""), std::string::npos)
      << status.error_message();
  EXPECT_EQ(deployment_->Requests().values_size(), 0);
}

}  // namespace
}  // namespace userimage
