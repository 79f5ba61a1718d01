#include "server/metrics/metrics.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "prometheus/metric_family.h"

namespace userimage {
namespace {

// 1 ms to ~2 min, roughly x2.5 apart.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
          0.5,   1,      2.5,   5,    10,    25,   60,  120};
}

}  // namespace

// Gauges read at scrape time.
class Metrics::SampledGauges : public prometheus::Collectable {
 public:
  void Add(std::string name, std::string help, prometheus::MetricType type,
           std::function<double()> sample) {
    absl::MutexLock lock(&mu_);
    gauges_.push_back(
        {std::move(name), std::move(help), type, std::move(sample)});
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<Gauge> gauges;
    {
      absl::MutexLock lock(&mu_);
      gauges = gauges_;
    }
    // Sampled outside the lock: a sample may take locks of its own.
    std::vector<prometheus::MetricFamily> families;
    for (const Gauge& g : gauges) {
      prometheus::MetricFamily family;
      family.name = g.name;
      family.help = g.help;
      family.type = g.type;
      prometheus::ClientMetric metric;
      if (g.type == prometheus::MetricType::Counter) {
        metric.counter.value = g.sample();
      } else {
        metric.gauge.value = g.sample();
      }
      family.metric.push_back(std::move(metric));
      families.push_back(std::move(family));
    }
    return families;
  }

 private:
  struct Gauge {
    std::string name;
    std::string help;
    prometheus::MetricType type;
    std::function<double()> sample;
  };
  mutable absl::Mutex mu_;
  std::vector<Gauge> gauges_ ABSL_GUARDED_BY(mu_);
};

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      gauges_(std::make_shared<SampledGauges>()),
      uploads_(
          prometheus::BuildCounter()
              .Name("userimage_uploads_total")
              .Help("Finished UploadProfileImage calls by gRPC status code.")
              .Register(*registry_)),
      received_bytes_(prometheus::BuildCounter()
                          .Name("userimage_upload_received_bytes_total")
                          .Help("Image bytes received from callers.")
                          .Register(*registry_)
                          .Add({})),
      upload_duration_(
          prometheus::BuildHistogram()
              .Name("userimage_upload_duration_seconds")
              .Help("Time from the start of an upload call to its answer.")
              .Register(*registry_)
              .Add({}, LatencyBuckets())),
      clerk_requests_(
          prometheus::BuildCounter()
              .Name("userimage_clerk_requests_total")
              .Help("Requests to Clerk by the HTTP status of the answer "
                    "(\"error\": no answer).")
              .Register(*registry_)),
      clerk_duration_(prometheus::BuildHistogram()
                          .Name("userimage_clerk_request_duration_seconds")
                          .Help("Duration of each request (attempt) to Clerk.")
                          .Register(*registry_)
                          .Add({}, LatencyBuckets())),
      forwarded_bytes_(prometheus::BuildCounter()
                           .Name("userimage_clerk_forwarded_bytes_total")
                           .Help("Image bytes sent to Clerk, retries included.")
                           .Register(*registry_)
                           .Add({})),
      retries_(prometheus::BuildCounter()
                   .Name("userimage_clerk_retries_total")
                   .Help("Requests to Clerk that were retries.")
                   .Register(*registry_)
                   .Add({})),
      retries_throttled_(
          prometheus::BuildCounter()
              .Name("userimage_clerk_retries_throttled_total")
              .Help("Retries not sent because the retry budget was spent.")
              .Register(*registry_)
              .Add({})),
      superseded_(prometheus::BuildCounter()
                      .Name("userimage_superseded_total")
                      .Help("Uploads and deletes replaced, before they were "
                            "sent, by a newer one for the same user.")
                      .Register(*registry_)
                      .Add({})),
      user_queue_wait_(
          prometheus::BuildHistogram()
              .Name("userimage_user_queue_wait_seconds")
              .Help("Time requests waited for an earlier request for the "
                    "same user to finish.")
              .Register(*registry_)
              .Add({}, LatencyBuckets())),
      user_lease_wait_(
          prometheus::BuildHistogram()
              .Name("userimage_user_lease_wait_seconds")
              .Help("Time attempts took to claim their user's lease across "
                    "replicas (Redis), waiting while an earlier request "
                    "for the user was in flight elsewhere.")
              .Register(*registry_)
              .Add({}, LatencyBuckets())),
      user_leases_lost_(
          prometheus::BuildCounter()
              .Name("userimage_user_lease_lost_total")
              .Help("User leases found lapsed while an attempt was in "
                    "flight (renewals failed or came too late).")
              .Register(*registry_)
              .Add({})),
      user_order_unavailable_(
          prometheus::BuildCounter()
              .Name("userimage_user_order_unavailable_total")
              .Help("Requests or attempts ordered only within this replica "
                    "because Redis could not be reached.")
              .Register(*registry_)
              .Add({})),
      pauses_(prometheus::BuildCounter()
                  .Name("userimage_clerk_rate_limit_pauses_total")
                  .Help("429 answers from Clerk that paused every request.")
                  .Register(*registry_)
                  .Add({})),
      gate_wait_(prometheus::BuildHistogram()
                     .Name("userimage_rate_gate_wait_seconds")
                     .Help("Time requests waited at the rate gate before being "
                           "sent to Clerk.")
                     .Register(*registry_)
                     .Add({}, LatencyBuckets())),
      shared_quota_fallbacks_(
          prometheus::BuildCounter()
              .Name("userimage_shared_quota_fallbacks_total")
              .Help(
                  "Times the quota shared through Redis became unreachable and "
                  "the rate gate fell back to this replica's share.")
              .Register(*registry_)
              .Add({})),
      caller_queued_(prometheus::BuildGauge()
                         .Name("userimage_caller_queued_requests")
                         .Help("Requests of each caller waiting at the rate "
                               "gate now.")
                         .Register(*registry_)),
      caller_gate_wait_(prometheus::BuildHistogram()
                            .Name("userimage_caller_gate_wait_seconds")
                            .Help("Time each caller's requests waited at the "
                                  "rate gate (sent or not).")
                            .Register(*registry_)),
      caller_sent_(prometheus::BuildCounter()
                       .Name("userimage_caller_sent_total")
                       .Help("Requests to Clerk sent for each caller, retries "
                             "included.")
                       .Register(*registry_)),
      caller_refused_(prometheus::BuildCounter()
                          .Name("userimage_caller_refused_total")
                          .Help("Requests of each caller the rate gate "
                                "refused at once (the caller's cap, or no "
                                "room before the deadline).")
                          .Register(*registry_)) {
  AddCallerSeries("anonymous");
  AddCallerSeries("other");
}

