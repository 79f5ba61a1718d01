#ifndef TOOLS_BENCH_REPORT_H_
#define TOOLS_BENCH_REPORT_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "tools/bench/emulator_control.h"
#include "tools/bench/json_object.h"
#include "tools/bench/upload_load.h"

namespace clerk::userimage::bench {

// Clerk's quota: `requests` per fixed `window`.
struct Quota {
  int requests = 100;
  absl::Duration window = absl::Seconds(10);
};

// The goals the paced mode is measured against.
struct Targets {
  // Smallest acceptable goodput, as a fraction of the quota.
  double min_quota_used = 0.97;
  // Largest acceptable share of Clerk requests answered 429.
  double max_rate_limited_share = 0.01;
};

// The figures of one mode.
struct ModeStats {
  // The mode's server flags (beyond address, port file and Clerk URL).
  std::string server_flags;
  int uploads = 0;
  int successes = 0;
  // gRPC code name → failed calls.
  std::map<std::string, int> failures;
  // From the release until the last call returned, whatever its outcome.
  absl::Duration wall;
  // The latest call start after the release.
  absl::Duration start_spread;
  // successes / (max(wall, window) / window × quota).
  double goodput = 0;
  ClerkLogSummary clerk;
  // Clerk's 429s / requests Clerk received (0 when none).
  double rate_limited_share = 0;
  // Call start → return, over successful calls (zero when none).
  absl::Duration p50;
  absl::Duration p99;
  absl::Duration max;
};

// Clerk's answers as "status:count ..." ("none" when there were none).
std::string StatusBreakdown(const ClerkLogSummary& clerk);

// The quota targets judged on one run's `goodput`, `rate_limited_share`
// and Clerk's answers: the table's two lines, and the same as fields of
// `goals`.
std::string FormatQuotaTargets(double goodput, double rate_limited_share,
                               const ClerkLogSummary& clerk,
                               const Targets& targets);
void AddQuotaTargets(double goodput, double rate_limited_share,
                     const Targets& targets, JsonObject& goals);

ModeStats Summarize(const LoadResult& load, const ClerkLogSummary& clerk,
                    const Quota& quota);

// A human-readable comparison of the two modes, with the targets judged.
std::string FormatTable(const ModeStats& paced, const ModeStats& unpaced,
                        const Quota& quota, const Targets& targets);

// The same as one line of JSON.
std::string FormatJson(const ModeStats& paced, const ModeStats& unpaced,
                       const Quota& quota, const Targets& targets,
                       absl::Duration deadline);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_REPORT_H_
