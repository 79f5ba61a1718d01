#ifndef SERVER_NORMALIZE_WORKER_PROCESS_H_
#define SERVER_NORMALIZE_WORKER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clerk/userimage/internal/v1/normalize.pb.h"

namespace userimage {

// One running normalize worker (server/normalize/normalize_worker_main.cc):
// a child process exec'd with posix_spawn (never a fork of the server), its
// stdin and stdout on pipes, stderr on /dev/null, every other descriptor
// closed, and an empty environment (the secret key is neither inherited
// nor in its memory).
//
// Destroying it closes the pipes, kills the process (SIGKILL) and reaps it.
// Not thread-safe: one caller at a time (a NormalizerPool slot thread).
class WorkerProcess {
 public:
  // Starts `argv` (argv[0] is the binary's path) and waits until `deadline`
  // for its ready frame. UNAVAILABLE if it cannot be started or reports a
  // failure (the message says why), DEADLINE_EXCEEDED if it is not ready in
  // time.
  static absl::StatusOr<std::unique_ptr<WorkerProcess>> Start(
      const std::vector<std::string>& argv, absl::Time deadline);

  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Whether the process has not exited (reaps it if it has).
  bool Alive();

  // Sends `request` with `image` as its image (which `request` leaves
  // empty; the bytes are written from where they are), bounded by
  // `deadline`.
  absl::Status Send(
      const clerk::userimage::internal::v1::NormalizeRequest& request,
      absl::string_view image, absl::Time deadline);

  // Reads the answer to the request sent, bounded by `deadline`. `admit`
  // sees the answer's size before it is read (a memory budget's check); an
  // answer over `max_response_bytes` or refused by it fails with
  // OUT_OF_RANGE.
  absl::StatusOr<clerk::userimage::internal::v1::NormalizeResponse> Receive(
      absl::Time deadline, size_t max_response_bytes,
      absl::FunctionRef<bool(size_t)> admit);

  // Any error of Send or Receive (DEADLINE_EXCEEDED, UNAVAILABLE when the
  // worker died, INTERNAL for an unparseable answer, OUT_OF_RANGE) leaves
  // the worker unusable: destroy it and start another.

  // CPU time (user + system) the process has used so far, from
  // /proc/<pid>/stat; zero if it cannot be read.
  absl::Duration CpuUsed() const;

  pid_t pid() const { return pid_; }

 private:
  WorkerProcess(pid_t pid, int to_worker, int from_worker)
      : pid_(pid), to_worker_(to_worker), from_worker_(from_worker) {}

  const pid_t pid_;
  bool reaped_ = false;
  const int to_worker_;
  const int from_worker_;
};

}  // namespace userimage

#endif  // SERVER_NORMALIZE_WORKER_PROCESS_H_
