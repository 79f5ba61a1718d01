#include "server/service/user_image_service.h"

#include <memory>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/app/clerk_delivery.h"
#include "tests/testing/fake_http_client.h"
#include "tests/testing/fake_time.h"
#include "tests/testing/images.h"
#include "tests/testing/loopback_server.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::DeleteProfileImageRequest;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
const std::string kPng = TestPng(100);

HttpResponse UserResponse(bool has_image) {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"content-type", "application/json"}};
  r.body = absl::StrCat(
      R"({"id":")", kUser, R"(","object":"user","has_image":)",
      has_image ? "true" : "false", R"(,"image_url":"https://img.example/1"})");
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
    LoopbackServer loopback = LoopbackServer::Start(service_);
    ASSERT_NE(loopback.server, nullptr);
    server_ = std::move(loopback.server);
    stub_ = UserImageService::NewStub(loopback.channel);
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

  // The stream ended DEADLINE_EXCEEDED with `why` in its message, and
  // nothing reached Clerk.
  void ExpectAbandoned(grpc::ClientWriter<UploadProfileImageRequest>& writer,
                       const std::string& why) {
    grpc::Status status = writer.Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
    EXPECT_NE(status.error_message().find(why), std::string::npos)
        << status.error_message();
    EXPECT_TRUE(http_.requests().empty());
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
  Metrics metrics_;
  ClerkDelivery delivery_{
      {.clerk = {.api_url = "http://clerk.test", .secret_key = "sk_test_1"},
       .gate = {.quota = 100}},
      http_,
      time_,
      time_,
      random_,
      metrics_};
  MemoryBudget memory_{1 << 20};
  CallerAuthorizer authorizer_ =
      *CallerAuthorizer::Create({.allow_unauthenticated = true});
  UserImageServiceImpl service_{{.max_image_bytes = 1000,
                                 .idle_timeout = absl::Seconds(30),
                                 .max_concurrent_uploads = 2},
                                delivery_.client(),
                                memory_,
                                time_,
                                time_,
                                random_,
                                metrics_,
                                authorizer_};
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
  EXPECT_EQ(requests[0].url, absl::StrCat("http://clerk.test/v1/users/", kUser,
                                          "/profile_image"));
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

// Waits (really) until the service has `n` uploads in progress.
void AwaitInFlight(const UserImageServiceImpl& service, int n) {
  for (int i = 0; i < 5000 && service.uploads_in_flight() != n; ++i) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  ASSERT_EQ(service.uploads_in_flight(), n);
}

TEST_F(UserImageServiceTest, IdleStreamTimesOut) {
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  ASSERT_TRUE(writer->Write(Metadata()));
  AwaitInFlight(service_, 1);
  // A timer per read: the first before the metadata, the next after it.
  time_.AwaitScheduled(2);
  time_.Advance(absl::Seconds(29));
  time_.Advance(absl::Seconds(1));
  ExpectAbandoned(*writer, "no image bytes arrived for 30s");
}

TEST_F(UserImageServiceTest, EmptyChunksDoNotKeepAStreamAlive) {
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  ASSERT_TRUE(writer->Write(Metadata()));
  // A timer per read: the first before the metadata, the next after it.
  time_.AwaitScheduled(2);
  for (int i = 0; i < 5; ++i) {
    time_.Advance(absl::Seconds(5));
    ASSERT_TRUE(writer->Write(Chunk("")));
    time_.AwaitScheduled(3 + i);  // The empty chunk was read.
  }
  // 30 s after the metadata, whatever came since.
  time_.Advance(absl::Seconds(5));
  ExpectAbandoned(*writer, "no image bytes arrived for 30s");
}

TEST_F(UserImageServiceTest, AStreamEndsAtMaxUploadDurationAndFreesItsMemory) {
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  ASSERT_TRUE(writer->Write(Metadata()));
  time_.AwaitScheduled(2);  // The metadata was read.
  // Bytes every 20 s keep the idle timer at bay, not the whole-upload one.
  for (int i = 0; i < 6; ++i) {
    time_.Advance(absl::Seconds(20) - absl::Milliseconds(1));
    ASSERT_TRUE(writer->Write(Chunk(kPng.substr(16 * i, 16))));
    time_.AwaitScheduled(3 + i);
  }
  EXPECT_GT(memory_.in_use(), 0u);
  time_.Advance(absl::Milliseconds(6));  // 2 min since the metadata.
  ExpectAbandoned(*writer, "--max_upload_duration");
  AwaitInFlight(service_, 0);
  for (int i = 0; i < 5000 && memory_.in_use() != 0; ++i)
    absl::SleepFor(absl::Milliseconds(2));
  EXPECT_EQ(memory_.in_use(), 0u);
}

TEST_F(UserImageServiceTest, RefusesUploadsBeyondTheConcurrencyLimit) {
  grpc::ClientContext c1, c2, c3;
  User u1, u2, u3;
  auto w1 = stub_->UploadProfileImage(&c1, &u1);
  auto w2 = stub_->UploadProfileImage(&c2, &u2);
  ASSERT_TRUE(w1->Write(Metadata()));
  ASSERT_TRUE(w2->Write(Metadata()));
  AwaitInFlight(service_, 2);
  auto w3 = stub_->UploadProfileImage(&c3, &u3);
  w3->WritesDone();
  grpc::Status third = w3->Finish();
  EXPECT_EQ(third.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  c1.TryCancel();
  c2.TryCancel();
  w1->Finish();
  w2->Finish();
}

TEST_F(UserImageServiceTest, MemoryBudgetIsReleasedAfterEachUpload) {
  http_.Push(UserResponse(true));
  User user;
  ASSERT_TRUE(Upload({Metadata(), Chunk(kPng)}, &user).ok());
  ASSERT_FALSE(Upload({Metadata(), Chunk("not an image")}, &user).ok());
  http_.ClearRequests();  // The fake kept the sent body alive until now.
  // The reactors release their buffers in OnDone, just after answering.
  for (int i = 0; i < 5000 && memory_.in_use() != 0; ++i) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_EQ(memory_.in_use(), 0);
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
