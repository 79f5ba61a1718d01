#ifndef SERVER_UPLOAD_MEMORY_BUDGET_H_
#define SERVER_UPLOAD_MEMORY_BUDGET_H_

#include <atomic>
#include <cstdint>

#include "absl/status/status.h"

namespace userimage {

// A process-wide budget for image bytes held in memory. Each upload holds a
// Reservation sized to its buffer's capacity; one that cannot grow within
// the budget is refused, so the process never holds more image bytes than
// the limit. Thread-safe (lock-free). Must outlive every Reservation.
class MemoryBudget {
 public:
  explicit MemoryBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  // A claim on part of the budget, returned when destroyed. Movable; not
  // thread-safe (one owner).
  class Reservation {
   public:
    Reservation() = default;
    explicit Reservation(MemoryBudget* budget) : budget_(budget) {}
    Reservation(Reservation&& other) noexcept { *this = std::move(other); }
    Reservation& operator=(Reservation&& other) noexcept;
    ~Reservation() { Resize(0); }

    // Changes the claim to `bytes`. Shrinking always succeeds; growing
    // fails (leaving the claim as it was) if the budget cannot cover it.
    bool Resize(uint64_t bytes);
    uint64_t bytes() const { return bytes_; }

   private:
    MemoryBudget* budget_ = nullptr;
    uint64_t bytes_ = 0;
  };

  Reservation Open() { return Reservation(this); }
  uint64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  uint64_t limit() const { return limit_; }

 private:
  bool TryAdd(uint64_t bytes);
  void Subtract(uint64_t bytes);

  const uint64_t limit_;
  std::atomic<uint64_t> in_use_{0};
};

// RESOURCE_EXHAUSTED for bytes the budget cannot hold: "retry shortly",
// with a RetryInfo of 1 s and ErrorInfo reason MEMORY_BUDGET_EXHAUSTED.
absl::Status MemoryBudgetExhausted();

// The memory gRPC may use for its own buffers (messages being received,
// HTTP/2 frames) beside an image budget of `budget_bytes`: half of it, at
// least 64 MiB. Under that quota gRPC shrinks its read buffers and, when it
// is exhausted, refuses new streams (RST_STREAM ENHANCE_YOUR_CALM) rather
// than grow without bound. Pure.
constexpr uint64_t GrpcBufferQuotaBytes(uint64_t budget_bytes) {
  const uint64_t half = budget_bytes / 2;
  return half > (uint64_t{64} << 20) ? half : uint64_t{64} << 20;
}

}  // namespace userimage

#endif  // SERVER_UPLOAD_MEMORY_BUDGET_H_
