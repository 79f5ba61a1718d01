// Configuration from a mounted file (absl's --flagfile), as a container
// gets it from a ConfigMap: the file's flags take effect, and a secret can
// not be put in one, because no flag takes a secret (the key comes from
// --clerk_secret_key_file or CLERK_SECRET_KEY): the server refuses to
// start and does not echo the value.

#include <sys/wait.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "client/read_file.h"
#include "client/user_image_client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/subprocess.h"
#include "tools/support/child_process.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

std::string ReadAll(const std::string& path) {
  return clerk::userimage::client::ReadFile(path).value_or("");
}

TEST(FlagfileTest, TheFilesFlagsTakeEffect) {
  const std::string flags = TestTempPath("server.flags");
  std::ofstream(flags) << "# mounted from a ConfigMap\n"
                          "--max_image_bytes=12345\n"
                          "--clerk_rate_limit=7\n";
  auto deployment = LocalDeployment::Start({"--flagfile=" + flags});
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  UserImageClient client(grpc::CreateChannel(
      (*deployment)->server_address(), grpc::InsecureChannelCredentials()));
  UploadOptions options;
  options.user_id = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
  absl::Status refused =
      client.UploadProfileImage(options, TestPng(20'000)).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument) << refused;
  EXPECT_TRUE(absl::StrContains(refused.message(), "12345")) << refused;
  (*deployment)->server().Stop();
  const std::string log = ReadAll((*deployment)->log_path());
  EXPECT_TRUE(absl::StrContains(log, "\"clerk_rate_limit\":7")) << log;
  EXPECT_TRUE(absl::StrContains(log, "\"max_image_bytes\":12345")) << log;
}

TEST(FlagfileTest, ASecretInAFlagfileIsRefusedWithoutEchoingIt) {
  const std::string flags = TestTempPath("secret.flags");
  std::ofstream(flags) << "--clerk_secret_key=sk_live_in_a_flagfile_0123\n";
  const std::string log = TestTempPath("secret.log");
  auto server = ChildProcess::Start(
      {Runfile("server/user_image_server"), "--listen_address=127.0.0.1:0",
       "--allow_unauthenticated", "--flagfile=" + flags},
      {"CLERK_SECRET_KEY=sk_test_flagfile_e2e_0123456789"}, log);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<int> status = (*server)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << "still running: " << ReadAll(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << *status;
  const std::string output = ReadAll(log);
  EXPECT_TRUE(absl::StrContains(output, "clerk_secret_key")) << output;
  EXPECT_FALSE(absl::StrContains(output, "sk_live_in_a_flagfile")) << output;
  EXPECT_FALSE(absl::StrContains(output, "sk_test_flagfile_e2e")) << output;
}

}  // namespace
}  // namespace userimage
