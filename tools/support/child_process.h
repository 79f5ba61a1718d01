#ifndef TOOLS_SUPPORT_CHILD_PROCESS_H_
#define TOOLS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace userimage {

// A program that a test or a benchmark runs (the server, the emulator,
// redis-server): started with `argv` and this process's environment plus
// `extra_env`, its stdout and stderr appended to `log_path`. It receives
// SIGTERM if this process dies first. The destructor stops it (see Stop).
// Not thread-safe.
class ChildProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::vector<std::string>& argv,
      const std::vector<std::string>& extra_env, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Polls until `path` holds a port number (written once the program
  // serves), the program exits, or `timeout` passes.
  absl::StatusOr<int> WaitForPortFile(const std::string& path,
                                      absl::Duration timeout);

  // Waits up to `timeout` for the program to exit by itself; returns its
  // wait status, or DEADLINE_EXCEEDED with the program still running.
  absl::StatusOr<int> Wait(absl::Duration timeout);
  // Waits as long as it takes; returns the wait status.
  int Wait();
  // Sends `signal` (unless the program has exited), without waiting.
  void Signal(int signal);
  // Whether the program has not exited yet.
  bool Running() { return !Exited(); }

  // Sends SIGTERM, waits up to `grace`, then SIGKILLs. Returns the wait
  // status; later calls return the same.
  int Stop(absl::Duration grace = absl::Seconds(30));

  pid_t pid() const { return pid_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  // Reaps the process if it has exited.
  bool Exited();

  const pid_t pid_;
  bool exited_ = false;
  int wait_status_ = 0;
};

}  // namespace userimage

#endif  // TOOLS_SUPPORT_CHILD_PROCESS_H_
