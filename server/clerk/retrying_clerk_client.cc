#include "server/clerk/retrying_clerk_client.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/rpc/error_details.pb.h"
#include "server/log/json_log.h"
#include "server/status/status_details.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::User;

// Says in `status` (message and ErrorInfo metadata "maybe_applied") that
// an attempt failed in a way Clerk may nevertheless have applied.
absl::Status MayHaveBeenApplied(const absl::Status& status) {
  absl::Status marked(
      status.code(),
      absl::StrCat(status.message(),
                   "; an attempt timed out or was cut off after the request "
                   "was sent, or a gateway answered 502/504, so Clerk may "
                   "already have applied the change"));
  status.ForEachPayload([&marked](absl::string_view url, const absl::Cord& p) {
    marked.SetPayload(url, p);
  });
  google::rpc::ErrorInfo info;
  if (auto existing = GetDetail<google::rpc::ErrorInfo>(marked)) {
    info = *existing;
  } else {
    info.set_reason(absl::StatusCodeToString(status.code()));
    info.set_domain(std::string(kServiceErrorDomain));
  }
  (*info.mutable_metadata())["maybe_applied"] = "true";
  SetDetail(marked, info);
  return marked;
}

// Records the number of attempts in the status's ErrorInfo.
absl::Status WithAttempts(absl::Status status, int attempts) {
  google::rpc::ErrorInfo info;
  if (auto existing = GetDetail<google::rpc::ErrorInfo>(status)) {
    info = *existing;
  } else {
    info.set_reason(absl::StatusCodeToString(status.code()));
    info.set_domain(std::string(kServiceErrorDomain));
  }
  (*info.mutable_metadata())["attempts"] = absl::StrCat(attempts);
  SetDetail(status, info);
  return status;
}

}  // namespace

bool IsRetryable(const ClerkOutcome& outcome) {
  switch (outcome.failure) {
    case ClerkFailure::kAnswered:
      switch (outcome.http_status) {
        case 429:
        case 500:
        case 502:
        case 503:
        case 504:
          return true;
        default:
          return false;
      }
    case ClerkFailure::kUnreachable:
      return true;
    case ClerkFailure::kNone:
    case ClerkFailure::kNotSent:
    case ClerkFailure::kAborted:        // a cancelled call, the end of a drain
    case ClerkFailure::kTlsUnverified:  // configuration: retrying cannot fix it
    case ClerkFailure::kInvalidAnswer:
      return false;
  }
  return false;
}

