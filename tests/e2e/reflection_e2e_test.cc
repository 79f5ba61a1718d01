// Server reflection in both versions, through the real server: grpc.v1 (for
// tools that speak only v1) and v1alpha (gRPC 1.51's own). For each, `buf
// curl` lists the services, lists the methods (which downloads each
// service's descriptors) and calls an RPC with the schema it downloaded;
// and a reflection request made here describes the service.

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::grpc::reflection::v1::ServerReflectionRequest;
using ::grpc::reflection::v1::ServerReflectionResponse;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";

class ReflectionTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    deployment_ = LocalDeployment::Start().value().release();
  }
  static void TearDownTestSuite() { delete deployment_; }

  // `buf curl` with reflection protocol GetParam() ("grpc-v1" or
  // "grpc-v1alpha") and `args`.
  absl::StatusOr<std::string> BufCurl(const std::string& args) {
    return RunCommand(
        absl::StrCat("HOME=", TestTempPath(""),
                     " buf curl --protocol grpc --http2-prior-knowledge "
                     "--reflect-protocol ",
                     GetParam(), " ", args),
        "", TestTempPath("buf.log"));
  }
  std::string Base() const {
    return absl::StrCat("http://127.0.0.1:", deployment_->server_port());
  }
  // The reflection method of version GetParam().
  std::string Method() const {
    return GetParam() == "grpc-v1"
               ? "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
               : "/grpc.reflection.v1alpha.ServerReflection/"
                 "ServerReflectionInfo";
  }

  static LocalDeployment* deployment_;
};

LocalDeployment* ReflectionTest::deployment_ = nullptr;

TEST_P(ReflectionTest, ListsTheServices) {
  absl::StatusOr<std::string> out = BufCurl("--list-services " + Base());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(absl::StrContains(*out, "clerk.userimage.v1.UserImageService"))
      << *out;
  EXPECT_TRUE(absl::StrContains(*out, "grpc.health.v1.Health")) << *out;
  EXPECT_TRUE(absl::StrContains(*out, "grpc.reflection.v1.ServerReflection"))
      << *out;
  EXPECT_TRUE(
      absl::StrContains(*out, "grpc.reflection.v1alpha.ServerReflection"))
      << *out;
}

TEST_P(ReflectionTest, ListsTheMethodsFromTheDownloadedSchema) {
  absl::StatusOr<std::string> out = BufCurl("--list-methods " + Base());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(absl::StrContains(
      *out, "clerk.userimage.v1.UserImageService/UploadProfileImage"))
      << *out;
  EXPECT_TRUE(absl::StrContains(
      *out, "clerk.userimage.v1.UserImageService/DeleteProfileImage"))
      << *out;
}

TEST_P(ReflectionTest, CallsAnRpcWithTheDownloadedSchema) {
  absl::StatusOr<std::string> out = BufCurl(absl::StrCat(
      "-d '{\"userId\":\"", kUser, "\",\"readMask\":\"id,hasImage\"}' ", Base(),
      "/clerk.userimage.v1.UserImageService/DeleteProfileImage"));
  ASSERT_TRUE(out.ok()) << out.status();
  clerk::userimage::v1::User user;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*out, &user).ok())
      << *out;
  EXPECT_EQ(user.id(), kUser);
  EXPECT_FALSE(user.has_first_name());  // The read mask held.
}

TEST_P(ReflectionTest, DescribesTheService) {
  // The two versions' messages are the same on the wire: a v1 request,
  // sent to either method, gets an answer v1 reads.
  grpc::GenericStub stub(grpc::CreateChannel(
      deployment_->server_address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(30));
  grpc::CompletionQueue cq;
  auto call = stub.PrepareCall(&context, Method(), &cq);
  void* tag;
  bool ok;
  call->StartCall(nullptr);
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  ServerReflectionRequest request;
  request.set_file_containing_symbol("clerk.userimage.v1.UserImageService");
  grpc::Slice slice(request.SerializeAsString());
  call->Write(grpc::ByteBuffer(&slice, 1), nullptr);
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer answer;
  call->Read(&answer, nullptr);
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  call->WritesDone(nullptr);
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::Status status;
  call->Finish(&status, nullptr);
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_TRUE(status.ok()) << status.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }

  grpc::Slice bytes;
  ASSERT_TRUE(answer.DumpToSingleSlice(&bytes).ok());
  ServerReflectionResponse response;
  ASSERT_TRUE(response.ParseFromArray(bytes.begin(), bytes.size()));
  ASSERT_GT(response.file_descriptor_response().file_descriptor_proto_size(), 0)
      << response.DebugString();
  bool described = false;
  for (const std::string& file :
       response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto proto;
    ASSERT_TRUE(proto.ParseFromString(file));
    for (const auto& service : proto.service()) {
      if (service.name() != "UserImageService") continue;
      described = true;
      ASSERT_EQ(service.method_size(), 2);
      EXPECT_EQ(service.method(0).name(), "UploadProfileImage");
      EXPECT_TRUE(service.method(0).client_streaming());
      EXPECT_EQ(service.method(1).name(), "DeleteProfileImage");
    }
  }
  EXPECT_TRUE(described);
}

INSTANTIATE_TEST_SUITE_P(BothVersions, ReflectionTest,
                         ::testing::Values("grpc-v1", "grpc-v1alpha"),
                         [](const auto& info) {
                           return info.param == "grpc-v1" ? "V1" : "V1alpha";
                         });

}  // namespace
}  // namespace userimage
