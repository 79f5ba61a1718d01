#include "server/retry/retry_after.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace userimage {

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value,
                                              absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  if (value.empty()) return std::nullopt;
  if (absl::ascii_isdigit(static_cast<unsigned char>(value[0]))) {
    double seconds = 0;
    // A year is far beyond any sane Retry-After; larger numbers are junk.
    constexpr double kMaxSeconds = 365.0 * 24 * 3600;
    if (!absl::SimpleAtod(value, &seconds) || !(seconds >= 0) ||
        seconds > kMaxSeconds) {
      return std::nullopt;
    }
    for (char c : value) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '.') {
        return std::nullopt;  // Rejects "1e3", "12abc" and the like.
      }
    }
    return absl::Seconds(seconds);
  }
  for (const char* format :
       {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y"}) {
    absl::Time when;
    std::string error;
    if (absl::ParseTime(format, value, absl::UTCTimeZone(), &when, &error)) {
      return std::max(absl::ZeroDuration(), when - now);
    }
  }
  return std::nullopt;
}

}  // namespace userimage
