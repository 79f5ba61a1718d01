#include "tools/bench/report.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/bench/json_object.h"
#include "tools/bench/stats.h"

namespace clerk::userimage::bench {
namespace {

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

// Every failure code seen in either mode.
std::set<std::string> FailureCodes(const ModeStats& a, const ModeStats& b) {
  std::set<std::string> codes;
  for (const auto& [code, count] : a.failures) codes.insert(code);
  for (const auto& [code, count] : b.failures) codes.insert(code);
  return codes;
}

int FailuresOf(const ModeStats& stats, const std::string& code) {
  auto it = stats.failures.find(code);
  return it == stats.failures.end() ? 0 : it->second;
}

JsonObject ModeJson(const ModeStats& s) {
  JsonObject failures;
  for (const auto& [code, count] : s.failures) failures.Number(code, count);
  JsonObject by_status;
  for (const auto& [status, count] : s.clerk.by_status) {
    by_status.Number(absl::StrCat(status), count);
  }
  JsonObject json;
  json.String("server_flags", s.server_flags)
      .Number("uploads", s.uploads)
      .Number("succeeded", s.successes)
      .Number("failed", s.uploads - s.successes)
      .Object("failed_by_code", failures)
      .Number("wall_s", Seconds(s.wall))
      .Number("start_spread_s", Seconds(s.start_spread))
      .Number("goodput", s.goodput)
      .Number("clerk_requests", s.clerk.requests)
      .Number("clerk_429", s.clerk.Count(429))
      .Number("clerk_wasted", s.clerk.NotOk())
      .Number("clerk_429_share", s.rate_limited_share)
      .Object("clerk_by_status", by_status)
      .Number("success_p50_s", Seconds(s.p50))
      .Number("success_p99_s", Seconds(s.p99))
      .Number("success_max_s", Seconds(s.max));
  return json;
}

}  // namespace

std::string StatusBreakdown(const ClerkLogSummary& clerk) {
  if (clerk.by_status.empty()) return "none";
  std::vector<std::string> parts;
  for (const auto& [status, count] : clerk.by_status) {
    parts.push_back(absl::StrCat(status, ":", count));
  }
  return absl::StrJoin(parts, " ");
}

std::string FormatQuotaTargets(double goodput, double rate_limited_share,
                               const ClerkLogSummary& clerk,
                               const Targets& targets) {
  const double used = 100 * goodput;
  const double min_used = 100 * targets.min_quota_used;
  const double limited = 100 * rate_limited_share;
  const double max_limited = 100 * targets.max_rate_limited_share;
  return absl::StrFormat(
      "  quota used >= %.0f %%: %.2f %% -> %s by %.2f points\n"
      "  429s <= %.0f %% of Clerk requests: %.2f %% (%d of %d) -> %s by %.2f "
      "points\n",
      min_used, used, goodput >= targets.min_quota_used ? "MET" : "MISSED",
      std::fabs(used - min_used), max_limited, limited, clerk.Count(429),
      clerk.requests,
      rate_limited_share <= targets.max_rate_limited_share ? "MET" : "MISSED",
      std::fabs(limited - max_limited));
}

void AddQuotaTargets(double goodput, double rate_limited_share,
                     const Targets& targets, JsonObject& goals) {
  goals.Number("min_quota_used", targets.min_quota_used)
      .Number("quota_used", goodput)
      .Bool("quota_used_met", goodput >= targets.min_quota_used)
      .Number("max_429_share", targets.max_rate_limited_share)
      .Number("429_share", rate_limited_share)
      .Bool("429_share_met",
            rate_limited_share <= targets.max_rate_limited_share);
}

ModeStats Summarize(const LoadResult& load, const ClerkLogSummary& clerk,
                    const Quota& quota) {
  ModeStats s;
  s.uploads = static_cast<int>(load.outcomes.size());
  s.wall = load.wall;
  s.clerk = clerk;
  std::vector<absl::Duration> latencies;
  for (const UploadOutcome& o : load.outcomes) {
    s.start_spread = std::max(s.start_spread, o.started);
    if (o.code == absl::StatusCode::kOk) {
      ++s.successes;
      latencies.push_back(o.finished - o.started);
    } else {
      ++s.failures[absl::StatusCodeToString(o.code)];
    }
  }
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    s.p50 = Percentile(latencies, 0.50);
    s.p99 = Percentile(latencies, 0.99);
    s.max = latencies.back();
  }
  const double windows =
      absl::FDivDuration(std::max(s.wall, quota.window), quota.window);
  s.goodput = s.successes / (windows * quota.requests);
  if (clerk.requests > 0) {
    s.rate_limited_share =
        static_cast<double>(clerk.Count(429)) / clerk.requests;
  }
  return s;
}

