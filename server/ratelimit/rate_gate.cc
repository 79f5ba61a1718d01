#include "server/ratelimit/rate_gate.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/rpc/error_details.pb.h"
#include "server/status/status_details.h"

namespace userimage {

namespace {
// Most requests asked of the shared quota at once.
constexpr int kMaxTake = 16;
}  // namespace

RateGate::RateGate(RateGateOptions options, Clock& clock, Timers& timers)
    : options_(std::move(options)), clock_(clock), timers_(timers) {
  if (options_.pacing && options_.quota > 0) {
    const Pacing share =
        PacingFor(std::max(1, options_.quota / std::max(1, options_.replicas)),
                  options_.window);
    bucket_.emplace(share.burst, share.interval, clock_.Now());
    shared_interval_ = PacingFor(options_.quota, options_.window).interval;
  }
  if (options_.shared != nullptr) {
    // Learn at once whether the shared quota is reachable.
    {
      const absl::Time now = clock_.Now();
      absl::MutexLock lock(&mu_);
      take_in_flight_ = true;
      take_wanted_ = 0;
      take_started_ = now;
      ++shared_callbacks_;
    }
    options_.shared->Take(0, [this](absl::StatusOr<SharedQuota::Grant> result) {
      OnShared(std::move(result));
    });
  }
}

RateGate::~RateGate() {
  Timers::Id timer;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    timer = std::exchange(wake_timer_, 0);
  }
  if (timer != 0 && timers_.Cancel(timer)) {
    absl::MutexLock lock(&mu_);
    --timer_callbacks_;
  }
  absl::MutexLock lock(&mu_);
  // A wake-up already running, or a shared quota's answer, still uses the
  // gate: wait for them.
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return shared_callbacks_ == 0 && timer_callbacks_ == 0;
  };
  mu_.Await(absl::Condition(&idle));
}

absl::Time RateGate::EstimateStart(absl::Time now, size_t position) const {
  absl::Time start = std::max(now, paused_until_);
  if (options_.shared != nullptr && !degraded_) {
    // Optimistic: as if this replica had the whole quota.
    start = std::max(start, shared_next_try_) + shared_interval_ * position;
  } else if (bucket_.has_value()) {
    start = bucket_->NextAvailable(start) + bucket_->interval() * position;
  }
  return start;
}

absl::Status RateGate::NoRoomBefore(absl::Time start, absl::Time now) const {
  const absl::Duration wait = start - now;
  absl::Status status = absl::ResourceExhaustedError(absl::StrFormat(
      "Clerk's rate limit leaves no room to send this request before the "
      "call's deadline (the earliest start is in %s, %d requests are "
      "waiting); retry after that or with a longer deadline",
      absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1))),
      queue_.size()));
  SetRetryDelay(status, wait);
  google::rpc::ErrorInfo info;
  info.set_reason("RATE_LIMITED");
  info.set_domain(std::string(kServiceErrorDomain));
  SetDetail(status, info);
  return status;
}

RateGate::Ticket RateGate::Acquire(absl::Time deadline, bool priority,
                                   Callback proceed) {
  absl::Status refusal;
  Ticket ticket = 0;
  {
    const absl::Time now = clock_.Now();
    absl::MutexLock lock(&mu_);
    const absl::Time start = EstimateStart(now, priority ? 0 : queue_.size());
    if (start > deadline) {
      refusal = NoRoomBefore(start, now);
    } else {
      ticket = next_ticket_++;
      Waiter waiter{ticket, deadline, std::move(proceed)};
      if (priority) {
        queue_.push_front(std::move(waiter));
      } else {
        queue_.push_back(std::move(waiter));
      }
    }
  }
  if (ticket == 0) {
    std::move(proceed)(refusal);
    return 0;
  }
  Dispatch();
  return ticket;
}

