#include "tools/bench/fairness_report.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/bench/load_plan.h"

namespace clerk::userimage::bench {
namespace {

CallRecord Call(double offered_s, double finished_s, bool ok = true) {
  return {absl::Seconds(offered_s), absl::Seconds(finished_s), ok};
}

TEST(FairnessReportTest, FailuresAreCountedByCodeName) {
  const std::map<std::string, int> by_code =
      FailuresByCode({{"8 the rate limit", 2},
                      {"8 the caller's queue is full", 1},
                      {"4 deadline", 3},
                      {"no code", 1}});
  EXPECT_EQ(by_code, (std::map<std::string, int>{{"RESOURCE_EXHAUSTED", 3},
                                                 {"DEADLINE_EXCEEDED", 3},
                                                 {"UNKNOWN", 1}}));
}

TEST(FairnessReportTest, RecordsMoveToTheRunsTimeline) {
  LoadRecords records;
  records.calls = {Call(0, 1.5), Call(0, 3, false)};
  records.AddError("14 unavailable");
  CallerCalls caller;
  AddRecords(records, absl::Seconds(2), caller);
  AddRecords(records, absl::Seconds(2), caller);
  ASSERT_EQ(caller.calls.size(), 4);
  EXPECT_EQ(caller.calls[0].scheduled, absl::Seconds(2));
  EXPECT_EQ(caller.calls[0].finished, absl::Seconds(3.5));
  EXPECT_EQ(caller.errors.at("14 unavailable"), 2);

  const CallerFigures figures = SummarizeCaller(caller);
  EXPECT_EQ(figures.uploads, 4);
  EXPECT_EQ(figures.successes, 2);
  EXPECT_EQ(figures.failures.at("UNAVAILABLE"), 2);
  // Upload times run from the offer, not from the run's release.
  EXPECT_EQ(figures.p50, absl::Seconds(1.5));
  EXPECT_EQ(figures.max, absl::Seconds(1.5));
  EXPECT_EQ(figures.last_return, absl::Seconds(5));
}

TEST(FairnessReportTest, RunFigures) {
  CallerCalls batch;
  for (int i = 0; i < 20; ++i) batch.calls.push_back(Call(0, 0.5 + i));
  CallerCalls web;
  web.calls = {Call(2, 3.2), Call(2, 5.2)};
  ClerkLogSummary clerk;
  clerk.requests = 25;
  clerk.by_status = {{200, 22}, {429, 3}};
  const Quota quota{.requests = 10, .window = absl::Seconds(10)};

  const FairnessRun run =
      SummarizeRun("fair", "two identities", batch, web, clerk, quota);
  EXPECT_EQ(run.wall, absl::Seconds(19.5));
  EXPECT_DOUBLE_EQ(run.goodput, 22 / (1.95 * 10));
  EXPECT_DOUBLE_EQ(run.rate_limited_share, 3.0 / 25);
  EXPECT_EQ(run.web.max, absl::Seconds(3.2));
  // From 2 s to 5.2 s: batch's uploads returning at 2.5, 3.5 and 4.5 s, and
  // web's two.
  EXPECT_DOUBLE_EQ(run.web_share_while_waiting, 2.0 / 5);
}

TEST(FairnessReportTest, TableJudgesTheTargetsOnAllButTheBaseline) {
  CallerCalls batch;
  batch.calls = {Call(0, 40)};
  CallerCalls slow_web;
  slow_web.calls = {Call(2, 31)};
  CallerCalls fast_web;
  fast_web.calls = {Call(2, 4)};
  ClerkLogSummary clerk;
  clerk.requests = 2;
  clerk.by_status = {{200, 2}};
  const Quota quota{.requests = 1, .window = absl::Seconds(20)};
  const std::vector<FairnessRun> runs = {
      SummarizeRun("baseline", "one caller", batch, slow_web, clerk, quota),
      SummarizeRun("fair", "two callers", batch, fast_web, clerk, quota)};
  const FairnessScenario scenario{.batch_uploads = 1,
                                  .web_uploads = 1,
                                  .web_delay = absl::Seconds(2),
                                  .deadline = absl::Seconds(120),
                                  .quota = quota};

  const std::string table =
      FormatFairnessTable(scenario, runs, FairnessTargets());
  EXPECT_NE(table.find("fair/baseline"), std::string::npos) << table;
  EXPECT_EQ(table.find("Targets (baseline run)"), std::string::npos) << table;
  EXPECT_NE(table.find("web's slowest upload <= 8 s: 2.00 s (1 of 1 "
                       "succeeded) -> MET"),
            std::string::npos)
      << table;
  // 2 uploads in 40 s at 1 per 20 s.
  EXPECT_NE(table.find("quota used >= 97 %: 100.00 % -> MET"),
            std::string::npos)
      << table;

  const std::string json =
      FormatFairnessJson(scenario, runs, FairnessTargets());
  EXPECT_NE(json.find("\"fair_over_baseline\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"web_slowest_met\":true"), std::string::npos) << json;
}

}  // namespace
}  // namespace clerk::userimage::bench