std::string FormatTable(const ModeStats& paced, const ModeStats& unpaced,
                        const Quota& quota, const Targets& targets) {
  std::string out;
  auto row = [&out](const std::string& label, const std::string& p,
                    const std::string& u, const std::string& ratio) {
    absl::StrAppendFormat(&out, "%-36s %12s %12s %14s\n", label, p, u, ratio);
  };
  auto count_row = [&row](const std::string& label, double p, double u) {
    row(label, absl::StrCat(p), absl::StrCat(u), FormatRatio(Ratio(p, u)));
  };
  auto fixed_row = [&row](const std::string& label, double p, double u,
                          const char* format) {
    row(label, absl::StrFormat(format, p), absl::StrFormat(format, u),
        FormatRatio(Ratio(p, u)));
  };

  absl::StrAppendFormat(
      &out, "%d uploads offered at once; Clerk quota %d requests per %s\n\n",
      paced.uploads, quota.requests, absl::FormatDuration(quota.window));
  row("", "paced", "unpaced", "paced/unpaced");
  count_row("uploads succeeded", paced.successes, unpaced.successes);
  count_row("uploads failed", paced.uploads - paced.successes,
            unpaced.uploads - unpaced.successes);
  for (const std::string& code : FailureCodes(paced, unpaced)) {
    count_row(absl::StrCat("  ", code), FailuresOf(paced, code),
              FailuresOf(unpaced, code));
  }
  fixed_row("wall time, release to last return (s)", Seconds(paced.wall),
            Seconds(unpaced.wall), "%.2f");
  fixed_row("goodput (% of quota)", 100 * paced.goodput, 100 * unpaced.goodput,
            "%.2f");
  count_row("requests Clerk received", paced.clerk.requests,
            unpaced.clerk.requests);
  count_row("  answered 429", paced.clerk.Count(429), unpaced.clerk.Count(429));
  count_row("  wasted (answered other than 200)", paced.clerk.NotOk(),
            unpaced.clerk.NotOk());
  fixed_row("  429s (% of requests)", 100 * paced.rate_limited_share,
            100 * unpaced.rate_limited_share, "%.2f");
  fixed_row("success time to completion p50 (s)", Seconds(paced.p50),
            Seconds(unpaced.p50), "%.2f");
  fixed_row("success time to completion p99 (s)", Seconds(paced.p99),
            Seconds(unpaced.p99), "%.2f");
  fixed_row("success time to completion max (s)", Seconds(paced.max),
            Seconds(unpaced.max), "%.2f");
  fixed_row("last call start after release (ms)",
            absl::ToDoubleMilliseconds(paced.start_spread),
            absl::ToDoubleMilliseconds(unpaced.start_spread), "%.1f");
  absl::StrAppendFormat(&out, "%-36s %s\n", "Clerk answers, paced",
                        StatusBreakdown(paced.clerk));
  absl::StrAppendFormat(&out, "%-36s %s\n", "Clerk answers, unpaced",
                        StatusBreakdown(unpaced.clerk));
  absl::StrAppendFormat(&out, "%-36s %s\n", "server flags, paced",
                        paced.server_flags);
  absl::StrAppendFormat(&out, "%-36s %s\n", "server flags, unpaced",
                        unpaced.server_flags);

  absl::StrAppendFormat(
      &out,
      "\ngoodput = successes / (max(wall, window) / window x quota); wall is\n"
      "measured on the client from the release of all calls to the return\n"
      "of the last one, whatever its outcome.\n");
  if (paced.uploads < 2 * quota.requests) {
    absl::StrAppendFormat(
        &out,
        "With fewer uploads than two windows' quota, goodput reflects the "
        "load\noffered more than the pacing.\n");
  }
  absl::StrAppendFormat(&out, "\nTargets (paced mode):\n");
  absl::StrAppend(&out,
                  FormatQuotaTargets(paced.goodput, paced.rate_limited_share,
                                     paced.clerk, targets));
  return out;
}

std::string FormatJson(const ModeStats& paced, const ModeStats& unpaced,
                       const Quota& quota, const Targets& targets,
                       absl::Duration deadline) {
  JsonObject ratios;
  ratios.Ratio("succeeded", Ratio(paced.successes, unpaced.successes))
      .Ratio("wall", Ratio(Seconds(paced.wall), Seconds(unpaced.wall)))
      .Ratio("goodput", Ratio(paced.goodput, unpaced.goodput))
      .Ratio("clerk_requests",
             Ratio(paced.clerk.requests, unpaced.clerk.requests))
      .Ratio("clerk_429",
             Ratio(paced.clerk.Count(429), unpaced.clerk.Count(429)))
      .Ratio("clerk_wasted", Ratio(paced.clerk.NotOk(), unpaced.clerk.NotOk()))
      .Ratio("success_p50", Ratio(Seconds(paced.p50), Seconds(unpaced.p50)))
      .Ratio("success_p99", Ratio(Seconds(paced.p99), Seconds(unpaced.p99)))
      .Ratio("success_max", Ratio(Seconds(paced.max), Seconds(unpaced.max)));
  JsonObject goals;
  AddQuotaTargets(paced.goodput, paced.rate_limited_share, targets, goals);
  JsonObject json;
  json.String("benchmark", "rate_limit")
      .Number("uploads", paced.uploads)
      .Number("quota", quota.requests)
      .Number("window_s", Seconds(quota.window))
      .Number("deadline_s", Seconds(deadline))
      .Object("paced", ModeJson(paced))
      .Object("unpaced", ModeJson(unpaced))
      .Object("paced_over_unpaced", ratios)
      .Object("targets", goals);
  return json.ToString();
}

}  // namespace clerk::userimage::bench