bool RateGate::Cancel(Ticket ticket) {
  Callback proceed;
  {
    absl::MutexLock lock(&mu_);
    auto it =
        std::find_if(queue_.begin(), queue_.end(),
                     [ticket](const Waiter& w) { return w.ticket == ticket; });
    if (it == queue_.end()) return false;
    proceed = std::move(it->proceed);
    queue_.erase(it);
  }
  std::move(proceed)(absl::CancelledError(
      "the call was cancelled while waiting for Clerk's rate limit"));
  return true;
}

void RateGate::PauseUntil(absl::Time until) {
  std::vector<Ready> ready;
  absl::Duration shared_pause;
  {
    const absl::Time now = clock_.Now();
    until = std::min(until, now + options_.max_pause);
    absl::MutexLock lock(&mu_);
    paused_until_ = std::max(paused_until_, until);
    shared_pause = until - now;
    size_t position = 0;
    for (auto it = queue_.begin(); it != queue_.end();) {
      const absl::Time start = EstimateStart(now, position);
      if (start > it->deadline) {
        ready.push_back({std::move(it->proceed), NoRoomBefore(start, now)});
        it = queue_.erase(it);
      } else {
        ++it;
        ++position;
      }
    }
  }
  if (options_.shared != nullptr && shared_pause > absl::ZeroDuration()) {
    options_.shared->Pause(shared_pause);
  }
  for (Ready& r : ready) std::move(r.proceed)(std::move(r.status));
  Dispatch();
}

