// The gRPC server's per-connection limits, through the real server: a call
// whose metadata is larger than --grpc_max_metadata_bytes is refused before
// it reaches the service, and a connection may not open more calls than
// --grpc_max_concurrent_streams (the next one waits for a free stream).

#include <chrono>
#include <memory>
#include <string>

#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/local_deployment.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::DeleteProfileImageRequest;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";

class GrpcLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto deployment = LocalDeployment::Start(
        {"--grpc_max_metadata_bytes=4096", "--grpc_max_concurrent_streams=1"});
    ASSERT_TRUE(deployment.ok()) << deployment.status();
    deployment_ = *std::move(deployment);
    channel_ = grpc::CreateChannel(deployment_->server_address(),
                                   grpc::InsecureChannelCredentials());
    stub_ = UserImageService::NewStub(channel_);
  }

  grpc::Status Delete(grpc::ClientContext& context) {
    DeleteProfileImageRequest request;
    request.set_user_id(kUser);
    User user;
    return stub_->DeleteProfileImage(&context, request, &user);
  }

  static void Within(grpc::ClientContext& context, int seconds) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(seconds));
  }

  std::unique_ptr<LocalDeployment> deployment_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<UserImageService::Stub> stub_;
};

TEST_F(GrpcLimitsTest, MetadataOverTheLimitIsRefusedBeforeTheService) {
  grpc::ClientContext big;
  Within(big, 10);
  big.AddMetadata("x-padding", std::string(8000, 'p'));
  const grpc::Status refused = Delete(big);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << refused.error_message();
  EXPECT_EQ(deployment_->Requests().values_size(), 0);  // Clerk never asked.
  // gRPC may close the connection that carried the oversized headers: the
  // next call goes on a connection of its own, once it is up.
  grpc::ChannelArguments own_connection;
  own_connection.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  stub_ = UserImageService::NewStub(grpc::CreateCustomChannel(
      deployment_->server_address(), grpc::InsecureChannelCredentials(),
      own_connection));
  grpc::ClientContext small;
  Within(small, 10);
  small.set_wait_for_ready(true);
  small.AddMetadata("x-padding", std::string(100, 'p'));
  const grpc::Status ok = Delete(small);
  EXPECT_TRUE(ok.ok()) << ok.error_message();
}

TEST_F(GrpcLimitsTest, ACallerConnectionOpensOneStreamAtATime) {
  // An upload stream held open takes the connection's only stream.
  grpc::ClientContext upload_context;
  Within(upload_context, 30);
  User uploaded;
  auto upload = stub_->UploadProfileImage(&upload_context, &uploaded);
  UploadProfileImageRequest first;
  first.mutable_metadata()->set_user_id(kUser);
  first.mutable_metadata()->set_filename("a.png");
  first.mutable_metadata()->set_content_type("image/png");
  ASSERT_TRUE(upload->Write(first));
  // A second call on the same connection cannot start meanwhile.
  grpc::ClientContext waiting;
  Within(waiting, 2);
  EXPECT_EQ(Delete(waiting).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  upload_context.TryCancel();
  upload->Finish();
  // The stream is free again.
  grpc::ClientContext after;
  Within(after, 10);
  after.set_wait_for_ready(true);
  const grpc::Status status = Delete(after);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

}  // namespace
}  // namespace userimage