// The state of one request: [numbering in the shared order →] its user's
// line → gate → [lease claim →] attempt → (backoff timer → gate → [claim
// →] attempt)* → done. Shared by the callbacks that drive it. Each step
// decides under `mu_` and acts (order, line, gate, lease, timers, HTTP,
// metrics, `done`) after releasing it; `round_` tells a step's late
// callbacks from the current ones.
class RetryingClerkClient::Call final
    : public Operation,
      public UserLanes::Member,
      public std::enable_shared_from_this<Call> {
 public:
  Call(RetryingClerkClient& owner, std::string user_id, Sender sender,
       Attempt attempt, absl::Time deadline, Callback done)
      : owner_(owner),
        user_id_(std::move(user_id)),
        sender_(std::move(sender)),
        deadline_(deadline),
        entered_at_(owner.clock_.Now()),
        attempt_(std::make_shared<Attempt>(std::move(attempt))),
        done_(std::move(done)) {}

  // Numbers the request in the shared order, then enters its user's line.
  void Arrive() {
    owner_.options_.shared_order->Arrive(
        user_id_, [self = shared_from_this()](absl::StatusOr<uint64_t> token) {
          self->OnArrived(std::move(token));
        });
  }

  // Joins its user's line (OnTurn() comes when it is first in it).
  void EnterLine() {
    bool stopped;
    {
      absl::MutexLock lock(&mu_);
      if (stage_ == Stage::kDone) return;
      stopped = stopping();
      if (!stopped) stage_ = Stage::kLine;
    }
    if (stopped) {
      FinishStopped();
      return;
    }
    owner_.lanes_.Enter(user_id_, shared_from_this());
    bool finish;
    {
      absl::MutexLock lock(&mu_);
      entered_ = true;
      // A Stop() before the line knew this member left the finish to us.
      finish = stage_ == Stage::kLine && stopping();
    }
    if (finish) FinishStopped();
  }

  // Its user's turn: on to the gate.
  void OnTurn() override {
    {
      absl::MutexLock lock(&mu_);
      if (stage_ != Stage::kLine) return;
      stage_ = Stage::kIdle;
    }
    owner_.metrics_.RecordUserQueueWait(owner_.clock_.Now() - entered_at_);
    Queue();
  }

  // A newer request for the user arrived: end now unless a request is in
  // flight, which is awaited (and not retried).
  void OnSuperseded() override { Stop(/*cancel=*/false); }

  // Asks the gate for a slot; retries go ahead of new requests.
  void Queue() {
    uint64_t round = 0;
    bool retry = false;
    bool stopped = false;
    const absl::Time now = owner_.clock_.Now();
    {
      absl::MutexLock lock(&mu_);
      if (stage_ == Stage::kDone) return;
      stopped = stopping();
      if (!stopped) {
        stage_ = Stage::kGate;
        round = ++round_;
        ticket_ = 0;
        queued_at_ = now;
        retry = attempts_ > 0;
      }
    }
    if (stopped) {
      FinishStopped();
      return;
    }
    owner_.metrics_.RecordCallerQueued(sender_.caller, 1);
    const RateGate::Ticket ticket = owner_.gate_.Acquire(
        {.deadline = deadline_, .retry = retry, .sender = sender_},
        [self = shared_from_this(), round](absl::Status status) {
          self->OnGate(round, std::move(status));
        });
    Hook(RetryHookPoint::kAfterAcquire);
    bool cancel_ticket = false;
    {
      absl::MutexLock lock(&mu_);
      if (ticket != 0 && stage_ == Stage::kGate && round_ == round) {
        ticket_ = ticket;
        // A Cancel() that came before the ticket was known left it to us.
        cancel_ticket = stopping();
      }
    }
    if (cancel_ticket) owner_.gate_.Cancel(ticket);
  }

  void Cancel() override { Stop(/*cancel=*/true); }

 private:
  // Marks the request cancelled or superseded and ends the step it waits
  // in; a cancel also aborts an attempt in flight, a supersede awaits it.
  void Stop(bool cancel) {
    Stage stage;
    RateGate::Ticket ticket;
    Timers::Id timer;
    std::shared_ptr<AbortSignal> signal;
    std::shared_ptr<UserLease> lease;
    bool entered;
    {
      absl::MutexLock lock(&mu_);
      bool& mark = cancel ? cancelled_ : superseded_;
      if (stage_ == Stage::kDone || mark) return;
      mark = true;
      stage = stage_;
      ticket = ticket_;
      timer = timer_;
      signal = signal_;
      lease = lease_;
      entered = entered_;
    }
    switch (stage) {
      case Stage::kArrive:
        break;  // OnArrived() sees stopping().
      case Stage::kLine:
        // Not yet known to the line: EnterLine() finishes.
        if (entered) FinishStopped();
        break;
      case Stage::kClaim:
        // The claim ends with kCancelled through OnLease(), or with its
        // outcome if that came first, which OnLease() or Send() then sets
        // aside (releasing a grant).
        lease->Cancel();
        break;
      case Stage::kGate:
        // The gate answers the cancelled wait through OnGate(); if the
        // request left the queue first, OnGate() or Send() sees
        // stopping(). No ticket yet: Queue() cancels it once it is known.
        if (ticket != 0) owner_.gate_.Cancel(ticket);
        break;
      case Stage::kBackoff:
        // A timer that already fired owns the finish (Queue() sees
        // stopping()); an unknown id is cancelled where it is recorded.
        if (timer != 0 && owner_.timers_.Cancel(timer)) FinishStopped();
        break;
      case Stage::kSending:
        // The transport completes the attempt with CANCELLED (or with
        // Clerk's answer, if it came first) through OnResult(); a
        // superseded attempt runs on, and OnResult() does not retry it.
        if (cancel && signal != nullptr) signal->Abort();
        break;
      case Stage::kIdle:
      case Stage::kDone:
        break;  // Queue() sees stopping().
    }
  }

  // kArrive: being numbered in the shared order. kLine: waiting for an
  // earlier request for the same user in this replica. kClaim: claiming the
  // user's lease across replicas.
  enum class Stage {
    kArrive,
    kLine,
    kIdle,
    kGate,
    kClaim,
    kSending,
    kBackoff,
    kDone
  };

  void OnArrived(absl::StatusOr<uint64_t> token) {
    if (token.ok()) {
      auto lease = std::make_shared<UserLease>(
          owner_.options_.lease, *owner_.options_.shared_order, owner_.timers_,
          owner_.clock_, owner_.metrics_, user_id_, *token);
      absl::MutexLock lock(&mu_);
      lease_ = std::move(lease);
    } else {
      owner_.metrics_.RecordUserOrderUnavailable();
      LogEvent(LogLevel::kWarning, "user_order_unavailable",
               {{"user_id", LogString(user_id_)},
                {"error", LogString(token.status().message())}});
    }
    EnterLine();
  }

  bool stopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return cancelled_ || superseded_;
  }

  // Ends a cancelled or superseded request before or between attempts.
  void FinishStopped() {
    bool cancelled;
    absl::Status last_error;
    {
      absl::MutexLock lock(&mu_);
      cancelled = cancelled_;
      last_error = last_error_;
    }
    if (cancelled) {
      Finish(Cancelled());
    } else {
      Finish(Superseded(last_error), /*superseded=*/true);
    }
  }

  // ABORTED, reason SUPERSEDED; `last_error` is the failure of the attempt
  // that was then not retried (OK if none was made).
  absl::Status Superseded(const absl::Status& last_error) const {
    int attempts;
    {
      absl::MutexLock lock(&mu_);
      attempts = attempts_;
    }
    absl::Status status = absl::AbortedError(
        attempts == 0
            ? absl::StrCat("a newer upload or delete for user ", user_id_,
                           " replaced this one before it was sent to Clerk; "
                           "nothing was sent")
            : absl::StrCat("a newer upload or delete for user ", user_id_,
                           " arrived, so this one was not retried; its last "
                           "attempt failed: ",
                           last_error.message()));
    google::rpc::ErrorInfo info;
    info.set_reason(std::string(kSupersededReason));
    info.set_domain(std::string(kServiceErrorDomain));
    (*info.mutable_metadata())["user_id"] = user_id_;
    (*info.mutable_metadata())["attempts"] = absl::StrCat(attempts);
    SetDetail(status, info);
    return status;
  }

  absl::Status Cancelled() const {
    absl::MutexLock lock(&mu_);
    return absl::CancelledError(
        attempts_ == 0 ? "the call was cancelled before anything was sent to "
                         "Clerk"
                       : "the call was cancelled while waiting to retry");
  }

  void Hook(RetryHookPoint point) {
    if (owner_.options_.test_hook) owner_.options_.test_hook(point, *this);
  }

  void OnGate(uint64_t round, absl::Status status) {
    // The gate answers every Acquire() exactly once, stale or not.
    owner_.metrics_.RecordCallerQueued(sender_.caller, -1);
    absl::Status finish;
    bool finishing = true;
    bool refused = false;  // at once: the caller's cap, or no room
    absl::Duration waited;
    std::shared_ptr<UserLease> lease;
    const absl::Time now = owner_.clock_.Now();
    {
      absl::MutexLock lock(&mu_);
      if (stage_ != Stage::kGate || round_ != round) return;
      ticket_ = 0;
      waited = now - queued_at_;
      if (stopping()) {
        status = absl::OkStatus();  // A stopped wait ends as Stopped().
      } else if (!status.ok()) {
        refused = status.code() == absl::StatusCode::kResourceExhausted;
        finish =
            last_error_.ok() ? status : WithAttempts(last_error_, attempts_);
      } else {
        finishing = false;
        lease = lease_;
        if (lease != nullptr) stage_ = Stage::kClaim;
      }
    }
    owner_.metrics_.RecordGateWait(waited);
    owner_.metrics_.RecordCallerGateWait(sender_.caller, waited);
    if (refused) owner_.metrics_.RecordCallerRefused(sender_.caller);
    if (finishing) {
      if (status.ok()) {
        FinishStopped();
      } else {
        Finish(finish);
      }
    } else if (lease != nullptr) {
      lease->Acquire(deadline_, [self = shared_from_this(),
                                 round](UserLease::Outcome outcome) {
        self->OnLease(round, outcome);
      });
    } else {
      Send(round);
    }
  }

  // The user's lease across replicas was claimed (or could not be).
  void OnLease(uint64_t round, UserLease::Outcome outcome) {
    using Outcome = UserLease::Outcome;
    std::shared_ptr<UserLease> lease;
    bool stale;
    bool stopped;
    absl::Status last_error;
    int attempts;
    {
      absl::MutexLock lock(&mu_);
      lease = lease_;
      stale = stage_ != Stage::kClaim || round_ != round;
      stopped = stopping();
      if (outcome == Outcome::kSuperseded) superseded_ = true;
      last_error = last_error_;
      attempts = attempts_;
    }
    const bool granted = outcome == Outcome::kGranted;
    if (stale || (granted && stopped)) {
      if (granted) lease->Release();
      if (!stale) FinishStopped();
      return;
    }
    switch (outcome) {
      case Outcome::kUnavailable:
        owner_.metrics_.RecordUserOrderUnavailable();
        [[fallthrough]];
      case Outcome::kGranted:
        if (stopped) {
          FinishStopped();
        } else {
          Send(round);
        }
        break;
      case Outcome::kSuperseded:
      case Outcome::kCancelled:
        FinishStopped();
        break;
      case Outcome::kDeadlineExceeded:
        // Built only here, outside the lock: the common outcomes need none.
        Finish(last_error.ok()
                   ? absl::DeadlineExceededError(absl::StrCat(
                         "an earlier upload or delete for user ", user_id_,
                         " was still in flight on another replica when the "
                         "deadline came; nothing was sent"))
                   : WithAttempts(last_error, attempts));
        break;
    }
  }

  // Sends the next attempt.
  // Sends the next attempt, unless the request was stopped since its gate
  // (or lease) let it go: a Stop() in that instant found no gate ticket or
  // lease wait left to end, and left the finish to this step.
  void Send(uint64_t round) {
    Hook(RetryHookPoint::kBeforeSend);
    bool retry = false;
    bool stopped = false;
    std::shared_ptr<Attempt> attempt;
    std::shared_ptr<AbortSignal> signal;
    std::shared_ptr<UserLease> lease;
    {
      absl::MutexLock lock(&mu_);
      if (round_ != round ||
          (stage_ != Stage::kGate && stage_ != Stage::kClaim)) {
        return;
      }
      if (stopping()) {
        stopped = true;
        lease = lease_;
      } else {
        stage_ = Stage::kSending;
        retry = attempts_ > 0;
        ++attempts_;
        signal_ = std::make_shared<AbortSignal>();
        signal = signal_;
        attempt = attempt_;
      }
    }
    if (stopped) {
      if (lease != nullptr) lease->Release();
      FinishStopped();
      return;
    }
    if (retry) owner_.metrics_.RecordRetry();
    owner_.metrics_.RecordCallerSent(sender_.caller);
    (*attempt)(
        [self = shared_from_this(), round](ClerkOutcome outcome) {
          self->OnResult(round, std::move(outcome));
        },
        std::move(signal));
    Hook(RetryHookPoint::kAfterSend);
  }

  void OnResult(uint64_t round, ClerkOutcome outcome) {
    int attempts;
    bool cancelled;
    bool superseded;
    std::shared_ptr<UserLease> lease;
    {
      absl::MutexLock lock(&mu_);
      if (stage_ != Stage::kSending || round_ != round) return;
      superseded = superseded_;
      lease = lease_;
      signal_.reset();
      failure_ = outcome.failure;
      http_status_ = outcome.http_status;
      maybe_applied_ = maybe_applied_ || outcome.maybe_applied;
      trace_id_ = outcome.trace_id;
      attempts = attempts_;
      cancelled = cancelled_;
      if (!outcome.user.ok() && IsRetryable(outcome)) {
        last_error_ = outcome.user.status();
      }
    }
    // The attempt is over: the user's next request, here or elsewhere, may
    // claim the lease (a retry of this one claims it again).
    if (lease != nullptr) lease->Release();
    if (outcome.user.ok()) {
      Finish(std::move(outcome.user));
      return;
    }
    absl::Status error = outcome.user.status();
    if (cancelled && outcome.failure == ClerkFailure::kAborted) {
      Finish(absl::CancelledError(
          "the call was cancelled while its request to Clerk was in flight; "
          "the request was aborted, but Clerk may already have applied it"));
      return;
    }
    if (!IsRetryable(outcome)) {
      Finish(WithAttempts(std::move(error), attempts));
      return;
    }
    const absl::Time now = owner_.clock_.Now();
    const std::optional<absl::Duration> retry_after =
        CappedRetryAfter(outcome.retry_after);
    const absl::Duration delay = BackoffDelay(
        owner_.options_.backoff, attempts - 1, retry_after, owner_.random_);
    const bool rate_limited = outcome.http_status == 429;
    if (rate_limited && owner_.options_.shared_pause) {
      owner_.metrics_.RecordRateLimitPause();
      owner_.gate_.PauseUntil(
          now +
          retry_after.value_or(owner_.options_.pause_without_retry_after));
    }
    bool may_retry = !cancelled && !superseded &&
                     attempts < owner_.options_.max_attempts &&
                     now + delay < deadline_;
    // 429s are paced by the gate and its pause, not spent from the budget.
    if (may_retry && !rate_limited && !owner_.budget_.TryWithdraw()) {
      owner_.metrics_.RecordRetryThrottled();
      may_retry = false;
    }
    if (!may_retry || !Backoff(round, delay)) {
      if (!cancelled && (superseded || IsSuperseded())) {
        Finish(Superseded(error), /*superseded=*/true);
        return;
      }
      // Tell the caller when trying again can succeed.
      SetRetryDelay(error, std::max(delay, retry_after.value_or(delay)));
      Finish(WithAttempts(std::move(error), attempts));
    }
  }

  // Waits `delay` before queueing again. False, changing nothing, if the
  // call was cancelled meanwhile (then the caller finishes it).
  bool Backoff(uint64_t round, absl::Duration delay) {
    {
      absl::MutexLock lock(&mu_);
      if (stage_ != Stage::kSending || round_ != round || stopping()) {
        return false;
      }
      stage_ = Stage::kBackoff;
      round = ++round_;
      timer_ = 0;
    }
    const absl::Time due = owner_.clock_.Now() + delay;
    const Timers::Id timer = owner_.timers_.Schedule(
        due,
        [self = shared_from_this(), round] { self->OnBackoffTimer(round); });
    Hook(RetryHookPoint::kAfterSchedule);
    bool cancel_timer = false;
    {
      absl::MutexLock lock(&mu_);
      if (stage_ == Stage::kBackoff && round_ == round) {
        timer_ = timer;
        // A Cancel() that came before the id was known left it to us.
        cancel_timer = stopping();
      }
    }
    // Stopped and the timer not yet run: ours to finish. Already run:
    // Queue() finishes.
    if (cancel_timer && owner_.timers_.Cancel(timer)) FinishStopped();
    return true;
  }

  void OnBackoffTimer(uint64_t round) {
    {
      absl::MutexLock lock(&mu_);
      if (stage_ != Stage::kBackoff || round_ != round) return;
      stage_ = Stage::kIdle;
      timer_ = 0;
    }
    Queue();
  }

  // Clerk's Retry-After, capped at --clerk_max_retry_after for the pause,
  // the backoff and the RetryInfo alike (seconds and HTTP-date forms are
  // both parsed into it); a capped value is logged with the raw one.
  std::optional<absl::Duration> CappedRetryAfter(
      std::optional<absl::Duration> raw) const {
    const absl::Duration cap = owner_.options_.backoff.max_retry_after;
    if (!raw.has_value() || *raw <= cap) return raw;
    LogEvent(LogLevel::kWarning, "clerk_retry_after_capped",
             {{"retry_after_s", LogNumber(absl::ToDoubleSeconds(*raw))},
              {"capped_s", LogNumber(absl::ToDoubleSeconds(cap))}});
    return cap;
  }

  bool IsSuperseded() const {
    absl::MutexLock lock(&mu_);
    return superseded_;
  }

  // The one way to end: the first caller wins; its user's next request
  // gets its turn and `done` runs after the lock is released, and the image
  // bytes are let go with the attempt.
  void Finish(absl::StatusOr<User> result, bool superseded = false) {
    Callback done;
    std::shared_ptr<Attempt> attempt;
    std::shared_ptr<UserLease> lease;
    ClerkOutcome outcome;
    {
      absl::MutexLock lock(&mu_);
      if (stage_ == Stage::kDone) return;
      stage_ = Stage::kDone;
      done = std::move(done_);
      attempt = std::move(attempt_);
      lease = std::move(lease_);
      signal_.reset();
      outcome.user = std::move(result);
      outcome.failure = failure_;
      outcome.http_status = http_status_;
      outcome.trace_id = trace_id_;
      outcome.attempts = attempts_;
      outcome.maybe_applied = maybe_applied_;
    }
    attempt.reset();
    if (lease != nullptr) lease->Release();
    if (outcome.maybe_applied && !outcome.user.ok() &&
        outcome.user.status().code() != absl::StatusCode::kCancelled) {
      outcome.user = MayHaveBeenApplied(outcome.user.status());
    }
    if (superseded) owner_.metrics_.RecordSuperseded();
    owner_.lanes_.Leave(user_id_, this);
    std::move(done)(std::move(outcome));
  }

  RetryingClerkClient& owner_;
  const std::string user_id_;
  const Sender sender_;
  const absl::Time deadline_;
  const absl::Time entered_at_;
  mutable absl::Mutex mu_;
  std::shared_ptr<Attempt> attempt_ ABSL_GUARDED_BY(mu_);
  Callback done_ ABSL_GUARDED_BY(mu_);
  Stage stage_ ABSL_GUARDED_BY(mu_) = Stage::kArrive;
  // The line knows this member (EnterLine()).
  bool entered_ ABSL_GUARDED_BY(mu_) = false;
  // Null without a shared order, or when it could not number the request.
  std::shared_ptr<UserLease> lease_ ABSL_GUARDED_BY(mu_);
  uint64_t round_ ABSL_GUARDED_BY(mu_) = 0;
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool superseded_ ABSL_GUARDED_BY(mu_) = false;
  RateGate::Ticket ticket_ ABSL_GUARDED_BY(mu_) = 0;
  Timers::Id timer_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<AbortSignal> signal_ ABSL_GUARDED_BY(mu_);
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  // The last attempt's failure and Clerk's last HTTP status.
  ClerkFailure failure_ ABSL_GUARDED_BY(mu_) = ClerkFailure::kNone;
  int http_status_ ABSL_GUARDED_BY(mu_) = 0;
  // Some attempt failed in a way Clerk may nevertheless have applied.
  bool maybe_applied_ ABSL_GUARDED_BY(mu_) = false;
  std::string trace_id_ ABSL_GUARDED_BY(mu_);
  absl::Time queued_at_ ABSL_GUARDED_BY(mu_);
};

