#ifndef TOOLS_BENCH_EMULATOR_CONTROL_H_
#define TOOLS_BENCH_EMULATOR_CONTROL_H_

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace clerk::userimage::bench {

// What the Clerk emulator answered, from its request log.
struct ClerkLogSummary {
  int requests = 0;
  // HTTP status → requests so answered (0: connection reset).
  std::map<int, int> by_status;

  int Count(int status) const;
  // Requests answered with anything but 200.
  int NotOk() const { return requests - Count(200); }
};

// Clears the emulator's request log, faults, images and rate-limit window
// (POST /_emulator/reset on 127.0.0.1:`port`).
absl::Status ResetEmulator(int port);

// Reads and summarizes GET /_emulator/requests.
absl::StatusOr<ClerkLogSummary> ReadClerkLog(int port);

// Resets the emulator every `interval` on a background thread, so that the
// images it keeps (every upload, until a reset) do not pile up during a long
// run. Starts in the constructor; the destructor stops and joins the thread.
// Failed resets are counted, not reported.
class PeriodicEmulatorReset {
 public:
  PeriodicEmulatorReset(int port, absl::Duration interval);
  ~PeriodicEmulatorReset();
  PeriodicEmulatorReset(const PeriodicEmulatorReset&) = delete;
  PeriodicEmulatorReset& operator=(const PeriodicEmulatorReset&) = delete;

  int failures() const;

 private:
  const int port_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::atomic<int> failures_{0};
  std::thread thread_;
};

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_EMULATOR_CONTROL_H_
