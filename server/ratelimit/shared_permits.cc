#include "server/ratelimit/shared_permits.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace userimage {

namespace {
// Most requests asked of the shared quota at once.
constexpr int kMaxAsk = 16;
}  // namespace

SharedPermits::SharedPermits(SharedPermitsOptions options, SharedQuota& quota,
                             LocalPacing fallback)
    : options_(std::move(options)),
      quota_(quota),
      fallback_(std::move(fallback)) {}

void SharedPermits::Attach(Host& host) { host_ = &host; }

PermitSource::Permits SharedPermits::Take(absl::Time now, Demand demand,
                                          Deferred& deferred) {
  const int wanted = demand.total();
  // A question left unanswered too long (a hung connection, a slow name
  // lookup) counts as unreachable; a late answer is still taken.
  const absl::Time answer_due = asked_at_ + options_.answer_timeout;
  if (in_flight_ && !degraded_ && now >= answer_due) {
    Degrade(now,
            absl::DeadlineExceededError(
                absl::StrCat("the shared quota did not answer within ",
                             absl::FormatDuration(options_.answer_timeout))),
            deferred);
  }
  Permits permits;
  if (degraded_) {
    permits = fallback_.Take(now, demand, deferred);
  } else {
    permits.granted = std::min(granted_, wanted);
  }
  granted_ = 0;
  // Ask for the requests still waiting or, while falling back (or before
  // the first answer), whether the shared quota answers. Interactive ones
  // leave first: while one waits, only they are asked for; bulk ones are
  // asked for as bulk.
  const int more = wanted - permits.granted;
  const int interactive = demand.interactive - permits.granted;
  const Priority priority =
      interactive > 0 ? Priority::kInteractive : Priority::kBulk;
  const int ask = priority == Priority::kInteractive ? interactive : more;
  if (!in_flight_ && (degraded_ || !answered_ || more > 0)) {
    const absl::Time ask_at = AskAt(priority);
    if (now >= ask_at) {
      Ask(now, degraded_ ? 0 : std::min(ask, kMaxAsk), priority, deferred);
    } else {
      permits.ask_again = std::min(permits.ask_again, ask_at);
    }
  }
  if (in_flight_ && !degraded_) {
    permits.ask_again =
        std::min(permits.ask_again, asked_at_ + options_.answer_timeout);
  }
  return permits;
}

absl::Time SharedPermits::AskAt(Priority priority) const {
  // A short answer to a bulk question waits for the token bulk questions
  // leave in the bucket too; an interactive question may take that one, an
  // interval sooner.
  if (priority == Priority::kInteractive && short_bulk_answer_) {
    return std::max(next_ask_ - options_.pacing_interval,
                    answered_at_ + absl::Milliseconds(1));
  }
  return next_ask_;
}

absl::Time SharedPermits::EstimateStart(absl::Time from,
                                        size_t position) const {
  if (degraded_) return fallback_.EstimateStart(from, position);
  // Optimistic: as if this replica had the whole quota.
  return std::max(from, next_ask_) + options_.pacing_interval * position;
}

void SharedPermits::Pause(absl::Duration duration, Deferred& deferred) {
  deferred.push_back([this, duration] { quota_.Pause(duration); });
}

void SharedPermits::Degrade(absl::Time now, const absl::Status& why,
                            Deferred& deferred) {
  if (!degraded_) {
    degraded_ = true;
    fallback_.Drain(now);
    Tell(false, why, deferred);
  }
  next_ask_ = now + std::max(options_.retry_interval, absl::Milliseconds(10));
  short_bulk_answer_ = false;
}

void SharedPermits::Ask(absl::Time now, int wanted, Priority priority,
                        Deferred& deferred) {
  in_flight_ = true;
  asked_ = wanted;
  asked_priority_ = priority;
  asked_at_ = now;
  deferred.push_back([this, wanted, priority] {
    quota_.Take(
        wanted, priority, [this](absl::StatusOr<SharedQuota::Grant> result) {
          host_->Update([this, result = std::move(result)](
                            absl::Time now, Deferred& deferred) mutable {
            OnAnswer(now, std::move(result), deferred);
          });
        });
  });
}

void SharedPermits::OnAnswer(absl::Time now,
                             absl::StatusOr<SharedQuota::Grant> result,
                             Deferred& deferred) {
  in_flight_ = false;
  answered_ = true;
  if (!result.ok()) {
    Degrade(now, result.status(), deferred);
    return;
  }
  if (degraded_) {
    degraded_ = false;
    Tell(true, absl::OkStatus(), deferred);
  }
  if (result->paused_for > absl::ZeroDuration()) {
    held_until_ = std::max(
        held_until_, now + std::min(result->paused_for, options_.max_pause));
  }
  // Taken by the gate's Take() right after this; a pause (this one, or
  // this process's own 429 meanwhile) outranks it and it is lost.
  granted_ = result->granted;
  // At least a millisecond between questions that were short, so that a
  // quota answering "none, ask again now" cannot spin.
  const bool short_answer = result->granted < asked_;
  next_ask_ = short_answer
                  ? now + std::max(result->retry_in, absl::Milliseconds(1))
                  : now;
  answered_at_ = now;
  short_bulk_answer_ = short_answer && asked_priority_ == Priority::kBulk &&
                       result->paused_for <= absl::ZeroDuration();
}

void SharedPermits::Tell(bool in_use, absl::Status why, Deferred& deferred) {
  if (!options_.on_state) return;
  const uint64_t change = ++changes_;
  deferred.push_back([this, change, in_use, why = std::move(why)] {
    options_.on_state(change, in_use, why);
  });
}

}  // namespace userimage
