#ifndef SERVER_RETRY_RETRY_BUDGET_H_
#define SERVER_RETRY_RETRY_BUDGET_H_

#include <array>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/time/clock.h"

namespace userimage {

struct RetryBudgetOptions {
  // Retries allowed as a percentage of the requests started in the last
  // `ttl` (Envoy's budget_percent, Finagle's percentCanRetry).
  double percent = 20;
  // Retries always allowed, however little traffic there is (Finagle's
  // minRetriesPerSec): a quiet service retries its one-off failures.
  double min_per_second = 1;
  // How long a request's deposit, and a retry's withdrawal, count.
  absl::Duration ttl = absl::Seconds(10);
};

// Whether `options` make sense; an error names the flag to fix.
absl::Status ValidateRetryBudgetOptions(const RetryBudgetOptions& options);

// A process-wide retry budget proportional to recent traffic, as in
// Finagle's RetryBudget and tower's TpsBudget: every new request deposits
// `percent`/100 of a retry, every retry withdraws one, and
// `min_per_second` × `ttl` retries are always in reserve. Deposits and
// withdrawals expire after `ttl` (kept in ten slots of ttl/10). So a quiet
// service retries every isolated failure, and in a total outage retries add
// at most `percent` of the requests plus the reserve.
//
// Borrows `clock`. Thread-safe; its lock is a leaf (nothing is called
// under it but the clock, which is read before taking it).
class RetryBudget {
 public:
  RetryBudget(RetryBudgetOptions options, Clock& clock);

  // A request was started (not a retry of one).
  void Deposit();
  // A retry is about to be sent: true, and spent, if the budget allows it.
  bool TryWithdraw();
  // Retries that could be sent now.
  double Balance() const;

 private:
  static constexpr int kSlots = 10;
  // Which ttl/10 slot since the epoch `now` falls in.
  int64_t SlotNumber(absl::Time now) const;
  // The net count of slot `current`, emptied first if it held an older one.
  int64_t& Slot(int64_t current) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t BalanceLocked(int64_t current) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  const absl::Duration slot_width_;
  const int64_t deposit_;
  const int64_t reserve_;
  Clock& clock_;
  mutable absl::Mutex mu_;
  // Net thousandths of a retry (deposits minus withdrawals) per slot, in
  // integers so that sums are exact; slot_number_[i] is which slot since the
  // epoch entry i currently holds.
  std::array<int64_t, kSlots> net_ ABSL_GUARDED_BY(mu_) = {};
  std::array<int64_t, kSlots> slot_number_ ABSL_GUARDED_BY(mu_) = {};
};

}  // namespace userimage

#endif  // SERVER_RETRY_RETRY_BUDGET_H_
