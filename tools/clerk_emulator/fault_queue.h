#ifndef TOOLS_CLERK_EMULATOR_FAULT_QUEUE_H_
#define TOOLS_CLERK_EMULATOR_FAULT_QUEUE_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace clerk::emulator {

// What a scripted fault does to the request that consumes it.
enum class FaultKind {
  kTooManyRequests,     // "429"
  kInternalError,       // "500"
  kBadGateway,          // "502"
  kServiceUnavailable,  // "503"
  kGatewayTimeout,      // "504"
  kConnectionReset,     // "reset": the connection closes with no response
  kUnauthorized,        // "401": clerk_key_invalid
  kNotFound,            // "404": resource_not_found
  kImageTooLarge,       // "413": image_too_large
  kUnprocessable,       // "422": form_param_value_invalid
  kTextInternalError,   // "500_text": a 500 with a plain-text body
  kHtmlSuccess,         // "200_html": 200 with an HTML page, not a User
  kGarbageSuccess,      // "200_garbage": 200 with truncated JSON
  kExtraFieldsSuccess,  // "200_extra": the real answer plus unknown fields
  kHugeSuccess,         // "200_huge": 200 with a 30 MB JSON body
};

// Parses the control API's name of a fault kind ("429", ..., "reset").
absl::StatusOr<FaultKind> ParseFaultKind(absl::string_view name);
// The inverse of ParseFaultKind.
absl::string_view FaultKindName(FaultKind kind);

struct Fault {
  FaultKind kind = FaultKind::kInternalError;
  // Sent verbatim as the Retry-After header; no header when unset.
  std::optional<std::string> retry_after;
};

// FIFO of scripted faults, each consumed by one request. Thread-safe.
class FaultQueue {
 public:
  // Appends `count` copies of `fault`; a count below 1 appends nothing.
  void Push(const Fault& fault, int64_t count);
  // Removes and returns the oldest fault, if any.
  std::optional<Fault> Pop();
  void Clear();
  int64_t size() const;

 private:
  mutable absl::Mutex mu_;
  // Runs of identical faults, oldest first, each with its remaining count.
  std::deque<std::pair<Fault, int64_t>> runs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_FAULT_QUEUE_H_
