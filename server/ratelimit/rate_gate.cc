#include "server/ratelimit/rate_gate.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/rpc/error_details.pb.h"
#include "server/ratelimit/local_pacing.h"
#include "server/ratelimit/shared_permits.h"
#include "server/ratelimit/token_bucket.h"
#include "server/status/status_details.h"

namespace userimage {

namespace {

std::unique_ptr<PermitSource> SourceFor(const RateGateOptions& options,
                                        absl::Time now) {
  LocalPacing local({.quota = options.quota,
                     .window = options.window,
                     .pacing = options.pacing,
                     .replicas = options.replicas},
                    now);
  if (options.shared == nullptr) {
    return std::make_unique<LocalPacing>(std::move(local));
  }
  const bool paced = options.pacing && options.quota > 0;
  return std::make_unique<SharedPermits>(
      SharedPermitsOptions{
          .pacing_interval =
              paced ? PacingFor(options.quota, options.window).interval
                    : absl::ZeroDuration(),
          .retry_interval = options.shared_retry_interval,
          .answer_timeout = options.shared_answer_timeout,
          .max_pause = options.max_pause,
          .on_state = options.on_shared_state},
      *options.shared, std::move(local));
}

}  // namespace

RateGate::RateGate(RateGateOptions options, Clock& clock, Timers& timers)
    : RateGate(SourceFor(options, clock.Now()), options, clock, timers) {}

RateGate::RateGate(std::unique_ptr<PermitSource> source,
                   RateGateOptions options, Clock& clock, Timers& timers)
    : options_(std::move(options)),
      clock_(clock),
      timers_(timers),
      source_(std::move(source)),
      queue_(options_.weights != nullptr ? *options_.weights
                                         : default_weights_) {
  source_->Attach(*this);
  Dispatch();  // A source may start work at once (asking Redis).
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
  // A wake-up already running, or an answer the source still waits for,
  // still uses the gate: wait for them.
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return timer_callbacks_ == 0 && updates_running_ == 0 && source_->idle();
  };
  mu_.Await(absl::Condition(&idle));
}

absl::Time RateGate::HeldUntilLocked() const {
  return std::max(paused_until_, source_->HeldUntil());
}

absl::Time RateGate::EstimateStart(absl::Time now, size_t position) const {
  return source_->EstimateStart(std::max(now, HeldUntilLocked()), position);
}

absl::Status RateGate::NoRoomBefore(absl::Time start, absl::Time now,
                                    size_t position) const {
  const absl::Duration wait = start - now;
  absl::Status status = absl::ResourceExhaustedError(absl::StrFormat(
      "Clerk's rate limit leaves no room to send this request before the "
      "call's deadline (the earliest start is in %s, %d waiting requests "
      "leave before it); retry after that or with a longer deadline",
      absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1))), position));
  SetRetryDelay(status, wait);
  google::rpc::ErrorInfo info;
  info.set_reason("RATE_LIMITED");
  info.set_domain(std::string(kServiceErrorDomain));
  SetDetail(status, info);
  return status;
}

absl::Status RateGate::QueueFull(const Sender& sender, absl::Time now) const {
  // A place frees when the caller's first waiting request leaves, which
  // its share of the permits decides.
  const absl::Time next =
      EstimateStart(now, queue_.FirstPositionOf(sender).value_or(0));
  const absl::Duration wait = std::max(next - now, absl::Milliseconds(1));
  const std::string& caller = sender.caller;
  absl::Status status = absl::ResourceExhaustedError(absl::StrFormat(
      "caller %s already has %d %s requests waiting for Clerk's rate limit, "
      "the most allowed (--max_queued_per_caller); at its share of the "
      "quota the next leaves in %s: send more slowly",
      caller.empty() ? "(anonymous)" : caller, options_.max_queued_per_caller,
      sender.priority == Priority::kBulk ? "bulk" : "interactive",
      absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1)))));
  SetRetryDelay(status, wait);
  google::rpc::ErrorInfo info;
  info.set_reason("CALLER_QUEUE_FULL");
  info.set_domain(std::string(kServiceErrorDomain));
  (*info.mutable_metadata())["caller"] = caller;
  (*info.mutable_metadata())["max_queued"] =
      absl::StrCat(options_.max_queued_per_caller);
  SetDetail(status, info);
  return status;
}

absl::Status RateGate::Admit(const Request& request, absl::Time now) const {
  if (!request.retry && options_.max_queued_per_caller > 0 &&
      queue_.queued(request.sender) >= options_.max_queued_per_caller) {
    return QueueFull(request.sender, now);
  }
  const size_t position = queue_.PositionOf(request.sender, request.retry);
  const absl::Time start = EstimateStart(now, position);
  if (start > request.deadline) return NoRoomBefore(start, now, position);
  return absl::OkStatus();
}

