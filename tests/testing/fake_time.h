#ifndef TESTS_TESTING_FAKE_TIME_H_
#define TESTS_TESTING_FAKE_TIME_H_

#include <deque>
#include <functional>
#include <map>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "server/time/clock.h"

namespace userimage {

// A clock and timers under the test's control: time stands still until
// Advance(), which runs every callback falling due, in time order, on the
// calling thread. SetBeforeRun() lets a test act in the instant between a
// timer being taken off the queue (Cancel() now returns false) and its
// callback running. Thread-safe.
class FakeTime final : public Clock, public Timers {
 public:
  explicit FakeTime(absl::Time start = absl::FromUnixSeconds(1'800'000'000))
      : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  Id Schedule(absl::Time when,
              absl::AnyInvocable<void() &&> callback) override {
    absl::MutexLock lock(&mu_);
    const Id id = next_id_++;
    ++scheduled_;
    pending_.emplace(std::make_pair(when, id), std::move(callback));
    return id;
  }

  bool Cancel(Id id) override {
    absl::MutexLock lock(&mu_);
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->first.second == id) {
        pending_.erase(it);
        return true;
      }
    }
    return false;
  }

  // Runs `hook` (with the timer's id) each time a due timer has been taken
  // off the queue, just before its callback runs; outside the lock.
  void SetBeforeRun(std::function<void(Id)> hook) {
    absl::MutexLock lock(&mu_);
    before_run_ = std::move(hook);
  }

  // Moves time forward by `d`, running due callbacks as time passes them.
  void Advance(absl::Duration d) { AdvanceTo(Now() + d); }

  void AdvanceTo(absl::Time target) {
    while (true) {
      absl::AnyInvocable<void() &&> callback;
      std::function<void(Id)> before_run;
      Id id;
      {
        absl::MutexLock lock(&mu_);
        if (pending_.empty() || pending_.begin()->first.first > target) {
          now_ = std::max(now_, target);
          return;
        }
        auto node = pending_.extract(pending_.begin());
        now_ = std::max(now_, node.key().first);
        id = node.key().second;
        callback = std::move(node.mapped());
        before_run = before_run_;
      }
      if (before_run) before_run(id);
      std::move(callback)();
    }
  }

  // Time of the earliest pending timer, or InfiniteFuture().
  absl::Time NextDue() const {
    absl::MutexLock lock(&mu_);
    return pending_.empty() ? absl::InfiniteFuture()
                            : pending_.begin()->first.first;
  }

  size_t pending() const {
    absl::MutexLock lock(&mu_);
    return pending_.size();
  }

  // Timers scheduled so far, run or not.
  uint64_t scheduled() const {
    absl::MutexLock lock(&mu_);
    return scheduled_;
  }

  // Blocks until `n` timers have been scheduled in all (by other threads).
  void AwaitScheduled(uint64_t n) const {
    auto reached = [this, n]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      return scheduled_ >= n;  // Called with mu_ held.
    };
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&reached));
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t scheduled_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::pair<absl::Time, Id>, absl::AnyInvocable<void() &&>> pending_
      ABSL_GUARDED_BY(mu_);
  std::function<void(Id)> before_run_ ABSL_GUARDED_BY(mu_);
};

// Returns the given values in turn (then repeats the last one).
class FakeRandom final : public RandomSource {
 public:
  explicit FakeRandom(std::deque<double> values) : values_(std::move(values)) {}
  double Uniform() override {
    absl::MutexLock lock(&mu_);
    double v = values_.front();
    if (values_.size() > 1) values_.pop_front();
    return v;
  }

 private:
  absl::Mutex mu_;
  std::deque<double> values_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // TESTS_TESTING_FAKE_TIME_H_
