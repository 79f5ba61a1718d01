#include "server/time/thread_timers.h"

namespace userimage {

ThreadTimers::ThreadTimers() : thread_([this] { Run(); }) {}

ThreadTimers::~ThreadTimers() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

Timers::Id ThreadTimers::Schedule(absl::Time when,
                                  absl::AnyInvocable<void() &&> callback) {
  absl::MutexLock lock(&mu_);
  const Id id = next_id_++;
  pending_.emplace(std::make_pair(when, id), std::move(callback));
  due_.emplace(id, when);
  return id;
}

bool ThreadTimers::Cancel(Id id) {
  absl::MutexLock lock(&mu_);
  auto it = due_.find(id);
  if (it == due_.end()) return false;
  pending_.erase(std::make_pair(it->second, id));
  due_.erase(it);
  return true;
}

bool ThreadTimers::ShouldWake() const {
  return stopping_ || (!pending_.empty() && pending_.begin()->first < watched_);
}

void ThreadTimers::Run() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (!pending_.empty() && pending_.begin()->first.first <= absl::Now()) {
      auto node = pending_.extract(pending_.begin());
      due_.erase(node.key().second);
      mu_.Unlock();
      std::move(node.mapped())();
      mu_.Lock();
      continue;
    }
    // Sleep until the first timer is due, an earlier one is scheduled (the
    // condition is re-evaluated whenever Schedule() releases the mutex), or
    // shutdown.
    watched_ = pending_.empty()
                   ? std::make_pair(absl::InfiniteFuture(), Id{0})
                   : pending_.begin()->first;
    mu_.AwaitWithDeadline(absl::Condition(this, &ThreadTimers::ShouldWake),
                          watched_.first);
  }
}

}  // namespace userimage
