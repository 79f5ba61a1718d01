// A Clerk whose certificate cannot be verified (openssl s_server with a
// certificate no trusted CA signed) is a configuration error, not an
// outage: the upload fails at once with FAILED_PRECONDITION, reason
// CLERK_TLS_UNVERIFIED, after one attempt, and operators get an error-level
// log line. Nothing is retried, and the secret key never leaves the TLS
// handshake (which failed before any request was written).

#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/read_file.h"
#include "client/user_image_client.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/rpc_details.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_ca.h"
#include "tools/support/child_process.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

std::string ReadAll(const std::string& path) {
  return clerk::userimage::client::ReadFile(path).value_or("");
}

// The port `openssl s_server` prints ("ACCEPT [::]:PORT") once listening.
absl::StatusOr<int> AcceptedPort(ChildProcess& server, const std::string& log) {
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up && server.Running()) {
    const std::string text = ReadAll(log);
    const size_t at = text.find("ACCEPT ");
    const size_t colon = text.find("]:", at);
    const size_t end = text.find('\n', colon);
    int port = 0;
    if (at != std::string::npos && colon != std::string::npos &&
        end != std::string::npos &&
        absl::SimpleAtoi(text.substr(colon + 2, end - colon - 2), &port)) {
      return port;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::UnavailableError("openssl s_server did not start: " +
                                ReadAll(log));
}

TEST(ClerkTlsTest, AnUnverifiableCertificateIsAConfigurationError) {
  // Self-signed: the service's CA bundle does not know it.
  ASSERT_TRUE(MakeTestCa("impostor").ok());
  const std::string log = TestTempPath("s_server.log");
  auto impostor = ChildProcess::Start(
      {"/usr/bin/openssl", "s_server", "-accept", "0", "-www", "-cert",
       TestTempPath("impostor.pem"), "-key", TestTempPath("impostor.key")},
      {}, log);
  ASSERT_TRUE(impostor.ok()) << impostor.status();
  absl::StatusOr<int> port = AcceptedPort(**impostor, log);
  ASSERT_TRUE(port.ok()) << port.status();

  auto deployment = LocalDeployment::Start(
      {absl::StrCat("--clerk_api_url=https://localhost:", *port)});
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  UserImageClient client(grpc::CreateChannel(
      (*deployment)->server_address(), grpc::InsecureChannelCredentials()));
  UploadOptions options;
  options.user_id = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
  options.timeout = absl::Seconds(30);
  auto user = client.UploadProfileImage(options, TestPng(64));

  EXPECT_EQ(user.status().code(), absl::StatusCode::kFailedPrecondition)
      << user.status();
  EXPECT_NE(user.status().message().find("could not verify Clerk's TLS"),
            std::string::npos)
      << user.status();
  auto info = RpcDetail<google::rpc::ErrorInfo>(user.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CLERK_TLS_UNVERIFIED");
  EXPECT_EQ(info->metadata().at("attempts"), "1");  // Not retried.
  // Log lines are written off the request path; stopping the server drains
  // its log writer, so every line of the failed upload is on disk after.
  (*deployment)->server().Stop();
  const std::string server_log = ReadAll((*deployment)->log_path());
  EXPECT_NE(server_log.find("\"clerk_tls_unverified\""), std::string::npos)
      << server_log;
}

}  // namespace
}  // namespace userimage
