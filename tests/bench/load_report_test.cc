#include "tools/bench/load_report.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tools/bench/load_plan.h"

namespace clerk::userimage::bench {
namespace {

constexpr size_t kMiB = 1 << 20;

ModeFigures Figures(absl::Duration p50, double cpu_s_per_mib) {
  ModeFigures m;
  m.ran = true;
  m.calls = m.succeeded = 10;
  m.p50 = p50;
  m.cpu_s_per_mib = cpu_s_per_mib;
  m.max_in_flight = 1;
  m.peak_rss_bytes = 40 * kMiB;
  m.max_threads = 14;
  return m;
}

const TargetResult* Find(const std::vector<TargetResult>& targets,
                         const std::string& prefix) {
  for (const TargetResult& t : targets) {
    if (absl::StartsWith(t.name, prefix)) return &t;
  }
  return nullptr;
}

TEST(LoadReportTest, SequentialMibJudgesAddedLatencyAndCpuRatio) {
  const LoadPoint point{{LoadShape::kClosed, 1}, kMiB, absl::ZeroDuration()};
  const ModeFigures direct = Figures(absl::Microseconds(700), 0.001);
  std::vector<TargetResult> met =
      JudgeTargets(point, Figures(absl::Microseconds(2100), 0.0029), direct);
  ASSERT_NE(Find(met, "added latency p50 <= 1.5 ms"), nullptr);
  EXPECT_TRUE(Find(met, "added latency p50 <= 1.5 ms")->met);
  ASSERT_NE(Find(met, "server CPU per MiB <= 3x"), nullptr);
  EXPECT_TRUE(Find(met, "server CPU per MiB <= 3x")->met);
  EXPECT_EQ(Find(met, "server CPU per MiB <= 2.5x"), nullptr);

  std::vector<TargetResult> missed =
      JudgeTargets(point, Figures(absl::Microseconds(2300), 0.0031), direct);
  EXPECT_FALSE(Find(missed, "added latency p50 <= 1.5 ms")->met);
  EXPECT_FALSE(Find(missed, "server CPU per MiB <= 3x")->met);
  EXPECT_TRUE(
      absl::StrContains(Find(missed, "added latency")->detail, "1.600 ms"));
}

TEST(LoadReportTest, SixtyFourConcurrentJudgesTheTighterCpuRatio) {
  const LoadPoint point{{LoadShape::kClosed, 64}, kMiB, absl::ZeroDuration()};
  const ModeFigures direct = Figures(absl::Milliseconds(50), 0.001);
  std::vector<TargetResult> targets =
      JudgeTargets(point, Figures(absl::Milliseconds(80), 0.0026), direct);
  ASSERT_NE(Find(targets, "server CPU per MiB <= 2.5x"), nullptr);
  EXPECT_FALSE(Find(targets, "server CPU per MiB <= 2.5x")->met);
  EXPECT_EQ(Find(targets, "added latency"), nullptr);
}

TEST(LoadReportTest, BurstJudgesWallTimeAgainstTheDirectBurst) {
  const LoadPoint point{{LoadShape::kBurst, 2000}, 102400, absl::Seconds(1)};
  ModeFigures proxy = Figures(absl::Seconds(1), 0.01);
  ModeFigures direct = Figures(absl::Seconds(1), 0.01);
  proxy.calls = proxy.succeeded = direct.calls = direct.succeeded = 2000;
  proxy.max_in_flight = 2000;
  direct.wall = absl::Seconds(2);
  proxy.wall = absl::Seconds(2.5);
  EXPECT_TRUE(Find(JudgeTargets(point, proxy, direct), "burst wall")->met);
  proxy.wall = absl::Seconds(2.7);
  EXPECT_FALSE(Find(JudgeTargets(point, proxy, direct), "burst wall")->met);
  // A burst in which an upload failed does not meet it, however fast.
  proxy.wall = absl::Seconds(2);
  proxy.succeeded = 1999;
  EXPECT_FALSE(Find(JudgeTargets(point, proxy, direct), "burst wall")->met);
}

TEST(LoadReportTest, RssIsJudgedAgainstTheBytesInFlight) {
  const LoadPoint point{{LoadShape::kBurst, 2000}, 102400, absl::Seconds(1)};
  ModeFigures proxy = Figures(absl::Seconds(1), 0.01);
  proxy.max_in_flight = 2000;  // 195.3 MiB: the limit is 298.4 MiB.
  proxy.peak_rss_bytes = 298 * kMiB;
  const ModeFigures direct = Figures(absl::Seconds(1), 0.01);
  EXPECT_TRUE(Find(JudgeTargets(point, proxy, direct), "server peak RSS")->met);
  proxy.peak_rss_bytes = 299 * kMiB;
  EXPECT_FALSE(
      Find(JudgeTargets(point, proxy, direct), "server peak RSS")->met);
}

TEST(LoadReportTest, ThreadsAreJudgedAtEveryPoint) {
  const LoadPoint point{{LoadShape::kOpen, 1, 25}, kMiB, absl::ZeroDuration()};
  ModeFigures proxy = Figures(absl::Milliseconds(3), 0.01);
  proxy.max_threads = 16;
  const ModeFigures direct = Figures(absl::Milliseconds(1), 0.01);
  EXPECT_TRUE(Find(JudgeTargets(point, proxy, direct), "server threads")->met);
  proxy.max_threads = 17;
  EXPECT_FALSE(Find(JudgeTargets(point, proxy, direct), "server threads")->met);
}

TEST(LoadReportTest, SummarySaysWhetherEveryTargetWasMet) {
  const std::string met = FormatTargetSummary({{"a", true, "fine"}});
  EXPECT_TRUE(absl::StrContains(met, "MET    a: fine"));
  EXPECT_TRUE(absl::StrContains(met, "all targets judged here: MET"));
  const std::string missed =
      FormatTargetSummary({{"a", true, "fine"}, {"b", false, "slow"}});
  EXPECT_TRUE(absl::StrContains(missed, "MISSED b: slow"));
  EXPECT_TRUE(absl::StrContains(missed, "NOT all met"));
}

}  // namespace
}  // namespace clerk::userimage::bench
