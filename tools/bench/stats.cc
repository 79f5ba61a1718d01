#include "tools/bench/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_format.h"

namespace clerk::userimage::bench {

absl::Duration Percentile(const std::vector<absl::Duration>& values, double q) {
  const size_t rank = static_cast<size_t>(std::ceil(q * values.size()));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

std::optional<double> Ratio(double a, double b) {
  if (b == 0) {
    if (a == 0) return std::nullopt;
    return std::numeric_limits<double>::infinity();
  }
  return a / b;
}

std::string FormatRatio(std::optional<double> ratio) {
  if (!ratio.has_value()) return "-";
  if (std::isinf(*ratio)) return "inf";
  return absl::StrFormat("%.2f", *ratio);
}

}  // namespace clerk::userimage::bench
