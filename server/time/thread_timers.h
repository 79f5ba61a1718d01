#ifndef SERVER_TIME_THREAD_TIMERS_H_
#define SERVER_TIME_THREAD_TIMERS_H_

#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "server/time/clock.h"

namespace userimage {

// Timers on one dedicated thread: thousands of pending waits cost one
// thread and a map entry each. Callbacks run on that thread in time order.
// Thread-safe. The destructor stops the thread; callbacks still pending
// are dropped without running.
class ThreadTimers final : public Timers {
 public:
  ThreadTimers();
  ~ThreadTimers() override;
  ThreadTimers(const ThreadTimers&) = delete;
  ThreadTimers& operator=(const ThreadTimers&) = delete;

  Id Schedule(absl::Time when, absl::AnyInvocable<void() &&> callback) override;
  bool Cancel(Id id) override;

 private:
  void Run();
  bool ShouldWake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  // Keyed by (due time, id): ordered by time, ties by scheduling order.
  std::map<std::pair<absl::Time, Id>, absl::AnyInvocable<void() &&>> pending_
      ABSL_GUARDED_BY(mu_);
  std::map<Id, absl::Time> due_ ABSL_GUARDED_BY(mu_);
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // The earliest pending timer when Run() last went to sleep.
  std::pair<absl::Time, Id> watched_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// absl::BitGen behind a mutex.
class AbslRandomSource final : public RandomSource {
 public:
  double Uniform() override {
    absl::MutexLock lock(&mu_);
    return absl::Uniform(bitgen_, 0.0, 1.0);
  }

 private:
  absl::Mutex mu_;
  absl::BitGen bitgen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_TIME_THREAD_TIMERS_H_