void Metrics::RecordUpload(absl::StatusCode code, uint64_t bytes_received,
                           absl::Duration latency) {
  uploads_.Add({{"code", absl::StatusCodeToString(code)}}).Increment();
  received_bytes_.Increment(static_cast<double>(bytes_received));
  upload_duration_.Observe(absl::ToDoubleSeconds(latency));
}

void Metrics::RecordClerkRequest(int http_status, absl::Duration latency,
                                 uint64_t bytes_sent) {
  clerk_requests_
      .Add({{"status", http_status == 0 ? "error" : absl::StrCat(http_status)}})
      .Increment();
  clerk_duration_.Observe(absl::ToDoubleSeconds(latency));
  forwarded_bytes_.Increment(static_cast<double>(bytes_sent));
}

void Metrics::RecordRetry() { retries_.Increment(); }

void Metrics::RecordRetryThrottled() { retries_throttled_.Increment(); }

void Metrics::RecordSuperseded() { superseded_.Increment(); }

void Metrics::RecordUserLeaseWait(absl::Duration wait) {
  user_lease_wait_.Observe(absl::ToDoubleSeconds(wait));
}

void Metrics::RecordUserLeaseLost() { user_leases_lost_.Increment(); }

void Metrics::RecordUserOrderUnavailable() {
  user_order_unavailable_.Increment();
}

void Metrics::RecordUserQueueWait(absl::Duration wait) {
  user_queue_wait_.Observe(absl::ToDoubleSeconds(wait));
}

void Metrics::RecordRateLimitPause() { pauses_.Increment(); }

void Metrics::RecordGateWait(absl::Duration wait) {
  gate_wait_.Observe(absl::ToDoubleSeconds(wait));
}

void Metrics::RecordSharedQuotaFallback() {
  shared_quota_fallbacks_.Increment();
}

void Metrics::AddCallerSeries(const std::string& label) {
  if (caller_series_.contains(label)) return;
  const std::map<std::string, std::string> labels = {{"caller", label}};
  caller_series_.emplace(
      label,
      CallerSeries{&caller_queued_.Add(labels),
                   &caller_gate_wait_.Add(labels, LatencyBuckets()),
                   &caller_sent_.Add(labels), &caller_refused_.Add(labels)});
}

void Metrics::SetKnownCallers(const std::vector<std::string>& identities) {
  for (const std::string& identity : identities) {
    if (identity.empty()) continue;
    known_callers_.insert(identity);
    AddCallerSeries(identity);
  }
}

std::string Metrics::CallerLabel(absl::string_view caller) const {
  if (caller.empty()) return "anonymous";
  if (known_callers_.contains(caller)) return std::string(caller);
  return "other";
}

const Metrics::CallerSeries& Metrics::SeriesFor(
    absl::string_view caller) const {
  if (!caller.empty() && known_callers_.contains(caller)) {
    return caller_series_.at(caller);
  }
  return caller_series_.at(caller.empty() ? "anonymous" : "other");
}

void Metrics::RecordCallerQueued(absl::string_view caller, int delta) {
  SeriesFor(caller).queued->Increment(delta);
}

void Metrics::RecordCallerGateWait(absl::string_view caller,
                                   absl::Duration wait) {
  SeriesFor(caller).wait->Observe(absl::ToDoubleSeconds(wait));
}

void Metrics::RecordCallerSent(absl::string_view caller) {
  SeriesFor(caller).sent->Increment();
}

void Metrics::RecordCallerRefused(absl::string_view caller) {
  SeriesFor(caller).refused->Increment();
}

void Metrics::AddGauge(const std::string& name, const std::string& help,
                       std::function<double()> sample) {
  gauges_->Add(name, help, prometheus::MetricType::Gauge, std::move(sample));
}

void Metrics::AddSampledCounter(const std::string& name,
                                const std::string& help,
                                std::function<double()> sample) {
  gauges_->Add(name, help, prometheus::MetricType::Counter, std::move(sample));
}

std::vector<std::weak_ptr<prometheus::Collectable>> Metrics::Collectables() {
  return {registry_, gauges_};
}

}  // namespace userimage
