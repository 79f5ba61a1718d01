#ifndef TOOLS_BENCH_EMULATOR_CONTROL_H_
#define TOOLS_BENCH_EMULATOR_CONTROL_H_

#include <map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

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

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_EMULATOR_CONTROL_H_
