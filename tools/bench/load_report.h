#ifndef TOOLS_BENCH_LOAD_REPORT_H_
#define TOOLS_BENCH_LOAD_REPORT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/bench/load_plan.h"

namespace clerk::userimage::bench {

// One measured point of upload_load_bench: a load plan and its setting.
struct LoadPoint {
  LoadPlan plan;
  size_t image_bytes = 0;
  absl::Duration emulator_latency;
};

// The figures of one way of uploading (through the service, straight to
// Clerk with libcurl, or through Clerk's Node SDK) at one point.
struct ModeFigures {
  std::string name;
  // False when the mode did not run; `skipped` then says why.
  bool ran = false;
  std::string skipped;
  int calls = 0;
  int succeeded = 0;
  std::map<std::string, int> errors;
  // From the start of the run to the return of the last upload.
  absl::Duration wall;
  double uploads_per_s = 0;  // succeeded / wall
  double mib_per_s = 0;      // succeeded x image bytes / wall, in MiB
  // Scheduled start to return, over successful uploads (zero when none).
  absl::Duration p50, p90, p99, max;
  // CPU of the measured process during the run (see docs/benchmarks.md for
  // which process), per MiB of images delivered and per upload.
  absl::Duration cpu;
  double cpu_s_per_mib = 0;
  double cpu_ms_per_upload = 0;
  // CPU the emulator used during the run, per upload delivered.
  absl::Duration emulator_cpu;
  double emulator_cpu_ms_per_upload = 0;
  // Of the measured process: VmHWM, and the most threads sampled.
  int64_t peak_rss_bytes = 0;
  int max_threads = 0;
  // Most uploads in flight at once, as the load generator counted them.
  int max_in_flight = 0;
};

// Fills the upload figures of `figures` from `records`; the caller fills
// name, CPU (here taken as `cpu`), RSS and threads.
ModeFigures Summarize(const std::string& name, const LoadRecords& records,
                      size_t image_bytes, absl::Duration cpu,
                      int64_t peak_rss_bytes, int max_threads);

// Sets the emulator's CPU figures of `figures`.
void SetEmulatorCpu(absl::Duration cpu, ModeFigures& figures);

ModeFigures Skipped(const std::string& name, const std::string& why);

// One target of docs/benchmarks.md, judged at one point.
struct TargetResult {
  std::string name;
  bool met = false;
  // What was measured and the limit, in words and numbers.
  std::string detail;
};

// The targets of docs/benchmarks.md that apply to `point`, judged on
// `proxy` against `direct`: at 1 MiB one upload at a time, added p50
// latency <= 1.5 ms and server CPU per MiB <= 3x the direct client's; at
// 1 MiB and 64 concurrent, that CPU ratio <= 2.5x; in a burst of 2,000 or
// more against 1 s of backend latency, wall time <= 1.3x the direct
// burst's; at every point, peak RSS <= 1.2 x image bytes in flight + 64 MiB
// and at most 16 server threads.
std::vector<TargetResult> JudgeTargets(const LoadPoint& point,
                                       const ModeFigures& proxy,
                                       const ModeFigures& direct);

// Every target judged, one line each (MET or MISSED, the name, what was
// measured), then whether all were met.
std::string FormatTargetSummary(const std::vector<TargetResult>& targets);

// The point's figures side by side (proxy, direct, proxy/direct, and node
// with node/direct when it ran), and the targets.
std::string FormatPointTable(const LoadPoint& point, const ModeFigures& proxy,
                             const ModeFigures& direct, const ModeFigures& node,
                             const std::vector<TargetResult>& targets);

// The same as one line of JSON.
std::string FormatPointJson(const LoadPoint& point, const ModeFigures& proxy,
                            const ModeFigures& direct, const ModeFigures& node,
                            const std::vector<TargetResult>& targets);

// A gnuplot data line: the point's x (workers, uploads or rate), then p50,
// p90 and p99 in ms of proxy and of direct, then uploads/s of both.
std::string FormatPlotLine(const LoadPoint& point, const ModeFigures& proxy,
                           const ModeFigures& direct);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_LOAD_REPORT_H_
