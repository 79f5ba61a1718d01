#include "server/ratelimit/rate_gate.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "google/rpc/error_details.pb.h"
#include "server/status/status_details.h"

namespace userimage {

RateGate::RateGate(RateGateOptions options, Clock& clock, Timers& timers)
    : options_(options), clock_(clock), timers_(timers) {
  if (options_.pacing && options_.quota > 0) {
    const int burst = std::max(1, options_.quota / 50);
    const int paced = std::max(1, options_.quota - burst);
    bucket_.emplace(burst, options_.window / paced, clock_.Now());
  }
}

RateGate::~RateGate() {
  absl::MutexLock lock(&mu_);
  if (wake_timer_ != 0) timers_.Cancel(wake_timer_);
}

absl::Time RateGate::EstimateStart(absl::Time now, size_t position) const {
  absl::Time start = std::max(now, paused_until_);
  if (bucket_.has_value()) {
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
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
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
  {
    absl::MutexLock lock(&mu_);
    paused_until_ = std::max(paused_until_, until);
    const absl::Time now = clock_.Now();
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
  for (Ready& r : ready) std::move(r.proceed)(std::move(r.status));
  Dispatch();
}

void RateGate::Dispatch() {
  std::vector<Ready> ready;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    // Requests whose deadline passed while they waited.
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
    absl::Time next_release = absl::InfiniteFuture();
    while (!queue_.empty()) {
      if (now < paused_until_) {
        next_release = paused_until_;
        break;
      }
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
    if (wake != wake_at_) {
      if (wake_timer_ != 0) timers_.Cancel(wake_timer_);
      wake_timer_ = 0;
      wake_at_ = wake;
      if (wake != absl::InfiniteFuture()) {
        wake_timer_ = timers_.Schedule(wake, [this] { Wake(); });
      }
    }
  }
  for (Ready& r : ready) std::move(r.proceed)(std::move(r.status));
}

void RateGate::Wake() {
  {
    absl::MutexLock lock(&mu_);
    wake_timer_ = 0;
    wake_at_ = absl::InfiniteFuture();
  }
  Dispatch();
}

size_t RateGate::waiting() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

absl::Time RateGate::paused_until() const {
  absl::MutexLock lock(&mu_);
  return paused_until_;
}

}  // namespace userimage
