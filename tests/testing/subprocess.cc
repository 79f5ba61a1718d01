#include "tests/testing/subprocess.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace userimage {

absl::StatusOr<std::string> RunCommand(const std::string& command,
                                       const std::string& input,
                                       const std::string& log_path) {
  const std::string input_path = TestTempPath("stdin.txt");
  std::ofstream(input_path) << input;
  const std::string full =
      absl::StrCat(command, " < ", input_path, " 2>>", log_path);
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen failed");
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    return absl::InternalError(absl::StrCat("`", command, "` exited with ",
                                            status, "; output: ", output));
  }
  return output;
}

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/clerk_user_image/", path);
}

std::string TestTempPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

}  // namespace userimage
