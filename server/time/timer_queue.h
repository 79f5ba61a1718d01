#ifndef SERVER_TIME_TIMER_QUEUE_H_
#define SERVER_TIME_TIMER_QUEUE_H_

#include <map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/time/clock.h"

namespace userimage {

// The process's Timers, as a queue that a loop owning a thread drives (the
// HTTP client's I/O loop): Schedule() and Cancel() from any thread; the
// driver calls TakeDue() each turn for the callbacks that fell due and the
// wait until the next one, and runs or posts them itself. Waiting thus
// costs no thread of its own.
//
// Thread-safe. Never runs a callback itself; `wake` (told, outside the
// lock, after a Schedule() whose timer is due before the driver would call
// TakeDue() anyway) lets the driver shorten its wait. The driver waits no
// longer than the `next` of its last TakeDue() (or the driver's own longest
// wait, if given), or the earliest timer scheduled since: a timer due later
// needs no wake-up, and neither does one that replaces a cancelled earlier
// one (the driver then wakes once, at the cancelled one's time, and finds
// nothing due). So re-arming a far-off timeout on every message costs no
// wake-up of the driver, even when it is the only timer. Due times are
// wall-clock (absl::Time) and the driver's longest wait is not: after a
// forward step of the wall clock, a timer due within a second may run up
// to that second late. Callbacks that are dropped (Cancel(), DropAll(),
// the destructor) are destroyed outside the lock.
class TimerQueue final : public Timers {
 public:
  using Callback = absl::AnyInvocable<void() &&>;

  // `driver_max_wait`: the driver calls TakeDue() at least this often
  // whatever it was told, so a timer due later than that after its last
  // TakeDue() needs no wake-up either.
  explicit TimerQueue(absl::AnyInvocable<void()> wake = nullptr,
                      absl::Duration driver_max_wait = absl::InfiniteDuration())
      : wake_(std::move(wake)), driver_max_wait_(driver_max_wait) {}
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  Id Schedule(absl::Time when, Callback callback) override;
  bool Cancel(Id id) override;

  // Removes the timers due at `now` and returns their callbacks in due
  // order (ties in scheduling order); `*next` becomes the wait until the
  // next pending one, or InfiniteDuration() if none.
  std::vector<Callback> TakeDue(absl::Time now, absl::Duration* next);
  // Drops every pending timer without running it: Cancel() then reports
  // false for them.
  void DropAll();

 private:
  absl::AnyInvocable<void()> wake_;
  const absl::Duration driver_max_wait_;
  absl::Mutex mu_;
  // Pending timers by (due time, id), and each id's due time.
  std::map<std::pair<absl::Time, Id>, Callback> timers_ ABSL_GUARDED_BY(mu_);
  std::map<Id, absl::Time> due_ ABSL_GUARDED_BY(mu_);
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // When the driver calls TakeDue() next at the latest: the `next` it was
  // last given (at most `driver_max_wait_` after that call), or the
  // earliest timer it was woken for since.
  absl::Time driver_due_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
};

}  // namespace userimage

#endif  // SERVER_TIME_TIMER_QUEUE_H_
