// Graceful shutdown: on SIGTERM the server reports NOT_SERVING, refuses new
// uploads, lets the upload in flight finish (still serving its metrics and
// ignoring a second SIGTERM), and exits cleanly.

#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/user_image_client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/metrics_scrape.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";

TEST(ShutdownTest, DrainsTheUploadInFlightAndRefusesNewOnes) {
  // Clerk takes 2 s to answer, so the upload is in flight at SIGTERM.
  auto deployment =
      LocalDeployment::Start({"--shutdown_grace=30s"}, {"--latency=2s"});
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  auto channel = grpc::CreateChannel((*deployment)->server_address(),
                                     grpc::InsecureChannelCredentials());
  UserImageClient client(channel);
  const std::string image = TestPng(1008);

  std::atomic<bool> all_sent{false};
  absl::Status in_flight;
  std::thread upload([&] {
    UploadOptions options;
    options.user_id = kUser;
    options.progress = [&](uint64_t sent, uint64_t total) {
      if (sent == total) all_sent = true;
    };
    in_flight = client.UploadProfileImage(options, image).status();
  });
  while (!all_sent) absl::SleepFor(absl::Milliseconds(5));
  // Let the server pass the image on to the (slow) emulator.
  absl::SleepFor(absl::Milliseconds(500));

  (*deployment)->server().Signal(SIGTERM);
  // Health turns NOT_SERVING (or the port closes) while draining.
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::Status status;
  for (int i = 0; i < 1000; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(1));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    status = health->Check(&context, request, &response);
    if (!status.ok() ||
        response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  // Draining, the server still answers scrapes (on its main loop), and a
  // second SIGTERM does not cut the drain short.
  EXPECT_GT(ScrapeMetric((*deployment)->metrics_port(),
                         "userimage_memory_budget_limit_bytes"),
            0);
  (*deployment)->server().Signal(SIGTERM);
  // A new upload is refused (gRPC says UNAVAILABLE, or CANCELLED for a
  // call that raced with the start of the shutdown) and never reaches Clerk.
  UploadOptions options;
  options.user_id = kUser;
  options.timeout = absl::Seconds(5);
  const absl::StatusCode refused =
      client.UploadProfileImage(options, image).status().code();
  EXPECT_TRUE(refused == absl::StatusCode::kUnavailable ||
              refused == absl::StatusCode::kCancelled)
      << refused;

  upload.join();
  EXPECT_TRUE(in_flight.ok()) << in_flight;
  EXPECT_EQ((*deployment)->Requests().values_size(), 1);
  const int exit_status = (*deployment)->server().Wait();
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
      << exit_status;
}

}  // namespace
}  // namespace userimage

namespace userimage {
namespace {

TEST(HealthPortTest, ServesOnlyHealthAndFollowsTheMainPort) {
  const std::string port_file = TestTempPath("health.port");
  auto deployment =
      LocalDeployment::Start({"--health_listen_address=127.0.0.1:0",
                              "--health_port_file=" + port_file});
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  absl::StatusOr<int> port =
      (*deployment)->server().WaitForPortFile(port_file, absl::Seconds(10));
  ASSERT_TRUE(port.ok()) << port.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", *port),
                                     grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  for (const std::string service :
       {"", "clerk.userimage.v1.UserImageService"}) {
    grpc::ClientContext context;
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    ASSERT_TRUE(health->Check(&context, request, &response).ok()) << service;
    EXPECT_EQ(response.status(),
              grpc::health::v1::HealthCheckResponse::SERVING);
  }
  // Nothing else is served there.
  UserImageClient client(channel);
  UploadOptions options;
  options.user_id = kUser;
  EXPECT_EQ(client.UploadProfileImage(options, "x").status().code(),
            absl::StatusCode::kUnimplemented);
  // Its reflection lists health (and itself) alone.
  auto reflection = grpc::reflection::v1::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  auto stream = reflection->ServerReflectionInfo(&context);
  grpc::reflection::v1::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  std::vector<std::string> listed;
  for (const auto& service : response.list_services_response().service()) {
    listed.push_back(service.name());
  }
  EXPECT_EQ(listed,
            (std::vector<std::string>{
                "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection"}));
}

}  // namespace
}  // namespace userimage