RetryingClerkClient::RetryingClerkClient(RetryOptions options,
                                         ClerkClient& clerk, RateGate& gate,
                                         RetryBudget& budget, Clock& clock,
                                         Timers& timers, RandomSource& random,
                                         Metrics& metrics)
    : options_(options),
      clerk_(clerk),
      gate_(gate),
      budget_(budget),
      clock_(clock),
      timers_(timers),
      random_(random),
      metrics_(metrics) {}

std::shared_ptr<RetryingClerkClient::Operation> RetryingClerkClient::Start(
    std::string user_id, Sender sender, Attempt attempt, absl::Time deadline,
    Callback done) {
  budget_.Deposit();
  auto call =
      std::make_shared<Call>(*this, std::move(user_id), std::move(sender),
                             std::move(attempt), deadline, std::move(done));
  if (options_.shared_order != nullptr) {
    call->Arrive();
  } else {
    call->EnterLine();
  }
  return call;
}

std::shared_ptr<RetryingClerkClient::Operation>
RetryingClerkClient::UploadProfileImage(AssembledImage image,
                                        absl::Time deadline, Callback done,
                                        ClerkRequestContext context) {
  std::string user_id = image.user_id;
  return Start(
      std::move(user_id), std::move(context.sender),
      [this, image = std::move(image), deadline,
       trace = std::move(context.trace)](Callback result,
                                         std::shared_ptr<AbortSignal> abort) {
        clerk_.UploadProfileImage(image, deadline, std::move(result),
                                  std::move(abort),
                                  trace.has_value() ? &*trace : nullptr);
      },
      deadline, std::move(done));
}

std::shared_ptr<RetryingClerkClient::Operation>
RetryingClerkClient::DeleteProfileImage(std::string user_id,
                                        absl::Time deadline, Callback done,
                                        ClerkRequestContext context) {
  std::string line = user_id;
  return Start(
      std::move(line), std::move(context.sender),
      [this, user_id = std::move(user_id), deadline,
       trace = std::move(context.trace)](Callback result,
                                         std::shared_ptr<AbortSignal> abort) {
        clerk_.DeleteProfileImage(user_id, deadline, std::move(result),
                                  std::move(abort),
                                  trace.has_value() ? &*trace : nullptr);
      },
      deadline, std::move(done));
}

}  // namespace userimage
