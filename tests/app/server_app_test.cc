// ServerApp in-process: it starts from a ServerConfig, serves health on an
// OS-chosen port, refuses what cannot work with a message saying what to
// fix, and drains.

#include "server/app/server_app.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

ServerConfig LocalConfig() {
  ServerConfig config;
  config.listen_address = "127.0.0.1:0";
  config.metrics_listen_address = "";
  config.allow_unauthenticated = true;
  config.clerk_api_url = "http://127.0.0.1:1";  // never called here
  // Not beside this test's binary: named where Bazel built it.
  config.normalize_worker_binary =
      absl::StrCat(std::getenv("TEST_SRCDIR"),
                   "/clerk_user_image/server/normalize/normalize_worker");
  return config;
}

grpc::health::v1::HealthCheckResponse::ServingStatus Health(
    int port, const std::string& service) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return grpc::health::v1::HealthCheckResponse::UNKNOWN;
  return response.status();
}

TEST(ServerAppTest, ServesOnAnOsChosenPortAndDrains) {
  auto app = ServerApp::Start(LocalConfig(), "sk_test_app");
  ASSERT_TRUE(app.ok()) << app.status();
  const int port = (*app)->port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(Health(port, "clerk.userimage.v1.UserImageService"),
            grpc::health::v1::HealthCheckResponse::SERVING);
  (*app)->Drain(absl::Seconds(1));
  EXPECT_NE(Health(port, "clerk.userimage.v1.UserImageService"),
            grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ServerAppTest, AWorkerThatCannotStartStopsTheServerFromStarting) {
  ServerConfig config = LocalConfig();
  config.normalize_worker_binary = "/nonexistent/normalize_worker";
  auto app = ServerApp::Start(config, "sk_test_app");
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(app.status().message(),
                                "/nonexistent/normalize_worker"))
      << app.status();
  EXPECT_TRUE(
      absl::StrContains(app.status().message(), "--normalize_workers=0"))
      << app.status();
  // Conversion off: no worker is needed.
  config.normalize_workers = 0;
  EXPECT_TRUE(ServerApp::Start(config, "sk_test_app").ok());
}

TEST(ServerAppTest, CallersMustAuthenticateSomehow) {
  ServerConfig config = LocalConfig();
  config.allow_unauthenticated = false;
  auto app = ServerApp::Start(config, "sk_test_app");
  EXPECT_EQ(app.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(app.status().message().find("callers must authenticate"),
            std::string::npos)
      << app.status();
}

TEST(ServerAppTest, AFileThatCannotBeReadIsNamed) {
  ServerConfig config = LocalConfig();
  config.bearer_tokens_file = "/nonexistent/tokens";
  auto app = ServerApp::Start(config, "sk_test_app");
  EXPECT_EQ(app.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(app.status().message(),
            "cannot read --bearer_tokens_file /nonexistent/tokens");
}

TEST(ServerAppTest, ABadCallerWeightsFileIsRefusedNamingTheLine) {
  const std::string path =
      absl::StrCat(std::getenv("TEST_TMPDIR"), "/caller_weights");
  std::ofstream(path) << "web 2\nbatch lots\n";
  ServerConfig config = LocalConfig();
  config.caller_weights_file = path;
  auto app = ServerApp::Start(config, "sk_test_app");
  EXPECT_EQ(app.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(app.status().message().find("caller weights, line 2"),
            std::string::npos)
      << app.status();
  config.caller_weights_file = "/nonexistent/weights";
  EXPECT_EQ(ServerApp::Start(config, "sk_test_app").status().message(),
            "cannot read --caller_weights_file /nonexistent/weights");
}

TEST(ServerAppTest, APortInUseIsRefused) {
  auto first = ServerApp::Start(LocalConfig(), "sk_test_app");
  ASSERT_TRUE(first.ok()) << first.status();
  ServerConfig config = LocalConfig();
  config.listen_address = absl::StrCat("127.0.0.1:", (*first)->port());
  auto second = ServerApp::Start(config, "sk_test_app");
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("cannot listen on"),
            std::string::npos)
      << second.status();
  (*first)->Drain(absl::ZeroDuration());
}

}  // namespace
}  // namespace userimage
