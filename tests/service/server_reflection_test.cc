#include "server/service/server_reflection.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clerk/userimage/v1/user_image_service.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

namespace v1 = ::grpc::reflection::v1;
namespace v1alpha = ::grpc::reflection::v1alpha;
using ::testing::ElementsAre;

const std::vector<std::string>& ServiceNames() {
  static const auto* names = new std::vector<std::string>{
      "clerk.userimage.v1.UserImageService", "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection"};
  return *names;
}

// Both services on one loopback server, and a stream of each version.
class ServerReflectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Links the service's descriptors into the generated pool.
    ASSERT_NE(clerk::userimage::v1::UploadProfileImageRequest::descriptor(),
              nullptr);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&v1_service_);
    builder.RegisterService(&v1alpha_service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override { server_->Shutdown(); }

  // Sends each request on one v1 stream; the answers, in order.
  std::vector<v1::ServerReflectionResponse> AskV1(
      const std::vector<v1::ServerReflectionRequest>& requests) {
    auto stub = v1::ServerReflection::NewStub(channel_);
    grpc::ClientContext context;
    auto stream = stub->ServerReflectionInfo(&context);
    std::vector<v1::ServerReflectionResponse> answers;
    for (const auto& request : requests) {
      EXPECT_TRUE(stream->Write(request));
      v1::ServerReflectionResponse answer;
      EXPECT_TRUE(stream->Read(&answer));
      answers.push_back(answer);
    }
    stream->WritesDone();
    const grpc::Status status = stream->Finish();
    EXPECT_TRUE(status.ok()) << status.error_message();
    return answers;
  }

  v1::ServerReflectionResponse AskV1(const v1::ServerReflectionRequest& r) {
    return AskV1(std::vector<v1::ServerReflectionRequest>{r}).at(0);
  }

  ReflectionIndex index_{google::protobuf::DescriptorPool::generated_pool(),
                         ServiceNames()};
  ReflectionV1Service v1_service_{index_};
  ReflectionV1alphaService v1alpha_service_{index_};
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ServerReflectionTest, ListsTheServicesItWasGiven) {
  v1::ServerReflectionRequest request;
  request.set_list_services("");
  request.set_host("localhost:1");
  const auto answer = AskV1(request);
  std::vector<std::string> names;
  for (const auto& service : answer.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_EQ(names, ServiceNames());
  // The request is echoed, as gRPC's reflection does.
  EXPECT_EQ(answer.valid_host(), "localhost:1");
  EXPECT_EQ(answer.original_request().SerializeAsString(),
            request.SerializeAsString());
}

TEST_F(ServerReflectionTest, AFileComesWithEveryFileItImportsOnce) {
  v1::ServerReflectionRequest request;
  request.set_file_containing_symbol("clerk.userimage.v1.UserImageService");
  const auto answer = AskV1(request);
  const auto& files = answer.file_descriptor_response().file_descriptor_proto();
  ASSERT_GT(files.size(), 1);
  // The files build into a pool of their own, imports first: nothing is
  // missing, and none is sent twice.
  std::vector<google::protobuf::FileDescriptorProto> protos(files.size());
  for (int i = 0; i < files.size(); ++i) {
    ASSERT_TRUE(protos[i].ParseFromString(files[i]));
  }
  EXPECT_EQ(protos[0].name(), "clerk/userimage/v1/user_image_service.proto");
  google::protobuf::DescriptorPool pool;
  for (auto it = protos.rbegin(); it != protos.rend(); ++it) {
    // Imports come after their importers: built in reverse order, each
    // file's imports are already in the pool.
    ASSERT_NE(pool.BuildFile(*it), nullptr) << it->name();
  }
  const auto* service =
      pool.FindServiceByName("clerk.userimage.v1.UserImageService");
  ASSERT_NE(service, nullptr);
  EXPECT_NE(service->FindMethodByName("UploadProfileImage"), nullptr);
  EXPECT_NE(pool.FindMessageTypeByName("clerk.userimage.v1.User"), nullptr);
}

TEST_F(ServerReflectionTest, FindsAFileByNameAndByANestedSymbol) {
  v1::ServerReflectionRequest by_name;
  by_name.set_file_by_filename("clerk/userimage/v1/user.proto");
  v1::ServerReflectionRequest by_field;
  by_field.set_file_containing_symbol("clerk.userimage.v1.User.first_name");
  for (const auto& answer : AskV1({by_name, by_field})) {
    ASSERT_GT(answer.file_descriptor_response().file_descriptor_proto_size(), 0)
        << answer.DebugString();
    google::protobuf::FileDescriptorProto first;
    ASSERT_TRUE(first.ParseFromString(
        answer.file_descriptor_response().file_descriptor_proto(0)));
    EXPECT_EQ(first.name(), "clerk/userimage/v1/user.proto");
  }
}

TEST_F(ServerReflectionTest, WhatItCannotAnswerIsAnErrorResponseNotAnEnd) {
  v1::ServerReflectionRequest no_file;
  no_file.set_file_by_filename("no/such.proto");
  v1::ServerReflectionRequest no_symbol;
  no_symbol.set_file_containing_symbol("no.such.Symbol");
  v1::ServerReflectionRequest no_type;
  no_type.mutable_file_containing_extension()->set_containing_type("no.Type");
  v1::ServerReflectionRequest no_extension;
  no_extension.mutable_file_containing_extension()->set_containing_type(
      "google.protobuf.FieldOptions");
  no_extension.mutable_file_containing_extension()->set_extension_number(
      987654);
  v1::ServerReflectionRequest no_type_numbers;
  no_type_numbers.set_all_extension_numbers_of_type("no.Type");
  v1::ServerReflectionRequest nothing;  // no request set
  v1::ServerReflectionRequest list;
  list.set_list_services("");
  const auto answers = AskV1({no_file, no_symbol, no_type, no_extension,
                              no_type_numbers, nothing, list});
  const std::vector<std::pair<int, std::string>> expected = {
      {grpc::StatusCode::NOT_FOUND, "File not found."},
      {grpc::StatusCode::NOT_FOUND, "Symbol not found."},
      {grpc::StatusCode::NOT_FOUND, "Type not found."},
      {grpc::StatusCode::NOT_FOUND, "Extension not found."},
      {grpc::StatusCode::NOT_FOUND, "Type not found."},
      {grpc::StatusCode::UNIMPLEMENTED, "The request is not supported."}};
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_TRUE(answers[i].has_error_response()) << i;
    EXPECT_EQ(answers[i].error_response().error_code(), expected[i].first) << i;
    EXPECT_EQ(answers[i].error_response().error_message(), expected[i].second)
        << i;
  }
  // The stream went on answering after them.
  EXPECT_EQ(answers.back().list_services_response().service_size(), 4);
}

