// The real server refuses to start, before serving anything, on the
// configurations that would leak the secret key or let anyone in: a Clerk
// URL that only looks local, anonymous callers on a public address, bearer
// tokens in clear on a public address. Each exits non-zero with a log line
// naming the flag to fix, and never writes its port file.

#include <sys/wait.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/read_file.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"
#include "tools/support/child_process.h"

namespace userimage {
namespace {

struct Refusal {
  std::string name;
  std::vector<std::string> flags;
  std::string message;  // part of the startup_failed line
  // Files written first, under the test's scratch directory; a flag's
  // "@name" is replaced by the file's path.
  std::vector<std::pair<std::string, std::string>> files = {};
};

std::string ReadAll(const std::string& path) {
  return clerk::userimage::client::ReadFile(path).value_or("");
}

class StartupRefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(StartupRefusalTest, ExitsBeforeServingAndSaysWhy) {
  const Refusal& refusal = GetParam();
  const std::string log = TestTempPath(refusal.name + ".log");
  const std::string port_file = TestTempPath(refusal.name + ".port");
  std::vector<std::string> argv = {Runfile("server/user_image_server"),
                                   "--port_file=" + port_file,
                                   "--metrics_listen_address=127.0.0.1:0"};
  for (const auto& [name, contents] : refusal.files) {
    std::ofstream(TestTempPath(name)) << contents;
  }
  for (std::string flag : refusal.flags) {
    for (const auto& [name, contents] : refusal.files) {
      flag = absl::StrReplaceAll(flag, {{"@" + name, TestTempPath(name)}});
    }
    argv.push_back(flag);
  }
  auto server = ChildProcess::Start(
      argv, {"CLERK_SECRET_KEY=sk_test_refusal_e2e_0123456789"}, log);
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<int> status = (*server)->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << "still running: " << ReadAll(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << *status;
  const std::string output = ReadAll(log);
  EXPECT_NE(output.find("startup_failed"), std::string::npos) << output;
  EXPECT_NE(output.find(refusal.message), std::string::npos) << output;
  EXPECT_TRUE(ReadAll(port_file).empty()) << "it served";
  EXPECT_EQ(output.find("sk_test_refusal_e2e"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Configurations, StartupRefusalTest,
    ::testing::Values(
        Refusal{"user_info_url",
                {"--listen_address=127.0.0.1:0", "--allow_unauthenticated",
                 "--clerk_api_url=http://127.0.0.1@evil.example"},
                "user-info"},
        Refusal{"look_alike_url",
                {"--listen_address=127.0.0.1:0", "--allow_unauthenticated",
                 "--clerk_api_url=http://127.evil.example"},
                "--allow_insecure_clerk_url"},
        Refusal{"anonymous_public",
                {"--listen_address=0.0.0.0:0", "--allow_unauthenticated",
                 "--clerk_api_url=http://127.0.0.1:1"},
                "--allow_unauthenticated lets anyone"},
        Refusal{"tokens_in_clear",
                {"--listen_address=[::]:0", "--bearer_tokens_file=/dev/null",
                 "--clerk_api_url=http://127.0.0.1:1"},
                "--allow_plaintext_tokens"},
        Refusal{"allowlist_unknown_method",
                {"--listen_address=127.0.0.1:0", "--bearer_tokens_file=@tokens",
                 "--caller_allowlist_file=@allowlist",
                 "--clerk_api_url=http://127.0.0.1:1"},
                "the caller allow-list line 2: \\\"clerk.userimage.v1."
                "UserImageService/UploadImage\\\" is not a method",
                {{"tokens", "uploader 0123456789abcdef0123\n"},
                 {"allowlist",
                  "clerk.userimage.v1.UserImageService/UploadProfileImage "
                  "uploader\n"
                  "clerk.userimage.v1.UserImageService/UploadImage "
                  "uploader\n"}}}),
    [](const ::testing::TestParamInfo<Refusal>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace userimage
