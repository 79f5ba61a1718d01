#ifndef TESTS_TESTING_SUBPROCESS_H_
#define TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace userimage {

// A child process for end-to-end tests: started with the given arguments
// and extra environment, its stdout and stderr appended to `log_path`.
// The destructor sends SIGTERM, waits up to 10 s, then SIGKILLs. Not
// thread-safe.
class Subprocess {
 public:
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(
      const std::vector<std::string>& argv,
      const std::vector<std::string>& extra_env, const std::string& log_path);
  ~Subprocess();

  // Polls until `path` holds a port number (the program writes it once it
  // serves), the process exits, or `timeout` passes.
  absl::StatusOr<int> WaitForPortFile(const std::string& path,
                                      absl::Duration timeout);

  // Sends SIGTERM and returns the exit status (as from waitpid).
  int Terminate();

  // Sends `signal` without waiting.
  void Signal(int signal);
  // Waits for the process to exit; returns the exit status (as from waitpid).
  int Wait();
  // Whether the process has not exited yet.
  bool Running();

  pid_t pid() const { return pid_; }

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool exited_ = false;
  int exit_status_ = 0;
};

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
