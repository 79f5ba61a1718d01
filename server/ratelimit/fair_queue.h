#ifndef SERVER_RATELIMIT_FAIR_QUEUE_H_
#define SERVER_RATELIMIT_FAIR_QUEUE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/ratelimit/caller_weights.h"
#include "server/ratelimit/sender.h"

namespace userimage {

// The RateGate's waiting requests, in the order they are to leave.
//
// Interactive requests leave before every bulk one. Within a priority,
// callers share by start-time fair queuing (Goyal, Vin and Cheng, SIGCOMM
// '96): a request gets the start tag S = max(V, F) and its caller's finish
// tag F becomes S + 1 / weight; the request with the smallest start tag
// leaves next, and V becomes its tag. So a caller's requests are spaced
// 1 / weight apart in virtual time whatever the others queue: while two
// callers both wait they receive shares in proportion to their weights. A
// caller whose F is behind V (it has had less than its share, or waited
// for nothing) starts at V: behind about one request per weight unit of
// each other caller, not behind their backlogs.
//
// Within a caller, requests leave in arrival order. A retry (already
// admitted once) goes first in its caller's line, in the order retries
// came: it takes the tag of the caller's first waiting request (or the tag
// a new request would get), and the caller pays for it at the end of its
// line (F grows by 1 / weight), so retries never earn a caller more than
// its share. Taking out the last requests of a line gives their tags back;
// one taken out from the middle leaves its slot unused.
//
// Not thread-safe: the gate's lock guards it, and no method calls out of
// it. Borrows `weights`, which must outlive it.
class FairQueue {
 public:
  // Tags stay below this (2^32), keeping the steps of a weight of 1000
  // (0.001) exact to well under a millionth.
  static constexpr double kRebaseAbove = 4294967296.0;

  using Ticket = uint64_t;
  using Callback = absl::AnyInvocable<void(absl::Status) &&>;
  struct Entry {
    Ticket ticket = 0;
    absl::Time deadline;
    Callback proceed;
  };

  // Past `rebase_above`, tags are moved back by V (tests set it low).
  explicit FairQueue(const CallerWeights& weights,
                     double rebase_above = kRebaseAbove)
      : weights_(weights), rebase_above_(rebase_above) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Requests waiting of priority `p`.
  size_t size(Priority p) const { return ClassOf(p).size; }
  // Requests waiting for `caller`, of both priorities.
  size_t queued(absl::string_view caller) const;
  // Requests waiting for `sender`'s caller at its priority.
  size_t queued(const Sender& sender) const;

  // How many waiting requests would leave before one pushed now (a lower
  // bound: later arrivals with smaller tags may still go ahead of it).
  size_t PositionOf(const Sender& sender, bool retry) const;
  // How many waiting requests leave before the first one of `sender`'s
  // caller at its priority; nullopt when it has none waiting.
  std::optional<size_t> FirstPositionOf(const Sender& sender) const;

  void Push(const Sender& sender, bool retry, Entry entry);
  // The next to leave. Requires !empty().
  Entry Pop();
  // Takes out a waiting request; nullopt if none has that ticket.
  std::optional<Entry> Remove(Ticket ticket);
  // Takes out every request whose deadline is at or before `now`.
  std::vector<Entry> RemoveExpired(absl::Time now);
  // Visits the waiting requests in the order they leave, with the number
  // of requests kept ahead of each; takes out those `remove` says (which
  // runs under the gate's lock, so must not call out).
  std::vector<Entry> RemoveInOrder(
      absl::FunctionRef<bool(const Entry&, size_t position)> remove);
  // The earliest deadline of a waiting request (InfiniteFuture if none).
  absl::Time EarliestDeadline() const;

 private:
  // The order of leaving within a priority: start tag, then `rank`
  // (arrivals count up from 1; retries count up from kRetryRanks, below
  // every arrival, so at one tag retries lead, oldest first).
  struct Key {
    double start = 0;
    int64_t rank = 0;
    bool operator<(const Key& other) const {
      return start != other.start ? start < other.start : rank < other.rank;
    }
  };
  struct Item {
    Key key;
    bool retry = false;
    Entry entry;
  };
  // One caller's line within a priority, sorted by key.
  struct Flow {
    std::deque<Item> items;
    double finish = 0;
    double weight = 1;
  };
  struct Class {
    absl::flat_hash_map<std::string, Flow> flows;
    double virtual_time = 0;
    size_t size = 0;
  };

  static constexpr int64_t kRetryRanks = INT64_MIN / 2;

  Key KeyFor(const Class& c, absl::string_view caller, bool retry) const;
  // Moves every tag of `c` back by its V, which becomes 0.
  static void Rebase(Class& c);
  // Requests of `c` that leave before `key`.
  static size_t CountBefore(const Class& c, const Key& key);
  size_t PositionOfKey(Priority priority, const Key& key) const;
  // Takes out (to `take`) every request `remove` says, in no set order.
  void RemoveWhere(absl::FunctionRef<bool(const Entry&)> remove,
                   absl::FunctionRef<void(Entry)> take);
  // Forgets callers with nothing waiting whose tags V has passed.
  static void Forget(Class& c);
  Class& ClassOf(Priority p) { return classes_[static_cast<int>(p)]; }
  const Class& ClassOf(Priority p) const {
    return classes_[static_cast<int>(p)];
  }

  const CallerWeights& weights_;
  const double rebase_above_;
  std::array<Class, 2> classes_;
  size_t size_ = 0;
  int64_t next_rank_ = 0;
  int64_t next_retry_rank_ = kRetryRanks;
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_FAIR_QUEUE_H_
