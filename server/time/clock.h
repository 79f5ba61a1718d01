#ifndef SERVER_TIME_CLOCK_H_
#define SERVER_TIME_CLOCK_H_

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace userimage {

// The current time. Injected wherever time matters so tests can use a fake.
// Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// absl::Now().
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// Runs callbacks at given times, without blocking the caller: waits are
// timers, never sleeping threads. Implementations are thread-safe;
// callbacks run on a thread of the implementation's choosing, one at a
// time, and must not block.
class Timers {
 public:
  using Id = uint64_t;
  virtual ~Timers() = default;

  // Runs `callback` once at or after `when`. Ids are never 0.
  virtual Id Schedule(absl::Time when,
                      absl::AnyInvocable<void() &&> callback) = 0;

  // Prevents a scheduled callback from running. Returns false if it has run
  // already, is running, or was cancelled.
  virtual bool Cancel(Id id) = 0;
};

// A random number source, injected so tests can fix the sequence.
// Implementations are thread-safe.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Uniform in [0, 1).
  virtual double Uniform() = 0;
  // 64 uniformly random bits (ids). By default from Uniform(), which has
  // only 53; a real source gives all 64.
  virtual uint64_t Bits64() {
    return static_cast<uint64_t>(Uniform() * 18446744073709551616.0);
  }
};

}  // namespace userimage

#endif  // SERVER_TIME_CLOCK_H_
