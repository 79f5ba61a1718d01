#ifndef SERVER_METRICS_METRICS_H_
#define SERVER_METRICS_METRICS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace userimage {

// The service's Prometheus metrics (prometheus-cpp), named and labelled by
// Prometheus conventions: counters and histograms recorded through the
// Record*() methods, and gauges sampled when scraped (AddGauge(),
// AddSampledCounter()). Each metric's help text is in metrics.cc; the
// reference table for operators is in docs/operations.md.
//
// Thread-safe. Serve Collectables() with a MetricsEndpoint.
class Metrics {
 public:
  Metrics();

  void RecordUpload(absl::StatusCode code, uint64_t bytes_received,
                    absl::Duration latency);
  // `http_status` 0: no HTTP answer (connection failure, timeout).
  void RecordClerkRequest(int http_status, absl::Duration latency,
                          uint64_t bytes_sent);
  void RecordRetry();
  void RecordRetryThrottled();
  void RecordSuperseded();
  void RecordUserQueueWait(absl::Duration wait);
  void RecordUserLeaseWait(absl::Duration wait);
  void RecordUserLeaseLost();
  void RecordUserOrderUnavailable();
  void RecordRateLimitPause();
  void RecordGateWait(absl::Duration wait);
  void RecordSharedQuotaFallback();

  // Per-caller metrics, labelled `caller` with bounded cardinality: an
  // identity given to SetKnownCallers() is its own label, the anonymous
  // caller ("") is "anonymous", and every other is "other" (an identity
  // named "anonymous" or "other" shares that label). Call SetKnownCallers()
  // once, before serving (it is not safe against concurrent Record*()
  // calls).
  void SetKnownCallers(const std::vector<std::string>& identities);
  // The caller's requests waiting at the rate gate changed by `delta`.
  void RecordCallerQueued(absl::string_view caller, int delta);
  void RecordCallerGateWait(absl::string_view caller, absl::Duration wait);
  // An attempt of the caller's went to Clerk.
  void RecordCallerSent(absl::string_view caller);
  // The gate refused one of the caller's requests with RESOURCE_EXHAUSTED
  // (its cap, or no room before the deadline, at once or after a pause).
  void RecordCallerRefused(absl::string_view caller);
  // The label `caller` is recorded under.
  std::string CallerLabel(absl::string_view caller) const;

  // A gauge whose value `sample` returns at each scrape. Call before
  // exposing; `sample` must be thread-safe and outlive this object's use.
  void AddGauge(const std::string& name, const std::string& help,
                std::function<double()> sample);

  // A counter kept elsewhere (e.g. dropped log lines), read at each scrape;
  // `sample` must never decrease. As for AddGauge().
  void AddSampledCounter(const std::string& name, const std::string& help,
                         std::function<double()> sample);

  // What a MetricsEndpoint must serve.
  std::vector<std::weak_ptr<prometheus::Collectable>> Collectables();

 private:
  class SampledGauges;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<SampledGauges> gauges_;
  prometheus::Family<prometheus::Counter>& uploads_;
  prometheus::Counter& received_bytes_;
  prometheus::Histogram& upload_duration_;
  prometheus::Family<prometheus::Counter>& clerk_requests_;
  prometheus::Histogram& clerk_duration_;
  prometheus::Counter& forwarded_bytes_;
  prometheus::Counter& retries_;
  prometheus::Counter& retries_throttled_;
  prometheus::Counter& superseded_;
  prometheus::Histogram& user_queue_wait_;
  prometheus::Histogram& user_lease_wait_;
  prometheus::Counter& user_leases_lost_;
  prometheus::Counter& user_order_unavailable_;
  prometheus::Counter& pauses_;
  prometheus::Histogram& gate_wait_;
  prometheus::Counter& shared_quota_fallbacks_;
  prometheus::Family<prometheus::Gauge>& caller_queued_;
  prometheus::Family<prometheus::Histogram>& caller_gate_wait_;
  prometheus::Family<prometheus::Counter>& caller_sent_;
  prometheus::Family<prometheus::Counter>& caller_refused_;
  // One caller label's metrics, looked up once.
  struct CallerSeries {
    prometheus::Gauge* queued;
    prometheus::Histogram* wait;
    prometheus::Counter* sent;
    prometheus::Counter* refused;
  };
  void AddCallerSeries(const std::string& label);
  const CallerSeries& SeriesFor(absl::string_view caller) const;
  // Label -> its series: "anonymous", "other" and the known callers.
  absl::flat_hash_map<std::string, CallerSeries> caller_series_;
  absl::flat_hash_set<std::string> known_callers_;
};

}  // namespace userimage

#endif  // SERVER_METRICS_METRICS_H_
