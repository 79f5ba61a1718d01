// The Clerk secret key never shows: not in the server's output (logs of
// successes, failures and a key that Clerk rejects), not in errors sent to
// callers, not in /proc/PID/cmdline, and not in /proc/PID/environ after
// start-up.

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/read_file.h"
#include "client/user_image_client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

std::string Read(const std::string& path) {
  return clerk::userimage::client::ReadFile(path).value_or("");
}

TEST(SecretKeyTest, NeverAppearsAnywhere) {
  // "Clerk" accepts another key, so every upload is refused with 401: the
  // error paths log and answer too.
  const std::string emulator_key = TestTempPath("emulator.key");
  std::ofstream(emulator_key) << "sk_test_the_emulators_own_key";
  auto deployment = LocalDeployment::Start(
      {"--log_level=debug"}, {"--secret_key_file=" + emulator_key});
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  const std::string key = LocalDeployment::kSecretKey;

  UserImageClient client(grpc::CreateChannel(
      (*deployment)->server_address(), grpc::InsecureChannelCredentials()));
  UploadOptions options;
  options.user_id = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
  absl::Status rejected =
      client.UploadProfileImage(options, TestPng(100)).status();
  EXPECT_EQ(rejected.code(), absl::StatusCode::kInternal) << rejected;
  EXPECT_FALSE(absl::StrContains(rejected.ToString(), key));
  options.user_id = "bad id";
  EXPECT_FALSE(absl::StrContains(
      client.UploadProfileImage(options, "x").status().ToString(), key));
  EXPECT_FALSE(absl::StrContains(
      client
          .DeleteProfileImage("user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
                              absl::Seconds(10))
          .status()
          .ToString(),
      key));

  const pid_t pid = (*deployment)->server().pid();
  const std::string cmdline = Read(absl::StrCat("/proc/", pid, "/cmdline"));
  const std::string environ = Read(absl::StrCat("/proc/", pid, "/environ"));
  ASSERT_FALSE(cmdline.empty());
  EXPECT_FALSE(absl::StrContains(cmdline, key));
  EXPECT_FALSE(absl::StrContains(environ, key));

  (*deployment)->server().Stop();
  const std::string output = Read((*deployment)->log_path());
  EXPECT_TRUE(
      absl::StrContains(output, "clerk_rejected_secret_key"));  // It ran.
  EXPECT_FALSE(absl::StrContains(output, key)) << output;
  EXPECT_FALSE(absl::StrContains(output, "sk_test_")) << output;
}

}  // namespace
}  // namespace userimage
