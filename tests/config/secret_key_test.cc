#include "server/config/secret_key.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

std::string WriteTempFile(const std::string& contents) {
  std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/key";
  std::ofstream(path) << contents;
  return path;
}

TEST(LoadSecretKeyTest, ReadsEnvironment) {
  EXPECT_EQ(*LoadSecretKey("sk_test_abc", ""), "sk_test_abc");
}

TEST(LoadSecretKeyTest, FileWinsAndIsTrimmed) {
  std::string path = WriteTempFile("  sk_live_file\n");
  EXPECT_EQ(*LoadSecretKey("sk_test_env", path), "sk_live_file");
}

TEST(LoadSecretKeyTest, AFileOfExactlyTheLimitIsReadAndALargerOneRefused) {
  const std::string key(64 * 1024, 'k');
  EXPECT_EQ(*LoadSecretKey(nullptr, WriteTempFile(key)), key);
  const absl::StatusOr<std::string> larger =
      LoadSecretKey(nullptr, WriteTempFile(key + "k"));
  EXPECT_EQ(larger.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(LoadSecretKeyTest, ErrorsNeverEchoTheKey) {
  absl::StatusOr<std::string> key = LoadSecretKey("sk_test_a b", "");
  EXPECT_EQ(key.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(absl::StrContains(key.status().message(), "sk_test"));
  EXPECT_EQ(LoadSecretKey("", "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(LoadSecretKey(nullptr, "").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(LoadSecretKey(nullptr, "/nonexistent/key").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(LoadSecretKey("sk_test_\r\nX-Injected: 1", "").ok());
}

}  // namespace
}  // namespace userimage
