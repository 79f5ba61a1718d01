// Per-caller metrics keep their label set bounded: callers named in the
// configuration get labels of their own, everyone else is "other".

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/metrics/metrics.h"
#include "tests/testing/metrics_scrape.h"

namespace userimage {
namespace {

TEST(CallerMetricsTest, KnownCallersHaveTheirOwnLabelOthersShareOne) {
  Metrics metrics;
  metrics.SetKnownCallers({"web", "batch"});
  EXPECT_EQ(metrics.CallerLabel("web"), "web");
  EXPECT_EQ(metrics.CallerLabel(""), "anonymous");
  EXPECT_EQ(metrics.CallerLabel("spiffe://x/unknown-1"), "other");
  for (int i = 0; i < 100; ++i) {
    metrics.RecordCallerSent(absl::StrCat("stranger-", i));
  }
  metrics.RecordCallerSent("web");
  metrics.RecordCallerRefused("batch");
  metrics.RecordCallerQueued("web", 2);
  metrics.RecordCallerQueued("web", -1);
  metrics.RecordCallerGateWait("web", absl::Seconds(3));
  EXPECT_EQ(
      ScrapeMetric(metrics, "userimage_caller_sent_total{caller=\"other\"}"),
      100);
  EXPECT_EQ(ScrapeMetric(metrics, "userimage_caller_sent_total"), 101);
  EXPECT_EQ(
      ScrapeMetric(metrics, "userimage_caller_refused_total{caller=\"batch\"}"),
      1);
  EXPECT_EQ(
      ScrapeMetric(metrics, "userimage_caller_queued_requests{caller=\"web\"}"),
      1);
  EXPECT_EQ(
      ScrapeMetric(metrics,
                   "userimage_caller_gate_wait_seconds_sum{caller=\"web\"}"),
      3);
}

}  // namespace
}  // namespace userimage
