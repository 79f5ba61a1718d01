#include "server/time/timer_queue.h"

#include <algorithm>

namespace userimage {

Timers::Id TimerQueue::Schedule(absl::Time when, Callback callback) {
  Id id;
  bool wake;
  {
    absl::MutexLock lock(&mu_);
    id = next_id_++;
    timers_.emplace(std::make_pair(when, id), std::move(callback));
    due_.emplace(id, when);
    // The driver calls TakeDue() again by `driver_due_` whatever happens
    // (a cancelled timer's due time included): only a timer due before it
    // needs the driver to wake up sooner.
    wake = when < driver_due_;
    if (wake) driver_due_ = when;
  }
  if (wake && wake_) wake_();
  return id;
}

bool TimerQueue::Cancel(Id id) {
  Callback dropped;  // Destroyed after the lock is released.
  absl::MutexLock lock(&mu_);
  auto it = due_.find(id);
  if (it == due_.end()) return false;
  dropped = std::move(timers_.extract(std::make_pair(it->second, id)).mapped());
  due_.erase(it);
  return true;
}

std::vector<TimerQueue::Callback> TimerQueue::TakeDue(absl::Time now,
                                                      absl::Duration* next) {
  std::vector<Callback> due;
  *next = absl::InfiniteDuration();
  absl::MutexLock lock(&mu_);
  while (!timers_.empty()) {
    const absl::Time when = timers_.begin()->first.first;
    if (when > now) {
      *next = when - now;
      driver_due_ = std::min(when, now + driver_max_wait_);
      return due;
    }
    auto node = timers_.extract(timers_.begin());
    due_.erase(node.key().second);
    due.push_back(std::move(node.mapped()));
  }
  driver_due_ = now + driver_max_wait_;
  return due;
}

void TimerQueue::DropAll() {
  decltype(timers_) dropped;  // Destroyed after the lock is released.
  absl::MutexLock lock(&mu_);
  dropped.swap(timers_);
  due_.clear();
}

}  // namespace userimage
