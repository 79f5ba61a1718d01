#include "server/clerk/user_lease.h"

#include <algorithm>
#include <utility>

#include "server/log/json_log.h"

namespace userimage {

UserLease::UserLease(UserLeaseOptions options, SharedUserOrder& order,
                     Timers& timers, Clock& clock, Metrics& metrics,
                     std::string user_id, uint64_t token)
    : options_(options),
      order_(order),
      timers_(timers),
      clock_(clock),
      metrics_(metrics),
      user_id_(std::move(user_id)),
      token_(token) {}

void UserLease::Acquire(absl::Time deadline, Callback done) {
  const absl::Time now = clock_.Now();
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    done_ = std::move(done);
    state_ = State::kClaiming;
    cancelled = cancelled_;
    deadline_ = deadline;
    started_at_ = now;
    next_poll_ = options_.first_poll;
    granted_seen_ = false;
  }
  if (cancelled) {
    Finish(Outcome::kCancelled);
  } else {
    SendClaim();
  }
}

void UserLease::Cancel() {
  Timers::Id timer;
  {
    absl::MutexLock lock(&mu_);
    if (cancelled_) return;
    cancelled_ = true;
    // A claim in flight is decided by OnClaim(); an idle or held lease has
    // nothing to end.
    if (state_ != State::kWaiting) return;
    timer = timer_;
  }
  // A timer that already fired owns the finish (OnWaitTimer() sees the
  // mark); an unknown id is cancelled where it is recorded (Wait()).
  if (timer != 0 && timers_.Cancel(timer)) Finish(Outcome::kCancelled);
}

void UserLease::Release() {
  Timers::Id timer;
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kHeld) return;
    state_ = State::kIdle;
    ++round_;
    timer = std::exchange(timer_, 0);
  }
  if (timer != 0) timers_.Cancel(timer);
  order_.Release(user_id_, token_);
}

void UserLease::SendClaim() {
  const absl::Time sent_at = clock_.Now();
  order_.Claim(user_id_, token_, options_.ttl,
               [self = shared_from_this(),
                sent_at](absl::StatusOr<SharedUserOrder::ClaimResult> claim) {
                 self->OnClaim(sent_at, std::move(claim));
               });
}

void UserLease::OnClaim(absl::Time sent_at,
                        absl::StatusOr<SharedUserOrder::ClaimResult> claim) {
  const absl::Time now = clock_.Now();
  const bool granted =
      claim.ok() && claim->verdict == SharedUserOrder::Verdict::kGranted;
  bool cancelled;
  absl::Time deadline;
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kClaiming) return;
    cancelled = cancelled_;
    deadline = deadline_;
    // A grant, even one set aside, may still hold the lease in Redis.
    granted_seen_ = granted_seen_ || granted;
  }
  if (cancelled) {
    Finish(Outcome::kCancelled);
  } else if (!claim.ok()) {
    LogEvent(LogLevel::kWarning, "user_order_unavailable",
             {{"user_id", LogString(user_id_)},
              {"error", LogString(claim.status().message())}});
    Finish(Outcome::kUnavailable);
  } else if (claim->verdict == SharedUserOrder::Verdict::kSuperseded) {
    Finish(Outcome::kSuperseded);
  } else if (claim->verdict == SharedUserOrder::Verdict::kBusy) {
    Wait(claim->holder_ttl);
  } else if (now - sent_at > options_.ttl / 2) {
    // The fence: too late to trust that the lease is still ours.
    if (now >= deadline) {
      Finish(Outcome::kDeadlineExceeded);
    } else {
      SendClaim();
    }
  } else {
    Finish(Outcome::kGranted, sent_at);
  }
}

