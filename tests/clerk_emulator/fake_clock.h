#ifndef TESTS_CLERK_EMULATOR_FAKE_CLOCK_H_
#define TESTS_CLERK_EMULATOR_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/clerk_emulator/clock.h"

namespace clerk::emulator {

// A clock that only moves when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  // 2023-11-22T10:00:00Z, a time with whole milliseconds.
  static constexpr int64_t kStartMillis = 1'700'647'200'000;

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  void Advance(absl::Duration duration) {
    absl::MutexLock lock(&mu_);
    now_ += duration;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixMillis(kStartMillis);
};

}  // namespace clerk::emulator

#endif  // TESTS_CLERK_EMULATOR_FAKE_CLOCK_H_
