#ifndef TOOLS_CLERK_EMULATOR_CLOCK_H_
#define TOOLS_CLERK_EMULATOR_CLOCK_H_

#include "absl/time/time.h"

namespace clerk::emulator {

// Source of the current time, injected so tests can control it.
// Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The wall clock. A process-wide instance that is never destroyed.
const Clock& SystemClock();

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_CLOCK_H_
