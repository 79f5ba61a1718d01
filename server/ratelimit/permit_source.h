#ifndef SERVER_RATELIMIT_PERMIT_SOURCE_H_
#define SERVER_RATELIMIT_PERMIT_SOURCE_H_

#include <cstddef>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace userimage {

// Where the RateGate's permits to send come from: how many waiting requests
// may leave now, and when more may. The gate keeps the queue, the pauses and
// the deadlines; a source only counts permits (LocalPacing: this process's
// token bucket; SharedPermits: the quota shared by every replica, with a
// local fallback).
//
// Not thread-safe, and has no lock of its own: the gate that owns it calls
// every method under the gate's lock, so a source must not block or call
// out of the process from them. Work that must run outside the lock (asking
// Redis, telling health) is appended to `deferred`, which the gate runs
// after unlocking. A source whose permits arrive on its own threads applies
// them through Host::Update.
class PermitSource {
 public:
  using Deferred = std::vector<absl::AnyInvocable<void() &&>>;

  // The gate as its source sees it.
  class Host {
   public:
    using Change = absl::AnyInvocable<void(absl::Time now, Deferred&) &&>;
    // Runs `change` on the source under the gate's lock, then lets waiting
    // requests leave on what it changed. Thread-safe; never call it from
    // inside a source's method (the lock is held there).
    virtual void Update(Change change) = 0;

   protected:
    ~Host() = default;
  };

  // What the waiting requests want. Interactive ones leave first; a source
  // shared with other replicas asks for bulk ones on terms that leave the
  // other replicas' interactive requests room (SharedQuota::Take).
  struct Demand {
    int interactive = 0;
    int bulk = 0;
    int total() const { return interactive + bulk; }
  };

  struct Permits {
    // Requests that may leave now; at most the number wanted.
    int granted = 0;
    // When the gate should call Take() again: when more permits may be
    // available or the source has work due. InfiniteFuture: the source
    // will Update() the gate itself, or has nothing to do.
    absl::Time ask_again = absl::InfiniteFuture();
  };

  virtual ~PermitSource() = default;

  // Called once, before any other method, by the gate that owns the source.
  virtual void Attach(Host& host) { (void)host; }

  // Takes up to demand.total() permits at `now` (0: none wanted; the
  // source may still do its own work). Permits are for now: any not granted
  // from what is at hand are not kept for later.
  virtual Permits Take(absl::Time now, Demand demand, Deferred& deferred) = 0;

  // When a request `position` places behind the head of the line could
  // leave, if requests could leave from `from` on (an estimate, for failing
  // fast on deadlines).
  virtual absl::Time EstimateStart(absl::Time from, size_t position) const = 0;

  // Until when the source holds every request (a pause another replica
  // shared); InfinitePast if it does not.
  virtual absl::Time HeldUntil() const { return absl::InfinitePast(); }

  // This process was told to pause for `duration` (a 429): a source shared
  // with other replicas shares it.
  virtual void Pause(absl::Duration duration, Deferred& deferred) {
    (void)duration;
    (void)deferred;
  }

  // Whether the permits come from a quota shared with other replicas now.
  virtual bool shared() const { return false; }

  // Whether no answer the source waits for can still Update() the gate; the
  // gate's destructor waits for it.
  virtual bool idle() const { return true; }
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_PERMIT_SOURCE_H_
