#include "client/read_file.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace clerk::userimage::client {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(ReadFileTest, ReadsBinaryContents) {
  std::string contents;
  for (int i = 0; i < 200000; ++i) contents.push_back(static_cast<char>(i));
  const std::string path = TempPath("binary");
  std::ofstream(path, std::ios::binary) << contents;

  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, contents);
}

TEST(ReadFileTest, ReadsEmptyFile) {
  const std::string path = TempPath("empty");
  std::ofstream(path, std::ios::binary).close();

  absl::StatusOr<std::string> read = ReadFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, "");
}

TEST(ReadFileTest, MissingFileIsNotFound) {
  const std::string path = TempPath("missing");
  absl::StatusOr<std::string> read = ReadFile(path);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find(path), absl::string_view::npos);
}

TEST(ReadFileTest, DirectoryIsAnError) {
  EXPECT_FALSE(ReadFile(TempPath("")).ok());
}

}  // namespace
}  // namespace clerk::userimage::client
