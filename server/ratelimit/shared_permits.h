#ifndef SERVER_RATELIMIT_SHARED_PERMITS_H_
#define SERVER_RATELIMIT_SHARED_PERMITS_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/ratelimit/local_pacing.h"
#include "server/ratelimit/permit_source.h"
#include "server/ratelimit/sender.h"
#include "server/ratelimit/shared_quota.h"

namespace userimage {

struct SharedPermitsOptions {
  // The whole quota's pacing interval (PacingFor(quota, window).interval;
  // zero without pacing): the estimate of a start, as if this replica had
  // the whole quota.
  absl::Duration pacing_interval;
  // While the shared quota is unreachable, how often it is tried again (at
  // least every 10 ms).
  absl::Duration retry_interval = absl::Seconds(1);
  // A question unanswered for this long counts as unreachable (the source
  // falls back at once; a late answer still counts).
  absl::Duration answer_timeout = absl::Seconds(1);
  // The longest a pause read from the shared quota may hold requests.
  absl::Duration max_pause = absl::Seconds(60);
  // Told when the source stops using the shared quota (false, with the
  // reason) and when it uses it again (true), each change numbered
  // (RateGateOptions::on_shared_state). Runs outside the gate's lock.
  std::function<void(uint64_t change, bool shared_in_use,
                     const absl::Status& why)>
      on_state;
};

// Permits granted by a SharedQuota (Redis: every replica paces to one
// quota), with this process's fair-share LocalPacing as the fallback while
// the shared quota cannot be consulted:
// - it asks the quota at its first Take() (the gate's construction), to
//   know from the start whether it answers: a first question unanswered
//   within answer_timeout falls back even before any request comes;
// - then, while requests wait and nothing holds them, for up to 16 at a
//   time, one question at a time, again when the answer says so;
// - an error, or no answer within answer_timeout, falls back to the local
//   bucket, drained (the shared one was likely just drained), and the quota
//   is probed every retry_interval until it answers (a probe has no answer
//   timeout of its own: the quota's connection timeouts bound it);
// - a pause another replica shared holds every request (HeldUntil), capped
//   at max_pause; this process's pauses are shared (Pause).
//
// A PermitSource: not thread-safe, run under its gate's lock. Borrows
// `quota`, which must outlive it; the quota's answers reach the source
// through the gate's Host::Update, on the quota's thread.
class SharedPermits final : public PermitSource {
 public:
  SharedPermits(SharedPermitsOptions options, SharedQuota& quota,
                LocalPacing fallback);

  void Attach(Host& host) override;
  Permits Take(absl::Time now, Demand demand, Deferred& deferred) override;
  absl::Time EstimateStart(absl::Time from, size_t position) const override;
  absl::Time HeldUntil() const override { return held_until_; }
  void Pause(absl::Duration duration, Deferred& deferred) override;
  bool shared() const override { return !degraded_; }
  bool idle() const override { return !in_flight_; }

 private:
  // Falls back to the local bucket (telling why) if not already.
  void Degrade(absl::Time now, const absl::Status& why, Deferred& deferred);
  // Asks the quota for `wanted` (0: a probe).
  void Ask(absl::Time now, int wanted, Priority priority, Deferred& deferred);
  // When a question for requests of `priority` may be asked.
  absl::Time AskAt(Priority priority) const;
  void OnAnswer(absl::Time now, absl::StatusOr<SharedQuota::Grant> result,
                Deferred& deferred);
  void Tell(bool in_use, absl::Status why, Deferred& deferred);

  const SharedPermitsOptions options_;
  SharedQuota& quota_;
  LocalPacing fallback_;
  Host* host_ = nullptr;
  bool degraded_ = false;
  bool answered_ = false;  // Whether any question was answered yet.
  bool in_flight_ = false;
  int asked_ = 0;  // What the question in flight asked for.
  Priority asked_priority_ = Priority::kInteractive;
  absl::Time asked_at_;
  absl::Time next_ask_ = absl::InfinitePast();
  absl::Time answered_at_ = absl::InfinitePast();
  // The last answer was short for bulk requests (not for a pause).
  bool short_bulk_answer_ = false;
  int granted_ = 0;  // From the last answer, for the Take() that follows it.
  absl::Time held_until_ = absl::InfinitePast();
  uint64_t changes_ = 0;  // State changes told so far.
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_SHARED_PERMITS_H_
