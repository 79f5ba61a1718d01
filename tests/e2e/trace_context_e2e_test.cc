// W3C trace context from the caller to Clerk and into the logs, through the
// real server and the emulator (which records every request's headers): a
// caller's traceparent is continued (same trace id, this service's span as
// the parent of the request to Clerk, tracestate passed on), a call without
// one starts a trace, a malformed one is ignored, and each call's log line
// names the trace and the span its request to Clerk carried.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "client/read_file.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::DeleteProfileImageRequest;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kCallerSpan[] = "00f067aa0ba902b7";

struct Traceparent {
  std::string trace_id;
  std::string span_id;
  std::string flags;
};

// The fields of a version-00 traceparent, empty if it is not one.
Traceparent Parse(const std::string& header) {
  std::vector<std::string> parts = absl::StrSplit(header, '-');
  if (parts.size() != 4 || parts[0] != "00" || parts[1].size() != 32 ||
      parts[2].size() != 16 || parts[3].size() != 2) {
    return {};
  }
  return {parts[1], parts[2], parts[3]};
}

class TraceContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto deployment = LocalDeployment::Start();
    ASSERT_TRUE(deployment.ok()) << deployment.status();
    deployment_ = *std::move(deployment);
    stub_ = UserImageService::NewStub(grpc::CreateChannel(
        deployment_->server_address(), grpc::InsecureChannelCredentials()));
  }

  // The headers of the only request Clerk received.
  std::map<std::string, std::string> ClerkHeaders() {
    google::protobuf::ListValue requests = deployment_->Requests();
    EXPECT_EQ(requests.values_size(), 1);
    std::map<std::string, std::string> headers;
    if (requests.values_size() == 0) return headers;
    for (const auto& [name, value] : requests.values(0)
                                         .struct_value()
                                         .fields()
                                         .at("headers")
                                         .struct_value()
                                         .fields()) {
      headers[name] = value.string_value();
    }
    return headers;
  }

  // The server's log line for `event`, once the server has stopped (its
  // log writer drained).
  std::string LogLine(const std::string& event) {
    deployment_->server().Stop();
    const std::string log =
        clerk::userimage::client::ReadFile(deployment_->log_path())
            .value_or("");
    for (absl::string_view line : absl::StrSplit(log, '\n')) {
      if (absl::StrContains(line, absl::StrCat("\"event\":\"", event, "\""))) {
        return std::string(line);
      }
    }
    ADD_FAILURE() << "no " << event << " line in " << log;
    return "";
  }

  grpc::Status Upload(
      const std::vector<std::pair<std::string, std::string>>& metadata) {
    grpc::ClientContext context;
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    User user;
    auto writer = stub_->UploadProfileImage(&context, &user);
    UploadProfileImageRequest message;
    message.mutable_metadata()->set_user_id(kUser);
    writer->Write(message);
    message.set_chunk(TestPng(32));
    writer->Write(message);
    writer->WritesDone();
    return writer->Finish();
  }

  std::unique_ptr<LocalDeployment> deployment_;
  std::unique_ptr<UserImageService::Stub> stub_;
};

TEST_F(TraceContextTest, ACallersTraceIsContinuedToClerkAndIntoTheLog) {
  grpc::ClientContext context;
  context.AddMetadata("traceparent",
                      absl::StrCat("00-", kTraceId, "-", kCallerSpan, "-01"));
  context.AddMetadata("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  DeleteProfileImageRequest request;
  request.set_user_id(kUser);
  User user;
  ASSERT_TRUE(stub_->DeleteProfileImage(&context, request, &user).ok());

  const std::map<std::string, std::string> headers = ClerkHeaders();
  const Traceparent sent = Parse(headers.at("traceparent"));
  EXPECT_EQ(sent.trace_id, kTraceId);
  EXPECT_EQ(sent.span_id.size(), 16u);
  EXPECT_NE(sent.span_id, kCallerSpan);  // This service's own span.
  EXPECT_EQ(sent.flags, "01");
  EXPECT_EQ(headers.at("tracestate"),
            "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  const std::string line = LogLine("delete_finished");
  EXPECT_TRUE(
      absl::StrContains(line, absl::StrCat("\"trace_id\":\"", kTraceId, "\"")))
      << line;
  EXPECT_TRUE(absl::StrContains(
      line, absl::StrCat("\"span_id\":\"", sent.span_id, "\"")))
      << line;
}

TEST_F(TraceContextTest, AnUploadWithoutATraceStartsOne) {
  ASSERT_TRUE(Upload({}).ok());
  const std::map<std::string, std::string> headers = ClerkHeaders();
  const Traceparent sent = Parse(headers.at("traceparent"));
  ASSERT_EQ(sent.trace_id.size(), 32u) << headers.at("traceparent");
  EXPECT_NE(sent.trace_id, std::string(32, '0'));
  EXPECT_EQ(headers.count("tracestate"), 0u);
  const std::string line = LogLine("upload_finished");
  EXPECT_TRUE(absl::StrContains(
      line, absl::StrCat("\"trace_id\":\"", sent.trace_id, "\"")))
      << line;
  EXPECT_TRUE(absl::StrContains(
      line, absl::StrCat("\"span_id\":\"", sent.span_id, "\"")))
      << line;
}

TEST_F(TraceContextTest, AMalformedTraceparentIsIgnoredNotAnError) {
  ASSERT_TRUE(Upload({{"traceparent", "00-not-a-trace-01"},
                      {"tracestate", "congo=t61rcWkgMzE"}})
                  .ok());
  const std::map<std::string, std::string> headers = ClerkHeaders();
  const Traceparent sent = Parse(headers.at("traceparent"));
  EXPECT_EQ(sent.trace_id.size(), 32u) << headers.at("traceparent");
  // A tracestate belongs to the trace it came with: not passed on.
  EXPECT_EQ(headers.count("tracestate"), 0u);
}

}  // namespace
}  // namespace userimage
