#ifndef TOOLS_BENCH_STATS_H_
#define TOOLS_BENCH_STATS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace clerk::userimage::bench {

// Nearest-rank percentile (q in [0, 1]) of sorted, non-empty `values`.
absl::Duration Percentile(const std::vector<absl::Duration>& values, double q);

// a / b; nullopt when undefined (0 / 0), infinity for x / 0.
std::optional<double> Ratio(double a, double b);

// "%.2f" of a ratio, "-" when undefined and "inf" when infinite.
std::string FormatRatio(std::optional<double> ratio);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_STATS_H_
