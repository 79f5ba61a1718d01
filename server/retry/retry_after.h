#ifndef SERVER_RETRY_RETRY_AFTER_H_
#define SERVER_RETRY_RETRY_AFTER_H_

#include <optional>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace userimage {

// Parses an HTTP Retry-After value (RFC 9110 §10.2.3) into how long to wait
// from `now`: delay-seconds ("120", also "1.5") or an HTTP-date in any of
// the three forms RFC 9110 requires recipients to accept (IMF-fixdate
// "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT",
// asctime "Sun Nov  6 08:49:37 1994"). A date in the past gives zero.
// Returns nullopt for anything else: empty, negative, garbage, or numbers
// too large to mean anything. Callers clamp the result. Pure; thread-safe.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                              absl::Time now);

}  // namespace userimage

#endif  // SERVER_RETRY_RETRY_AFTER_H_
