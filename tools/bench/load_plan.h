#ifndef TOOLS_BENCH_LOAD_PLAN_H_
#define TOOLS_BENCH_LOAD_PLAN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace clerk::userimage::bench {

// How uploads are offered.
enum class LoadShape {
  // `concurrency` workers, each starting its next upload as soon as the last
  // one returns, until `duration` has passed.
  kClosed,
  // Uploads start at `rate` per second for `duration`, on a fixed schedule
  // that never waits for earlier uploads to return.
  kOpen,
  // `concurrency` uploads, all started at once.
  kBurst,
};

absl::StatusOr<LoadShape> ParseLoadShape(absl::string_view name);
absl::string_view LoadShapeName(LoadShape shape);

struct LoadPlan {
  LoadShape shape = LoadShape::kClosed;
  int concurrency = 1;                          // kClosed, kBurst
  double rate = 1;                              // kOpen: uploads per second
  absl::Duration duration = absl::Seconds(10);  // kClosed, kOpen

  // kOpen: the number of uploads the plan starts, and when upload `index`
  // is due, from the start of the run.
  int64_t OpenArrivals() const;
  absl::Duration OpenArrival(int64_t index) const;
};

// The warm-up before `plan`: a closed loop of `duration` with as many
// workers as `plan` keeps in flight, at most 64 (16 for an open loop).
LoadPlan WarmupPlan(const LoadPlan& plan, absl::Duration duration);

// One upload of a run. Latency is finished - scheduled: in the open loop
// `scheduled` is the upload's slot on the fixed schedule (however late it
// actually started), in the closed loop the instant its worker started it,
// in a burst the release of the whole burst.
struct CallRecord {
  absl::Duration scheduled;  // from the start of the run
  absl::Duration finished;   // from the start of the run
  bool ok = false;
};

// What a load generator saw of one run.
struct LoadRecords {
  std::vector<CallRecord> calls;
  // Most uploads in flight at once.
  int max_in_flight = 0;
  // Failures by error text (shortened).
  std::map<std::string, int> errors;
  // CPU the load generator itself used during the run, when it measured it.
  absl::Duration cpu;

  void AddError(absl::string_view error);
};

// LoadRecords as text, one item per line ("cpu_s", "max_in_flight",
// "error <count> <text>", "call <scheduled_us> <finished_us> <0|1>"), the
// form in which load generators in other processes report.
std::string FormatRecords(const LoadRecords& records);
absl::StatusOr<LoadRecords> ParseRecords(absl::string_view text);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_LOAD_PLAN_H_
