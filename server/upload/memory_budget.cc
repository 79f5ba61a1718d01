#include "server/upload/memory_budget.h"

#include <string>
#include <utility>

#include "google/rpc/error_details.pb.h"
#include "server/status/status_details.h"

namespace userimage {

bool MemoryBudget::TryAdd(uint64_t bytes) {
  uint64_t current = in_use_.load(std::memory_order_relaxed);
  do {
    if (bytes > limit_ - current) return false;
  } while (!in_use_.compare_exchange_weak(current, current + bytes,
                                          std::memory_order_relaxed));
  return true;
}

void MemoryBudget::Subtract(uint64_t bytes) {
  in_use_.fetch_sub(bytes, std::memory_order_relaxed);
}

MemoryBudget::Reservation& MemoryBudget::Reservation::operator=(
    Reservation&& other) noexcept {
  if (this != &other) {
    Resize(0);
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

bool MemoryBudget::Reservation::Resize(uint64_t bytes) {
  if (budget_ == nullptr) return bytes == 0;
  if (bytes > bytes_) {
    if (!budget_->TryAdd(bytes - bytes_)) return false;
  } else {
    budget_->Subtract(bytes_ - bytes);
  }
  bytes_ = bytes;
  return true;
}

absl::Status MemoryBudgetExhausted() {
  absl::Status status = absl::ResourceExhaustedError(
      "the service is holding as many image bytes as its memory budget "
      "allows; retry shortly");
  SetRetryDelay(status, absl::Seconds(1));
  google::rpc::ErrorInfo info;
  info.set_reason("MEMORY_BUDGET_EXHAUSTED");
  info.set_domain(std::string(kServiceErrorDomain));
  SetDetail(status, info);
  return status;
}

}  // namespace userimage
