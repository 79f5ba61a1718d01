// End to end: the Clerk emulator and the server run as separate processes
// on ports chosen by the OS; uploads go through the C++ client library, raw
// gRPC streams and `buf curl` (server reflection, gRPC protocol). The
// emulator's request log shows what reached "Clerk".

#include <memory>
#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "client/sha256.h"
#include "client/user_image_client.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::Sha256Hex;
using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
constexpr char kOtherUser[] = "user_2Q4bB3vJc5tKx8ZsLmPqRtW9yUe";

std::string MakeImage(size_t size, unsigned seed) {
  return TestPng(size, seed);
}

// The SHA-256 of the file part of a request in the emulator's log.
std::string StoredSha256(const google::protobuf::Value& request) {
  return request.struct_value()
      .fields()
      .at("file")
      .struct_value()
      .fields()
      .at("sha256")
      .string_value();
}

class UploadEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    deployment_ = LocalDeployment::Start()->release();
  }
  static void TearDownTestSuite() { delete deployment_; }

  void SetUp() override {
    ASSERT_TRUE(deployment_->Control("reset"));
    channel_ = grpc::CreateChannel(deployment_->server_address(),
                                   grpc::InsecureChannelCredentials());
    client_ = std::make_unique<UserImageClient>(channel_);
    stub_ = UserImageService::NewStub(channel_);
  }

  static httplib::Client Emulator() { return deployment_->Emulator(); }
  static google::protobuf::ListValue Requests() {
    return deployment_->Requests();
  }
  static User GetUser(const std::string& id) {
    absl::StatusOr<User> user = deployment_->GetUser(id);
    EXPECT_TRUE(user.ok()) << user.status();
    return user.value_or(User());
  }

  static std::string ImagePath(const std::string& image_url) {
    return image_url.substr(image_url.find("/images/"));
  }

  // Sends `messages` on a raw stream, then half-closes.
  grpc::Status RawUpload(
      const std::vector<UploadProfileImageRequest>& messages) {
    grpc::ClientContext context;
    User user;
    auto writer = stub_->UploadProfileImage(&context, &user);
    for (const auto& m : messages) {
      if (!writer->Write(m)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  static LocalDeployment* deployment_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<UserImageClient> client_;
  std::unique_ptr<UserImageService::Stub> stub_;
};

LocalDeployment* UploadEndToEndTest::deployment_ = nullptr;

TEST_F(UploadEndToEndTest, CppClientUploadReachesClerkByteForByte) {
  const User before = GetUser(kUser);
  const std::string image = MakeImage(300'000, 1);
  UploadOptions options;
  options.user_id = kUser;
  options.filename = "me.png";
  options.chunk_size = 64 * 1024;
  absl::StatusOr<User> after = client_->UploadProfileImage(options, image);
  ASSERT_TRUE(after.ok()) << after.status();

  // The new image, and every seeded field intact.
  EXPECT_TRUE(after->has_image());
  EXPECT_NE(after->image_url(), before.image_url());
  EXPECT_GE(after->updated_at(), before.updated_at());
  User unchanged = *after;
  unchanged.set_image_url(before.image_url());
  unchanged.set_profile_image_url(before.profile_image_url());
  unchanged.set_has_image(before.has_image());
  unchanged.set_updated_at(before.updated_at());
  for (int i = 0; i < unchanged.organization_memberships_size(); ++i) {
    // The user's own entry in each membership shows the new image too.
    *unchanged.mutable_organization_memberships(i)->mutable_public_user_data() =
        before.organization_memberships(i).public_user_data();
  }
  // Phone numbers' backup codes never leave the service.
  User expected = before;
  for (auto& phone : *expected.mutable_phone_numbers()) {
    ASSERT_GT(phone.backup_codes_size(), 0);  // Clerk has them.
    phone.clear_backup_codes();
  }
  std::string diff;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(expected, unchanged)) << diff;
  EXPECT_GT(after->email_addresses_size(), 0);
  EXPECT_GT(after->organization_memberships_size(), 0);
  EXPECT_TRUE(after->has_scim());

  // Clerk stored exactly the bytes sent.
  auto stored = Emulator().Get(ImagePath(after->image_url()).c_str());
  ASSERT_EQ(stored->status, 200);
  EXPECT_EQ(stored->body, image);

  // ...and received the request Clerk's SDK sends (after the test's own GET).
  google::protobuf::ListValue requests = Requests();
  ASSERT_EQ(requests.values_size(), 2);
  const auto& r = requests.values(1).struct_value().fields();
  EXPECT_EQ(r.at("method").string_value(), "POST");
  EXPECT_EQ(r.at("path").string_value(),
            absl::StrCat("/v1/users/", kUser, "/profile_image"));
  EXPECT_TRUE(r.at("authorization_ok").bool_value());
  EXPECT_FALSE(r.at("chunked").bool_value());
  EXPECT_FALSE(r.at("content_length").string_value().empty());
  const auto& headers = r.at("headers").struct_value().fields();
  EXPECT_EQ(headers.at("clerk-api-version").string_value(), "2026-05-12");
  EXPECT_TRUE(absl::StartsWith(headers.at("user-agent").string_value(),
                               "clerk-user-image-service/"));
  EXPECT_TRUE(absl::StartsWith(headers.at("content-type").string_value(),
                               "multipart/form-data; boundary="));
  EXPECT_EQ(headers.count("expect"), 0);
  const auto& file = r.at("file").struct_value().fields();
  EXPECT_EQ(file.at("filename").string_value(), "me.png");
  EXPECT_EQ(file.at("content_type").string_value(), "image/png");
  EXPECT_EQ(file.at("size").number_value(), image.size());
  EXPECT_EQ(file.at("sha256").string_value(), Sha256Hex(image));
}

TEST_F(UploadEndToEndTest, BufCurlUploadThroughReflection) {
  const std::string image = MakeImage(20'000, 2);
  // Two chunks, as JSON messages on stdin.
  const std::string input = absl::StrCat(
      R"({"metadata":{"user_id":")", kOtherUser, R"(","filename":"buf.png"}})",
      R"({"chunk":")", absl::Base64Escape(image.substr(0, 12'345)), R"("})",
      R"({"chunk":")", absl::Base64Escape(image.substr(12'345)), R"("})");
  absl::StatusOr<std::string> output = RunCommand(
      absl::StrCat("HOME=", TestTempPath(""),
                   " buf curl --protocol grpc --http2-prior-knowledge -d @- "
                   "http://127.0.0.1:",
                   deployment_->server_port(),
                   "/clerk.userimage.v1.UserImageService/UploadProfileImage"),
      input, TestTempPath("buf.log"));
  ASSERT_TRUE(output.ok()) << output.status();
  User user;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*output, &user).ok())
      << *output;
  EXPECT_EQ(user.id(), kOtherUser);
  EXPECT_TRUE(user.has_image());
  auto stored = Emulator().Get(ImagePath(user.image_url()).c_str());
  EXPECT_EQ(stored->body, image);
  google::protobuf::ListValue requests = Requests();
  ASSERT_EQ(requests.values_size(), 1);
  EXPECT_EQ(StoredSha256(requests.values(0)), Sha256Hex(image));
}

UploadProfileImageRequest Metadata(const std::string& user_id) {
  UploadProfileImageRequest r;
  r.mutable_metadata()->set_user_id(user_id);
  return r;
}

UploadProfileImageRequest Chunk(std::string bytes) {
  UploadProfileImageRequest r;
  r.set_chunk(std::move(bytes));
  return r;
}

TEST_F(UploadEndToEndTest, BadInputNeverReachesClerk) {
  const std::string image = MakeImage(1000, 3);
  EXPECT_EQ(RawUpload({Chunk(image)}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // no metadata first
  EXPECT_EQ(RawUpload({Metadata(kUser)}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // empty image
  EXPECT_EQ(RawUpload({Metadata(""), Chunk(image)}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // missing user id
  EXPECT_EQ(RawUpload({Metadata("user_../../x"), Chunk(image)}).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // not a user id
  EXPECT_EQ(
      RawUpload({Metadata(kUser), Chunk("hello, not an image")}).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  // Over the 10 MB default limit: refused while streaming.
  UploadOptions options;
  options.user_id = kUser;
  options.send_digest = false;
  absl::StatusOr<User> big =
      client_->UploadProfileImage(options, MakeImage(10'000'001, 4));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(
      absl::StrContains(big.status().message(), "limit is 10000000 bytes"))
      << big.status();

  EXPECT_EQ(Requests().values_size(), 0);
}

TEST_F(UploadEndToEndTest, UnknownUserIsNotFoundFromClerk) {
  UploadOptions options;
  options.user_id = "user_doesnotexist000000000000";
  absl::StatusOr<User> user =
      client_->UploadProfileImage(options, MakeImage(500, 5));
  EXPECT_EQ(user.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(user.status().message(), "resource_not_found"))
      << user.status();
  EXPECT_TRUE(absl::StrContains(user.status().message(), "clerk_trace_id="));
  EXPECT_EQ(Requests().values_size(), 1);
}

TEST_F(UploadEndToEndTest, CancelledStreamSendsNothing) {
  {
    grpc::ClientContext context;
    User user;
    auto writer = stub_->UploadProfileImage(&context, &user);
    ASSERT_TRUE(writer->Write(Metadata(kUser)));
    ASSERT_TRUE(writer->Write(Chunk(MakeImage(5000, 6))));
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // A complete upload afterwards is the only one Clerk sees.
  const std::string image = MakeImage(700, 7);
  UploadOptions options;
  options.user_id = kUser;
  ASSERT_TRUE(client_->UploadProfileImage(options, image).ok());
  google::protobuf::ListValue requests = Requests();
  ASSERT_EQ(requests.values_size(), 1);
  EXPECT_EQ(StoredSha256(requests.values(0)), Sha256Hex(image));
}

TEST_F(UploadEndToEndTest, DeleteClearsTheImage) {
  UploadOptions options;
  options.user_id = kUser;
  ASSERT_TRUE(client_->UploadProfileImage(options, MakeImage(900, 8)).ok());
  absl::StatusOr<User> user =
      client_->DeleteProfileImage(kUser, absl::Seconds(30));
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_FALSE(user->has_image());
  EXPECT_FALSE(GetUser(kUser).has_image());
}

}  // namespace
}  // namespace userimage
