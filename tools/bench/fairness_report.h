#ifndef TOOLS_BENCH_FAIRNESS_REPORT_H_
#define TOOLS_BENCH_FAIRNESS_REPORT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/bench/emulator_control.h"
#include "tools/bench/load_plan.h"
#include "tools/bench/report.h"

namespace clerk::userimage::bench {

// The figures of fairness_bench: two callers share one server, "batch"
// offering many uploads at once and "web" a few, a little later.

// The goals the issue sets for the fair runs.
struct FairnessTargets {
  // Web's slowest upload, from its start.
  absl::Duration max_web_slowest = absl::Seconds(8);
  // Goodput and 429s, as for rate_limit_bench's paced mode.
  Targets quota;
};

// One caller's uploads in one run. Times are from the run's release (the
// instant the first caller's uploads were let go); `scheduled` is when the
// upload was offered.
struct CallerCalls {
  std::vector<CallRecord> calls;
  // Failures by error text, as LoadRecords keeps them ("<gRPC code number>
  // <message>").
  std::map<std::string, int> errors;
};

// Appends `records`, whose times count from `offset` after the run's
// release, to `caller`.
void AddRecords(const LoadRecords& records, absl::Duration offset,
                CallerCalls& caller);

// LoadRecords' error texts counted by gRPC code name ("RESOURCE_EXHAUSTED");
// a text that does not start with a code number counts as "UNKNOWN".
std::map<std::string, int> FailuresByCode(
    const std::map<std::string, int>& errors);

struct CallerFigures {
  int uploads = 0;
  int successes = 0;
  // gRPC code name → failed calls.
  std::map<std::string, int> failures;
  // Offered → returned, over successful calls (zero when none).
  absl::Duration p50;
  absl::Duration max;
  // When the caller's last call returned, from the run's release.
  absl::Duration last_return;
};

CallerFigures SummarizeCaller(const CallerCalls& caller);

// The figures of one run.
struct FairnessRun {
  // "baseline", "fair" or "bulk", and what it means.
  std::string name;
  std::string description;
  // Server flags beyond address, port file and Clerk URL.
  std::string server_flags;
  CallerFigures batch;
  CallerFigures web;
  // From the release until the last call of either caller returned.
  absl::Duration wall;
  // successes / (max(wall, window) / window × quota).
  double goodput = 0;
  // Of the uploads that succeeded from web's first offer to web's last
  // return, the share that were web's (0 when none).
  double web_share_while_waiting = 0;
  ClerkLogSummary clerk;
  // Clerk's 429s / requests Clerk received (0 when none).
  double rate_limited_share = 0;
};

FairnessRun SummarizeRun(const std::string& name,
                         const std::string& description,
                         const CallerCalls& batch, const CallerCalls& web,
                         const ClerkLogSummary& clerk, const Quota& quota);

// What the scenario was.
struct FairnessScenario {
  int batch_uploads = 0;
  int web_uploads = 0;
  absl::Duration web_delay;
  absl::Duration deadline;
  Quota quota;
};

// The runs side by side (the first is the baseline; the others get a
// ratio column against it), then the targets, judged on every run but the
// baseline.
std::string FormatFairnessTable(const FairnessScenario& scenario,
                                const std::vector<FairnessRun>& runs,
                                const FairnessTargets& targets);

// The same as one line of JSON.
std::string FormatFairnessJson(const FairnessScenario& scenario,
                               const std::vector<FairnessRun>& runs,
                               const FairnessTargets& targets);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_FAIRNESS_REPORT_H_
