#include "server/retry/retry_budget.h"

#include <algorithm>
#include <cmath>

namespace userimage {
namespace {

// Budget amounts are kept in thousandths of a retry.
constexpr int64_t kMilli = 1000;

}  // namespace

absl::Status ValidateRetryBudgetOptions(const RetryBudgetOptions& options) {
  if (!(options.percent >= 0 && options.percent <= 1000)) {
    return absl::InvalidArgumentError(
        "--retry_budget_percent must be between 0 and 1000");
  }
  if (!(options.min_per_second >= 0)) {
    return absl::InvalidArgumentError(
        "--retry_budget_min_per_second must not be negative");
  }
  if (options.ttl < absl::Seconds(1) || options.ttl > absl::Minutes(10)) {
    return absl::InvalidArgumentError(
        "--retry_budget_ttl must be between 1s and 10m");
  }
  return absl::OkStatus();
}

RetryBudget::RetryBudget(RetryBudgetOptions options, Clock& clock)
    : slot_width_(options.ttl / kSlots),
      deposit_(std::llround(options.percent * kMilli / 100)),
      reserve_(std::llround(options.min_per_second *
                            absl::ToDoubleSeconds(options.ttl) * kMilli)),
      clock_(clock) {
  slot_number_.fill(-1);
}

int64_t RetryBudget::SlotNumber(absl::Time now) const {
  absl::Duration remainder;
  return absl::IDivDuration(now - absl::UnixEpoch(), slot_width_, &remainder);
}

int64_t& RetryBudget::Slot(int64_t current) {
  const int index = static_cast<int>(current % kSlots);
  if (slot_number_[index] != current) {
    slot_number_[index] = current;
    net_[index] = 0;
  }
  return net_[index];
}

int64_t RetryBudget::BalanceLocked(int64_t current) const {
  int64_t sum = reserve_;
  for (int i = 0; i < kSlots; ++i) {
    // Slots outside (current - kSlots, current] have expired.
    if (slot_number_[i] > current - kSlots) sum += net_[i];
  }
  return std::max<int64_t>(0, sum);
}

void RetryBudget::Deposit() {
  const int64_t current = SlotNumber(clock_.Now());
  absl::MutexLock lock(&mu_);
  Slot(current) += deposit_;
}

bool RetryBudget::TryWithdraw() {
  const int64_t current = SlotNumber(clock_.Now());
  absl::MutexLock lock(&mu_);
  if (BalanceLocked(current) < kMilli) return false;
  Slot(current) -= kMilli;
  return true;
}

double RetryBudget::Balance() const {
  const int64_t current = SlotNumber(clock_.Now());
  absl::MutexLock lock(&mu_);
  return static_cast<double>(BalanceLocked(current)) / kMilli;
}

}  // namespace userimage
