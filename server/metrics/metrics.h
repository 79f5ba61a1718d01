#ifndef SERVER_METRICS_METRICS_H_
#define SERVER_METRICS_METRICS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace userimage {

// The service's Prometheus metrics (prometheus-cpp), named and labelled by
// Prometheus conventions (see docs/operations.md for the reference):
//   userimage_uploads_total{code}                  finished uploads by gRPC
//                                                  code
//   userimage_upload_received_bytes_total          image bytes received
//   userimage_upload_duration_seconds              end-to-end upload latency
//   userimage_clerk_requests_total{status}         Clerk answers by HTTP status
//                                                  ("error" when none came)
//   userimage_clerk_request_duration_seconds       latency of each attempt
//   userimage_clerk_forwarded_bytes_total          image bytes sent to Clerk
//   userimage_clerk_retries_total                  retries sent to Clerk
//   userimage_clerk_retries_throttled_total        retries the retry budget
//                                                  refused
//   userimage_superseded_total                     requests replaced by a
//                                                  newer one for their user
//   userimage_user_queue_wait_seconds              time requests waited for
//                                                  an earlier one for their
//                                                  user
//   userimage_user_lease_wait_seconds              time requests took to
//                                                  claim their user's lease
//                                                  across replicas (Redis)
//   userimage_user_lease_lost_total                leases that lapsed while
//                                                  an attempt was in flight
//   userimage_user_order_unavailable_total         requests ordered only
//                                                  within this replica, as
//                                                  Redis was unreachable
//   userimage_clerk_rate_limit_pauses_total        429s that paused the gate
//   userimage_rate_gate_wait_seconds               time requests waited
//   userimage_shared_quota_fallbacks_total         times the shared (Redis)
//                                                  quota became unreachable
// plus gauges sampled when scraped (AddGauge): uploads in flight, requests
// waiting at the gate, memory budget in use and its limit.
//
// Thread-safe. Expose Collectables() with a prometheus::Exposer.
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

  // A gauge whose value `sample` returns at each scrape. Call before
  // exposing; `sample` must be thread-safe and outlive this object's use.
  void AddGauge(const std::string& name, const std::string& help,
                std::function<double()> sample);

  // A counter kept elsewhere (e.g. dropped log lines), read at each scrape;
  // `sample` must never decrease. As for AddGauge().
  void AddSampledCounter(const std::string& name, const std::string& help,
                         std::function<double()> sample);

  // What an Exposer must serve.
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
};

}  // namespace userimage

#endif  // SERVER_METRICS_METRICS_H_
