#include "server/service/user_image_service.h"

#include <memory>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_http_client.h"
#include "tests/testing/fake_time.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::DeleteProfileImageRequest;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
const std::string kPng = std::string("\x89PNG\r\n\x1A\n", 8) + std::string(92, 'p');

HttpResponse UserResponse(bool has_image) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"content-type", "application/json"}};
  r.body = absl::StrCat(R"({"id":")", kUser, R"(","object":"user","has_image":)",
                        has_image ? "true" : "false",
                        R"(,"image_url":"https://img.example/1"})");
  return r;
}

UploadProfileImageRequest Metadata(std::string user_id = kUser) {
  UploadProfileImageRequest r;
  r.mutable_metadata()->set_user_id(std::move(user_id));
  r.mutable_metadata()->set_filename("avatar.png");
  return r;
}

UploadProfileImageRequest Chunk(std::string bytes) {
  UploadProfileImageRequest r;
  r.set_chunk(std::move(bytes));
  return r;
}

// The service on a loopback port, in front of a ClerkClient whose HTTP is
// faked.
class UserImageServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = UserImageService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  // Streams `messages`, then half-closes; returns the call's status.
  grpc::Status Upload(const std::vector<UploadProfileImageRequest>& messages,
                      User* user) {
    grpc::ClientContext context;
    auto writer = stub_->UploadProfileImage(&context, user);
    for (const auto& m : messages) {
      if (!writer->Write(m)) break;  // The server finished early.
    }
    writer->WritesDone();
    return writer->Finish();
  }

  static std::string ReasonOf(const grpc::Status& status) {
    google::rpc::Status rpc;
    if (!rpc.ParseFromString(status.error_details())) return "";
    for (const auto& any : rpc.details()) {
      google::rpc::ErrorInfo info;
      if (any.UnpackTo(&info)) return info.reason();
    }
    return "";
  }

  FakeHttpClient http_;
  FakeTime time_;
  FakeRandom random_{{0.5}};
  ClerkClient clerk_{{.api_url = "http://clerk.test", .secret_key = "sk_test_1"},
                     http_, time_};
  RateGate gate_{{.quota = 100}, time_, time_};
  RetryBudget budget_{10, 0.1};
  RetryingClerkClient retrying_{{}, clerk_, gate_, budget_, time_, time_, random_};
  UserImageServiceImpl service_{{.max_image_bytes = 1000}, retrying_};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<UserImageService::Stub> stub_;
};

TEST_F(UserImageServiceTest, UploadsAssembledImageAndReturnsUser) {
  http_.Push(UserResponse(true));
  User user;
  grpc::Status status = Upload(
      {Metadata(), Chunk(kPng.substr(0, 40)), Chunk(kPng.substr(40))}, &user);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(user.id(), kUser);
  EXPECT_TRUE(user.has_image());
  std::vector<HttpRequest> requests = http_.requests();
  ASSERT_EQ(requests.size(), 1);
  EXPECT_EQ(requests[0].url,
            absl::StrCat("http://clerk.test/v1/users/", kUser, "/profile_image"));
  EXPECT_EQ(*requests[0].multipart_file->data, kPng);
  EXPECT_EQ(requests[0].multipart_file->content_type, "image/png");
}

TEST_F(UserImageServiceTest, BadStreamsNeverReachClerk) {
  User user;
  grpc::Status status = Upload({Chunk(kPng)}, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "METADATA_NOT_FIRST");

  status = Upload({Metadata()}, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "EMPTY_IMAGE");

  status = Upload({Metadata(""), Chunk(kPng)}, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "MISSING_USER_ID");

  status = Upload({}, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "MISSING_METADATA");

  std::vector<UploadProfileImageRequest> big = {Metadata()};
  for (int i = 0; i < 20; ++i) big.push_back(Chunk(kPng));  // 2000 > 1000
  status = Upload(big, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "IMAGE_TOO_LARGE");

  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(UserImageServiceTest, CancelledStreamNeverReachesClerk) {
  User user;
  {
    grpc::ClientContext context;
    auto writer = stub_->UploadProfileImage(&context, &user);
    ASSERT_TRUE(writer->Write(Metadata()));
    ASSERT_TRUE(writer->Write(Chunk(kPng.substr(0, 50))));
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  server_->Shutdown();  // Waits for the call's reactor to finish.
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(UserImageServiceTest, ClerkErrorsReachTheCaller) {
  HttpResponse not_found;
  not_found.status = 404;
  not_found.headers = {{"content-type", "application/json"}};
  not_found.body =
      R"({"errors":[{"message":"Resource not found","long_message":)"
      R"("Resource not found","code":"resource_not_found"}],"clerk_trace_id":"t"})";
  http_.Push(not_found);
  User user;
  grpc::Status status = Upload({Metadata(), Chunk(kPng)}, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(status), "resource_not_found");
}

TEST_F(UserImageServiceTest, DeletesImage) {
  http_.Push(UserResponse(false));
  grpc::ClientContext context;
  DeleteProfileImageRequest request;
  request.set_user_id(kUser);
  User user;
  grpc::Status status = stub_->DeleteProfileImage(&context, request, &user);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(user.has_image());
  EXPECT_EQ(http_.requests().at(0).method, "DELETE");
}

TEST_F(UserImageServiceTest, DeleteRejectsBadUserId) {
  grpc::ClientContext context;
  DeleteProfileImageRequest request;
  request.set_user_id("../admin");
  User user;
  grpc::Status status = stub_->DeleteProfileImage(&context, request, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(status), "INVALID_USER_ID");
  EXPECT_TRUE(http_.requests().empty());
}

}  // namespace
}  // namespace userimage