RateGate::Ticket RateGate::Acquire(Request request, Callback proceed) {
  absl::Status refusal;
  Ticket ticket = 0;
  {
    const absl::Time now = clock_.Now();
    absl::MutexLock lock(&mu_);
    refusal = Admit(request, now);
    if (refusal.ok()) {
      ticket = next_ticket_++;
      queue_.Push(request.sender, request.retry,
                  {ticket, request.deadline, std::move(proceed)});
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
    std::optional<FairQueue::Entry> entry = queue_.Remove(ticket);
    if (!entry.has_value()) return false;
    proceed = std::move(entry->proceed);
  }
  std::move(proceed)(absl::CancelledError(
      "the call was cancelled while waiting for Clerk's rate limit"));
  return true;
}

void RateGate::PauseUntil(absl::Time until) {
  Actions actions;
  {
    const absl::Time now = clock_.Now();
    until = std::min(until, now + options_.max_pause);
    absl::MutexLock lock(&mu_);
    paused_until_ = std::max(paused_until_, until);
    if (until > now) source_->Pause(until - now, actions.deferred);
    std::vector<absl::Status> why;
    std::vector<FairQueue::Entry> late = queue_.RemoveInOrder(
        [&](const FairQueue::Entry& entry, size_t position) {
          const absl::Time start = EstimateStart(now, position);
          if (start <= entry.deadline) return false;
          why.push_back(NoRoomBefore(start, now, position));
          return true;
        });
    for (size_t i = 0; i < late.size(); ++i) {
      actions.ready.push_back({std::move(late[i].proceed), std::move(why[i])});
    }
  }
  Run(actions);
  Dispatch();
}

void RateGate::ExpireLocked(absl::Time now, std::vector<Ready>& ready) {
  for (FairQueue::Entry& entry : queue_.RemoveExpired(now)) {
    ready.push_back({std::move(entry.proceed),
                     absl::DeadlineExceededError(
                         "the call's deadline passed while it waited for "
                         "Clerk's rate limit")});
  }
}

void RateGate::Dispatch() {
  Actions actions;
  {
    const absl::Time now = clock_.Now();
    absl::MutexLock lock(&mu_);
    DispatchLocked(now, actions);
  }
  Run(actions);
}

void RateGate::Update(Change change) {
  {
    Actions actions;  // Destroyed before the gate may be.
    {
      const absl::Time now = clock_.Now();
      absl::MutexLock lock(&mu_);
      ++updates_running_;
      std::move(change)(now, actions.deferred);
      DispatchLocked(now, actions);
    }
    Run(actions);
  }
  absl::MutexLock lock(&mu_);
  --updates_running_;
}

void RateGate::DispatchLocked(absl::Time now, Actions& actions) {
  ExpireLocked(now, actions.ready);
  if (stopping_) return;  // Nothing waits; no new work for the source.
  const absl::Time held_until = HeldUntilLocked();
  const bool held = now < held_until;
  auto count = [held](size_t n) {
    return held ? 0
                : static_cast<int>(
                      std::min<size_t>(n, std::numeric_limits<int>::max() / 2));
  };
  const PermitSource::Permits permits =
      source_->Take(now,
                    {.interactive = count(queue_.size(Priority::kInteractive)),
                     .bulk = count(queue_.size(Priority::kBulk))},
                    actions.deferred);
  for (int i = 0; i < permits.granted && !queue_.empty(); ++i) {
    actions.ready.push_back(
        {std::move(queue_.Pop().proceed), absl::OkStatus()});
  }
  // Wake for the source's next permits or work, the end of a pause, and
  // the first deadline.
  absl::Time wake = permits.ask_again;
  if (!queue_.empty()) {
    if (held) wake = std::min(wake, held_until);
    wake = std::min(wake, queue_.EarliestDeadline());
  }
  PlanWakeLocked(wake, actions.wake);
}

void RateGate::PlanWakeLocked(absl::Time wake, WakeChange& change) {
  if (wake == wake_at_) return;
  change.cancel = std::exchange(wake_timer_, 0);
  wake_at_ = wake;
  if (wake != absl::InfiniteFuture()) {
    change.at = wake;
    change.generation = ++wake_generation_;
    ++timer_callbacks_;
  }
}

// The requests released are told before the source's deferred work runs:
// a shared quota that answers its next question at once must not release
// the next requests before these are (they left first).
void RateGate::Run(Actions& actions) {
  ApplyWakeChange(actions.wake);
  for (Ready& r : actions.ready) std::move(r.proceed)(std::move(r.status));
  for (auto& work : actions.deferred) std::move(work)();
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

size_t RateGate::waiting(absl::string_view caller) const {
  absl::MutexLock lock(&mu_);
  return queue_.queued(caller);
}

absl::Time RateGate::paused_until() const {
  absl::MutexLock lock(&mu_);
  return HeldUntilLocked();
}

bool RateGate::shared_in_use() const {
  absl::MutexLock lock(&mu_);
  return source_->shared();
}

}  // namespace userimage