TEST_F(ServerReflectionTest, ExtensionNumbersOfAType) {
  v1::ServerReflectionRequest request;
  request.set_all_extension_numbers_of_type("clerk.userimage.v1.User");
  const auto answer = AskV1(request);
  ASSERT_TRUE(answer.has_all_extension_numbers_response())
      << answer.DebugString();
  EXPECT_EQ(answer.all_extension_numbers_response().base_type_name(),
            "clerk.userimage.v1.User");
  EXPECT_THAT(answer.all_extension_numbers_response().extension_number(),
              ElementsAre());
}

TEST_F(ServerReflectionTest, V1alphaAnswersTheSame) {
  auto stub = v1alpha::ServerReflection::NewStub(channel_);
  grpc::ClientContext context;
  auto stream = stub->ServerReflectionInfo(&context);
  v1alpha::ServerReflectionRequest request;
  request.set_file_containing_symbol("clerk.userimage.v1.UserImageService");
  ASSERT_TRUE(stream->Write(request));
  v1alpha::ServerReflectionResponse alpha;
  ASSERT_TRUE(stream->Read(&alpha));
  stream->WritesDone();
  ASSERT_TRUE(stream->Finish().ok());
  v1::ServerReflectionRequest same;
  same.set_file_containing_symbol("clerk.userimage.v1.UserImageService");
  EXPECT_EQ(alpha.SerializeAsString(), AskV1(same).SerializeAsString());
}

TEST_F(ServerReflectionTest, ACallerGoingAwayMidStreamEndsItQuietly) {
  for (int i = 0; i < 20; ++i) {
    auto stub = v1::ServerReflection::NewStub(channel_);
    grpc::ClientContext context;
    auto stream = stub->ServerReflectionInfo(&context);
    v1::ServerReflectionRequest request;
    request.set_list_services("");
    ASSERT_TRUE(stream->Write(request));
    if (i % 2 == 0) {
      v1::ServerReflectionResponse answer;
      ASSERT_TRUE(stream->Read(&answer));
    }
    context.TryCancel();  // with the server reading, or writing
    EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  // The server still answers.
  v1::ServerReflectionRequest request;
  request.set_list_services("");
  EXPECT_EQ(AskV1(request).list_services_response().service_size(), 4);
}

}  // namespace
}  // namespace userimage