void RateGate::ExpireLocked(absl::Time now, std::vector<Ready>& ready) {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->deadline <= now) {
      ready.push_back({std::move(it->proceed),
                       absl::DeadlineExceededError(
                           "the call's deadline passed while it waited for "
                           "Clerk's rate limit")});
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

void RateGate::Dispatch() {
  std::vector<Ready> ready;
  std::optional<int> take;
  absl::Status unanswered;
  WakeChange wake_change;
  {
    const absl::Time now = clock_.Now();
    absl::MutexLock lock(&mu_);
    ExpireLocked(now, ready);
    // A question the shared quota leaves unanswered too long (a hung
    // connection, a slow name lookup) counts as unreachable; a late answer
    // is still taken.
    const absl::Time answer_due =
        take_started_ + options_.shared_answer_timeout;
    if (take_in_flight_ && !degraded_ && now >= answer_due) {
      unanswered = absl::DeadlineExceededError(
          absl::StrCat("the shared quota did not answer within ",
                       absl::FormatDuration(options_.shared_answer_timeout)));
      degraded_ = true;
      if (bucket_.has_value()) bucket_->Drain(now);
      shared_next_try_ = now + std::max(options_.shared_retry_interval,
                                        absl::Milliseconds(10));
    }
    const bool shared = options_.shared != nullptr && !degraded_;
    absl::Time next_release = absl::InfiniteFuture();
    while (!queue_.empty()) {
      if (now < paused_until_) {
        next_release = paused_until_;
        break;
      }
      if (shared) break;  // Released by the shared quota's grants.
      if (bucket_.has_value() && !bucket_->TryTake(now)) {
        next_release = bucket_->NextAvailable(now);
        break;
      }
      ready.push_back({std::move(queue_.front().proceed), absl::OkStatus()});
      queue_.pop_front();
    }
    absl::Time wake = next_release;
    for (const Waiter& w : queue_) wake = std::min(wake, w.deadline);
    if (queue_.empty()) wake = absl::InfiniteFuture();
    // Ask the shared quota for the waiting requests, or, while it is
    // unreachable, whether it is back.
    if (options_.shared != nullptr && !take_in_flight_ && !stopping_ &&
        (degraded_ || (!queue_.empty() && now >= paused_until_))) {
      if (now >= shared_next_try_) {
        take =
            degraded_
                ? 0
                : static_cast<int>(std::min<size_t>(queue_.size(), kMaxTake));
        take_in_flight_ = true;
        take_wanted_ = *take;
        take_started_ = now;
        ++shared_callbacks_;
      } else {
        wake = std::min(wake, shared_next_try_);
      }
    }
    if (take_in_flight_ && !degraded_) {
      wake = std::min(wake, take_started_ + options_.shared_answer_timeout);
    }
    if (wake != wake_at_ && !stopping_) {
      wake_change.cancel = std::exchange(wake_timer_, 0);
      wake_at_ = wake;
      if (wake != absl::InfiniteFuture()) {
        wake_change.at = wake;
        wake_change.generation = ++wake_generation_;
        ++timer_callbacks_;
      }
    }
  }
  ApplyWakeChange(wake_change);
  if (!unanswered.ok() && options_.on_shared_state) {
    options_.on_shared_state(false, unanswered);
  }
  if (take.has_value()) {
    options_.shared->Take(*take,
                          [this](absl::StatusOr<SharedQuota::Grant> result) {
                            OnShared(std::move(result));
                          });
  }
  for (Ready& r : ready) std::move(r.proceed)(std::move(r.status));
}

void RateGate::ApplyWakeChange(const WakeChange& change) {
  if (change.cancel != 0 && timers_.Cancel(change.cancel)) {
    absl::MutexLock lock(&mu_);
    --timer_callbacks_;
  }
  if (change.generation == 0) return;
  const uint64_t generation = change.generation;
  const Timers::Id timer =
      timers_.Schedule(change.at, [this, generation] { Wake(generation); });
  bool superseded;
  {
    absl::MutexLock lock(&mu_);
    // Another Dispatch() replaced this wake-up before its id was recorded
    // (so it could not cancel it), or the gate is stopping.
    superseded = generation != wake_generation_ || stopping_;
    if (!superseded) wake_timer_ = timer;
  }
  if (superseded && timers_.Cancel(timer)) {
    absl::MutexLock lock(&mu_);
    --timer_callbacks_;
  }
}

void RateGate::OnShared(absl::StatusOr<SharedQuota::Grant> result) {
  std::vector<Ready> ready;
  std::optional<bool> now_in_use;
  {
    const absl::Time now = clock_.Now();
    absl::MutexLock lock(&mu_);
    take_in_flight_ = false;
    if (!result.ok()) {
      if (!degraded_) {
        degraded_ = true;
        now_in_use = false;
        if (bucket_.has_value()) bucket_->Drain(now);
      }
      shared_next_try_ = now + std::max(options_.shared_retry_interval,
                                        absl::Milliseconds(10));
    } else {
      if (degraded_) {
        degraded_ = false;
        now_in_use = true;
      }
      if (result->paused_for > absl::ZeroDuration()) {
        paused_until_ =
            std::max(paused_until_,
                     now + std::min(result->paused_for, options_.max_pause));
      }
      ExpireLocked(now, ready);
      // A 429 seen here while the question was in flight outranks the
      // grant: send nothing before the pause ends (the grant is lost).
      const int granted = now < paused_until_ ? 0 : result->granted;
      for (int i = 0; i < granted && !queue_.empty(); ++i) {
        ready.push_back({std::move(queue_.front().proceed), absl::OkStatus()});
        queue_.pop_front();
      }
      shared_next_try_ =
          result->granted < take_wanted_ ? now + result->retry_in : now;
    }
  }
  if (now_in_use.has_value() && options_.on_shared_state) {
    options_.on_shared_state(*now_in_use, result.status());
  }
  for (Ready& r : ready) std::move(r.proceed)(std::move(r.status));
  Dispatch();
  absl::MutexLock lock(&mu_);
  --shared_callbacks_;
}

void RateGate::Wake(uint64_t generation) {
  {
    absl::MutexLock lock(&mu_);
    // A timer that was replaced while this one fired leaves the new one be.
    if (generation == wake_generation_) {
      wake_timer_ = 0;
      wake_at_ = absl::InfiniteFuture();
    }
  }
  Dispatch();
  absl::MutexLock lock(&mu_);
  --timer_callbacks_;
}

size_t RateGate::waiting() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::Time RateGate::paused_until() const {
  absl::MutexLock lock(&mu_);
  return paused_until_;
}

bool RateGate::shared_in_use() const {
  absl::MutexLock lock(&mu_);
  return options_.shared != nullptr && !degraded_;
}

}  // namespace userimage
