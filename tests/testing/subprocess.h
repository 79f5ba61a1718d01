#ifndef TESTS_TESTING_SUBPROCESS_H_
#define TESTS_TESTING_SUBPROCESS_H_

#include <string>

#include "absl/status/statusor.h"

namespace userimage {

// Processes themselves are tools/support/child_process.h (shared with the
// benchmarks); these are the tests' helpers around them.

// Runs `command` through /bin/sh with `input` on its stdin and returns its
// stdout; stderr is appended to `log_path`. Fails if it exits non-zero,
// with its output in the message.
absl::StatusOr<std::string> RunCommand(const std::string& command,
                                       const std::string& input,
                                       const std::string& log_path);

// Path of a runfile, e.g. "server/user_image_server".
std::string Runfile(const std::string& path);

// A path under the test's scratch directory.
std::string TestTempPath(const std::string& name);

}  // namespace userimage

#endif  // TESTS_TESTING_SUBPROCESS_H_
