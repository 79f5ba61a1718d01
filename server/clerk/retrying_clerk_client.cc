#include "server/clerk/retrying_clerk_client.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "google/rpc/error_details.pb.h"
#include "server/status/status_details.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::User;

int HttpStatusOf(const absl::Status& status) {
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  int http_status = 0;
  if (info && info->domain() == kClerkErrorDomain) {
    auto it = info->metadata().find("http_status");
    if (it != info->metadata().end()) (void)absl::SimpleAtoi(it->second, &http_status);
  }
  return http_status;
}

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  auto retry = GetDetail<google::rpc::RetryInfo>(status);
  if (!retry) return std::nullopt;
  return absl::Seconds(retry->retry_delay().seconds()) +
         absl::Nanoseconds(retry->retry_delay().nanos());
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

bool IsRetryable(const absl::Status& status) {
  switch (HttpStatusOf(status)) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      break;
  }
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  return info && info->reason() == kClerkUnreachable;
}

// The state of one request: gate → attempt → (backoff timer → gate →
// attempt)* → done. Shared by the callbacks that drive it.
class RetryingClerkClient::Call final
    : public Operation,
      public std::enable_shared_from_this<Call> {
 public:
  Call(RetryingClerkClient& owner, Attempt attempt, absl::Time deadline,
       Callback done)
      : owner_(owner),
        attempt_(std::move(attempt)),
        deadline_(deadline),
        done_(std::move(done)) {}

  // Asks the gate for a slot; retries go ahead of new requests.
  void Queue() {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (cancelled_) {
      FinishLocked(Cancelled());
      return;
    }
    waiting_for_gate_ = true;
    queued_at_ = owner_.clock_.Now();
    mu_.Unlock();
    const RateGate::Ticket ticket = owner_.gate_.Acquire(
        deadline_, /*priority=*/attempts_ > 0,
        [self = shared_from_this()](absl::Status status) {
          self->OnGate(std::move(status));
        });
    mu_.Lock();
    if (waiting_for_gate_) ticket_ = ticket;
  }

  void Cancel() override {
    RateGate::Ticket ticket = 0;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || cancelled_) return;
      cancelled_ = true;
      if (timer_ != 0 && owner_.timers_.Cancel(timer_)) {
        timer_ = 0;
        FinishLocked(Cancelled());
        return;
      }
      ticket = waiting_for_gate_ ? ticket_ : 0;
    }
    // The gate answers the cancelled wait through OnGate().
    if (ticket != 0) owner_.gate_.Cancel(ticket);
  }

 private:
  absl::Status Cancelled() const {
    return absl::CancelledError(
        attempts_ == 0 ? "the call was cancelled before anything was sent to "
                         "Clerk"
                       : "the call was cancelled while waiting to retry");
  }

  void OnGate(absl::Status status) {
    absl::MutexLock lock(&mu_);
    waiting_for_gate_ = false;
    ticket_ = 0;
    owner_.metrics_.RecordGateWait(owner_.clock_.Now() - queued_at_);
    if (!status.ok()) {
      FinishLocked(last_error_.ok() ? status
                                    : WithAttempts(last_error_, attempts_));
      return;
    }
    if (cancelled_) {
      FinishLocked(Cancelled());
      return;
    }
    if (attempts_ > 0) owner_.metrics_.RecordRetry();
    ++attempts_;
    mu_.Unlock();
    attempt_([self = shared_from_this()](ClerkOutcome outcome) {
      self->OnResult(std::move(outcome));
    });
    mu_.Lock();
  }

  void OnResult(ClerkOutcome outcome) {
    absl::MutexLock lock(&mu_);
    http_status_ = outcome.http_status;
    trace_id_ = std::move(outcome.trace_id);
    if (outcome.user.ok()) {
      owner_.budget_.RecordSuccess();
      FinishLocked(std::move(outcome.user));
      return;
    }
    absl::Status error = outcome.user.status();
    if (!IsRetryable(error)) {
      FinishLocked(WithAttempts(error, attempts_));
      return;
    }
    owner_.budget_.RecordFailure();
    last_error_ = error;
    const absl::Time now = owner_.clock_.Now();
    const std::optional<absl::Duration> retry_after = RetryAfterOf(error);
    const bool rate_limited = HttpStatusOf(error) == 429;
    const absl::Duration delay = BackoffDelay(
        owner_.options_.backoff, attempts_ - 1, retry_after, owner_.random_);
    if (rate_limited && owner_.options_.shared_pause) {
      owner_.metrics_.RecordRateLimitPause();
      owner_.gate_.PauseUntil(
          now + retry_after.value_or(owner_.options_.pause_without_retry_after));
    }
    const bool out_of_time = now + delay >= deadline_;
    if (cancelled_ || attempts_ >= owner_.options_.max_attempts ||
        !owner_.budget_.AllowRetry() || out_of_time) {
      // Tell the caller when trying again can succeed.
      SetRetryDelay(error, std::max(delay, retry_after.value_or(delay)));
      FinishLocked(WithAttempts(error, attempts_));
      return;
    }
    timer_ = owner_.timers_.Schedule(now + delay, [self = shared_from_this()] {
      {
        absl::MutexLock lock(&self->mu_);
        self->timer_ = 0;
      }
      self->Queue();
    });
  }

  void FinishLocked(absl::StatusOr<User> result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Callback done = std::move(done_);
    ClerkOutcome outcome{std::move(result), http_status_, trace_id_, attempts_};
    mu_.Unlock();
    std::move(done)(std::move(outcome));
    mu_.Lock();
  }

  RetryingClerkClient& owner_;
  Attempt attempt_;
  const absl::Time deadline_;
  absl::Mutex mu_;
  Callback done_ ABSL_GUARDED_BY(mu_);
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool waiting_for_gate_ ABSL_GUARDED_BY(mu_) = false;
  RateGate::Ticket ticket_ ABSL_GUARDED_BY(mu_) = 0;
  Timers::Id timer_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  int http_status_ ABSL_GUARDED_BY(mu_) = 0;
  std::string trace_id_ ABSL_GUARDED_BY(mu_);
  absl::Time queued_at_ ABSL_GUARDED_BY(mu_);
};

RetryingClerkClient::RetryingClerkClient(RetryOptions options, ClerkClient& clerk,
                                         RateGate& gate, RetryBudget& budget,
                                         Clock& clock, Timers& timers,
                                         RandomSource& random, Metrics& metrics)
    : options_(options),
      clerk_(clerk),
      gate_(gate),
      budget_(budget),
      clock_(clock),
      timers_(timers),
      random_(random),
      metrics_(metrics) {}

std::shared_ptr<RetryingClerkClient::Operation> RetryingClerkClient::Start(
    Attempt attempt, absl::Time deadline, Callback done) {
  auto call = std::make_shared<Call>(*this, std::move(attempt), deadline,
                                     std::move(done));
  call->Queue();
  return call;
}

std::shared_ptr<RetryingClerkClient::Operation>
RetryingClerkClient::UploadProfileImage(AssembledImage image,
                                        absl::Time deadline, Callback done) {
  return Start(
      [this, image = std::move(image), deadline](Callback result) {
        clerk_.UploadProfileImage(image, deadline, std::move(result));
      },
      deadline, std::move(done));
}

std::shared_ptr<RetryingClerkClient::Operation>
RetryingClerkClient::DeleteProfileImage(std::string user_id, absl::Time deadline,
                                        Callback done) {
  return Start(
      [this, user_id = std::move(user_id), deadline](Callback result) {
        clerk_.DeleteProfileImage(user_id, deadline, std::move(result));
      },
      deadline, std::move(done));
}

}  // namespace userimage