void UserLease::Wait(absl::Duration holder_ttl) {
  const absl::Time now = clock_.Now();
  uint64_t round = 0;
  absl::Duration delay;
  bool late;
  {
    absl::MutexLock lock(&mu_);
    delay = std::min(next_poll_, std::max(holder_ttl, absl::Milliseconds(1)));
    next_poll_ = std::min(next_poll_ * 2, options_.max_poll);
    late = now + delay >= deadline_;
    if (!late) {
      state_ = State::kWaiting;
      round = ++round_;
      timer_ = 0;
    }
  }
  if (late) {
    Finish(Outcome::kDeadlineExceeded);
    return;
  }
  const Timers::Id timer = timers_.Schedule(
      now + delay,
      [self = shared_from_this(), round] { self->OnWaitTimer(round); });
  bool cancel = false;
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kWaiting && round_ == round) {
      timer_ = timer;
      // A Cancel() that came before the id was known left it to us.
      cancel = cancelled_;
    }
  }
  if (cancel && timers_.Cancel(timer)) Finish(Outcome::kCancelled);
}

void UserLease::OnWaitTimer(uint64_t round) {
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kWaiting || round_ != round) return;
    state_ = State::kClaiming;
    timer_ = 0;
    cancelled = cancelled_;
  }
  if (cancelled) {
    Finish(Outcome::kCancelled);
  } else {
    SendClaim();
  }
}

void UserLease::ScheduleRenewal(absl::Time extended_at) {
  uint64_t round;
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kHeld) return;
    round = ++round_;
  }
  // A third of the way through the lease as Redis may have set it (no
  // later than when the claim or renewal was sent), so a reply or a timer
  // running late still leaves two thirds of it.
  const Timers::Id timer = timers_.Schedule(
      extended_at + options_.ttl / 3,
      [self = shared_from_this(), round] { self->OnRenewTimer(round); });
  bool released = false;
  {
    absl::MutexLock lock(&mu_);
    if (state_ == State::kHeld && round_ == round) {
      timer_ = timer;
    } else {
      released = true;  // Release() came before the id was known.
    }
  }
  if (released) timers_.Cancel(timer);
}

void UserLease::OnRenewTimer(uint64_t round) {
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kHeld || round_ != round) return;
    timer_ = 0;
  }
  const absl::Time sent_at = clock_.Now();
  order_.Renew(
      user_id_, token_, options_.ttl,
      [self = shared_from_this(), round, sent_at](absl::StatusOr<bool> held) {
        self->OnRenewed(round, sent_at, std::move(held));
      });
}

void UserLease::OnRenewed(uint64_t round, absl::Time sent_at,
                          absl::StatusOr<bool> held) {
  {
    absl::MutexLock lock(&mu_);
    if (state_ != State::kHeld || round_ != round) return;
  }
  if (held.ok() && !*held) {
    // Nothing can be unsent; the next claim (a retry) learns where the
    // order stands.
    metrics_.RecordUserLeaseLost();
    LogEvent(LogLevel::kWarning, "user_lease_lost",
             {{"user_id", LogString(user_id_)}});
    return;
  }
  // After an error too (Redis may be back by then), counting from the
  // last extension that may have happened.
  ScheduleRenewal(sent_at);
}

void UserLease::Finish(Outcome outcome, absl::Time claimed_at) {
  const absl::Time now = clock_.Now();
  Callback done;
  bool release;
  absl::Duration waited;
  {
    absl::MutexLock lock(&mu_);
    if (done_ == nullptr) return;
    waited = now - started_at_;
    done = std::move(done_);
    done_ = nullptr;
    state_ = outcome == Outcome::kGranted ? State::kHeld : State::kIdle;
    ++round_;
    timer_ = 0;
    // Not granted after all: a grant set aside (by the fence or a cancel)
    // or a claim whose answer was lost may still hold the lease in Redis.
    release = outcome != Outcome::kGranted &&
              (granted_seen_ || outcome == Outcome::kUnavailable);
  }
  if (outcome == Outcome::kGranted) {
    metrics_.RecordUserLeaseWait(waited);
    ScheduleRenewal(claimed_at);
  } else if (release) {
    order_.Release(user_id_, token_);  // Only if it is still ours.
  }
  std::move(done)(outcome);
}

}  // namespace userimage
