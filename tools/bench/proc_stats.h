#ifndef TOOLS_BENCH_PROC_STATS_H_
#define TOOLS_BENCH_PROC_STATS_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace clerk::userimage::bench {

// CPU time process `pid` has used so far, user plus system
// (utime + stime of /proc/<pid>/stat, in clock ticks of usually 10 ms).
absl::StatusOr<absl::Duration> ProcessCpu(pid_t pid);

// Fields of /proc/<pid>/status.
struct ProcessStatus {
  int64_t peak_rss_bytes = 0;  // VmHWM: the resident set's high-water mark
  int64_t rss_bytes = 0;       // VmRSS
  int threads = 0;             // Threads
};
absl::StatusOr<ProcessStatus> ReadProcessStatus(pid_t pid);

// Samples the thread count and resident set of process `pid` every
// `interval` on a background thread, keeping the largest values seen.
// Starts in the constructor; Stop() (or the destructor) ends it. The
// accessors may be called from any thread at any time.
class ProcessSampler {
 public:
  ProcessSampler(pid_t pid, absl::Duration interval);
  ~ProcessSampler();
  ProcessSampler(const ProcessSampler&) = delete;
  ProcessSampler& operator=(const ProcessSampler&) = delete;

  // Takes a last sample and stops sampling; idempotent.
  void Stop();

  int max_threads() const { return max_threads_.load(); }
  int64_t max_rss_bytes() const { return max_rss_.load(); }
  // The largest VmHWM seen: the process's peak RSS up to the last sample.
  int64_t peak_rss_bytes() const { return peak_rss_.load(); }
  int samples() const { return samples_.load(); }

 private:
  void Sample();

  const pid_t pid_;
  absl::Notification stop_;
  std::atomic<int> max_threads_{0};
  std::atomic<int64_t> max_rss_{0};
  std::atomic<int64_t> peak_rss_{0};
  std::atomic<int> samples_{0};
  std::thread thread_;
};

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_PROC_STATS_H_
