#include "tools/bench/fairness_report.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "tools/bench/json_object.h"
#include "tools/bench/stats.h"

namespace clerk::userimage::bench {
namespace {

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

int FailuresOf(const CallerFigures& caller, const std::string& code) {
  auto it = caller.failures.find(code);
  return it == caller.failures.end() ? 0 : it->second;
}

// Rows of the table: a label, how to read a figure from a run, its format.
struct Row {
  std::string label;
  std::function<double(const FairnessRun&)> value;
  const char* format;
};

std::vector<Row> Rows(const std::vector<FairnessRun>& runs) {
  std::vector<Row> rows;
  for (const bool web : {true, false}) {
    const std::string who = web ? "web" : "batch";
    auto of = [web](const FairnessRun& r) -> const CallerFigures& {
      return web ? r.web : r.batch;
    };
    rows.push_back({absl::StrCat(who, ": uploads succeeded"),
                    [of](const FairnessRun& r) { return of(r).successes; },
                    "%.0f"});
    rows.push_back(
        {absl::StrCat(who, ": uploads failed"),
         [of](const FairnessRun& r) { return of(r).uploads - of(r).successes; },
         "%.0f"});
    std::set<std::string> codes;
    for (const FairnessRun& r : runs) {
      for (const auto& [code, count] : of(r).failures) codes.insert(code);
    }
    for (const std::string& code : codes) {
      rows.push_back(
          {absl::StrCat("  ", code),
           [of, code](const FairnessRun& r) { return FailuresOf(of(r), code); },
           "%.0f"});
    }
    rows.push_back({absl::StrCat(who, ": upload time p50 (s)"),
                    [of](const FairnessRun& r) { return Seconds(of(r).p50); },
                    "%.2f"});
    rows.push_back({absl::StrCat(who, ": slowest upload (s)"),
                    [of](const FairnessRun& r) { return Seconds(of(r).max); },
                    "%.2f"});
    rows.push_back(
        {absl::StrCat(who, ": last return after release (s)"),
         [of](const FairnessRun& r) { return Seconds(of(r).last_return); },
         "%.2f"});
  }
  rows.push_back(
      {"web's share while it waited (%)",
       [](const FairnessRun& r) { return 100 * r.web_share_while_waiting; },
       "%.1f"});
  rows.push_back({"wall time, release to last return (s)",
                  [](const FairnessRun& r) { return Seconds(r.wall); },
                  "%.2f"});
  rows.push_back({"goodput (% of quota)",
                  [](const FairnessRun& r) { return 100 * r.goodput; },
                  "%.2f"});
  rows.push_back({"requests Clerk received",
                  [](const FairnessRun& r) { return r.clerk.requests; },
                  "%.0f"});
  rows.push_back({"  answered 429",
                  [](const FairnessRun& r) { return r.clerk.Count(429); },
                  "%.0f"});
  rows.push_back(
      {"  429s (% of requests)",
       [](const FairnessRun& r) { return 100 * r.rate_limited_share; },
       "%.2f"});
  return rows;
}

bool WebTargetMet(const FairnessRun& r, const FairnessTargets& t) {
  return r.web.successes == r.web.uploads && r.web.max <= t.max_web_slowest;
}

JsonObject CallerJson(const CallerFigures& c) {
  JsonObject failures;
  for (const auto& [code, count] : c.failures) failures.Number(code, count);
  JsonObject json;
  json.Number("uploads", c.uploads)
      .Number("succeeded", c.successes)
      .Number("failed", c.uploads - c.successes)
      .Object("failed_by_code", failures)
      .Number("p50_s", Seconds(c.p50))
      .Number("max_s", Seconds(c.max))
      .Number("last_return_s", Seconds(c.last_return));
  return json;
}

JsonObject RunJson(const FairnessRun& r) {
  JsonObject by_status;
  for (const auto& [status, count] : r.clerk.by_status) {
    by_status.Number(absl::StrCat(status), count);
  }
  JsonObject json;
  json.String("description", r.description)
      .String("server_flags", r.server_flags)
      .Object("web", CallerJson(r.web))
      .Object("batch", CallerJson(r.batch))
      .Number("web_share_while_waiting", r.web_share_while_waiting)
      .Number("wall_s", Seconds(r.wall))
      .Number("goodput", r.goodput)
      .Number("clerk_requests", r.clerk.requests)
      .Number("clerk_429", r.clerk.Count(429))
      .Number("clerk_429_share", r.rate_limited_share)
      .Object("clerk_by_status", by_status);
  return json;
}

JsonObject RatiosJson(const FairnessRun& r, const FairnessRun& base) {
  JsonObject json;
  json.Ratio("web_p50", Ratio(Seconds(r.web.p50), Seconds(base.web.p50)))
      .Ratio("web_max", Ratio(Seconds(r.web.max), Seconds(base.web.max)))
      .Ratio("batch_p50", Ratio(Seconds(r.batch.p50), Seconds(base.batch.p50)))
      .Ratio("batch_max", Ratio(Seconds(r.batch.max), Seconds(base.batch.max)))
      .Ratio("goodput", Ratio(r.goodput, base.goodput))
      .Ratio("clerk_requests", Ratio(r.clerk.requests, base.clerk.requests));
  return json;
}

JsonObject TargetsJson(const FairnessRun& r, const FairnessTargets& t) {
  JsonObject json;
  json.Number("max_web_slowest_s", Seconds(t.max_web_slowest))
      .Number("web_slowest_s", Seconds(r.web.max))
      .Bool("web_slowest_met", WebTargetMet(r, t));
  AddQuotaTargets(r.goodput, r.rate_limited_share, t.quota, json);
  return json;
}

}  // namespace

void AddRecords(const LoadRecords& records, absl::Duration offset,
                CallerCalls& caller) {
  for (const CallRecord& call : records.calls) {
    caller.calls.push_back(
        {call.scheduled + offset, call.finished + offset, call.ok});
  }
  for (const auto& [text, count] : records.errors) {
    caller.errors[text] += count;
  }
}

std::map<std::string, int> FailuresByCode(
    const std::map<std::string, int>& errors) {
  std::map<std::string, int> by_code;
  for (const auto& [text, count] : errors) {
    const absl::string_view first =
        absl::string_view(text).substr(0, text.find(' '));
    int code = 0;
    std::string name = "UNKNOWN";
    if (absl::SimpleAtoi(first, &code) && code > 0 && code <= 16) {
      name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
    }
    by_code[name] += count;
  }
  return by_code;
}

CallerFigures SummarizeCaller(const CallerCalls& caller) {
  CallerFigures c;
  c.uploads = static_cast<int>(caller.calls.size());
  c.failures = FailuresByCode(caller.errors);
  std::vector<absl::Duration> latencies;
  for (const CallRecord& call : caller.calls) {
    c.last_return = std::max(c.last_return, call.finished);
    if (!call.ok) continue;
    ++c.successes;
    latencies.push_back(call.finished - call.scheduled);
  }
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    c.p50 = Percentile(latencies, 0.50);
    c.max = latencies.back();
  }
  return c;
}

FairnessRun SummarizeRun(const std::string& name,
                         const std::string& description,
                         const CallerCalls& batch, const CallerCalls& web,
                         const ClerkLogSummary& clerk, const Quota& quota) {
  FairnessRun r;
  r.name = name;
  r.description = description;
  r.batch = SummarizeCaller(batch);
  r.web = SummarizeCaller(web);
  r.wall = std::max(r.batch.last_return, r.web.last_return);
  r.clerk = clerk;
  const double windows =
      absl::FDivDuration(std::max(r.wall, quota.window), quota.window);
  r.goodput =
      (r.batch.successes + r.web.successes) / (windows * quota.requests);
  if (clerk.requests > 0) {
    r.rate_limited_share =
        static_cast<double>(clerk.Count(429)) / clerk.requests;
  }
  if (!web.calls.empty()) {
    absl::Duration offered = absl::InfiniteDuration();
    for (const CallRecord& call : web.calls) {
      offered = std::min(offered, call.scheduled);
    }
    auto in_window = [&](const CallRecord& call) {
      return call.ok && call.finished >= offered &&
             call.finished <= r.web.last_return;
    };
    const int web_done =
        std::count_if(web.calls.begin(), web.calls.end(), in_window);
    const int batch_done =
        std::count_if(batch.calls.begin(), batch.calls.end(), in_window);
    if (web_done + batch_done > 0) {
      r.web_share_while_waiting =
          static_cast<double>(web_done) / (web_done + batch_done);
    }
  }
  return r;
}

std::string FormatFairnessTable(const FairnessScenario& scenario,
                                const std::vector<FairnessRun>& runs,
                                const FairnessTargets& targets) {
  std::string out;
  absl::StrAppendFormat(
      &out,
      "batch offers %d uploads at once; web offers %d at once %s later; "
      "Clerk quota %d requests per %s; deadline %s\n\n",
      scenario.batch_uploads, scenario.web_uploads,
      absl::FormatDuration(scenario.web_delay), scenario.quota.requests,
      absl::FormatDuration(scenario.quota.window),
      absl::FormatDuration(scenario.deadline));
  if (runs.empty()) return out;
  const FairnessRun& base = runs.front();
  absl::StrAppendFormat(&out, "%-38s", "");
  for (const FairnessRun& r : runs)
    absl::StrAppendFormat(&out, " %10s", r.name);
  for (size_t i = 1; i < runs.size(); ++i) {
    absl::StrAppendFormat(&out, " %15s",
                          absl::StrCat(runs[i].name, "/", base.name));
  }
  out += "\n";
  for (const Row& row : Rows(runs)) {
    absl::StrAppendFormat(&out, "%-38s", row.label);
    for (const FairnessRun& r : runs) {
      absl::StrAppendFormat(&out, " %10s",
                            absl::StrFormat(row.format, row.value(r)));
    }
    for (size_t i = 1; i < runs.size(); ++i) {
      absl::StrAppendFormat(
          &out, " %15s",
          FormatRatio(Ratio(row.value(runs[i]), row.value(base))));
    }
    out += "\n";
  }
  out += "\n";
  for (const FairnessRun& r : runs) {
    absl::StrAppendFormat(&out, "%-10s %s\n", r.name, r.description);
    absl::StrAppendFormat(&out, "%-10s Clerk answers %s\n", "",
                          StatusBreakdown(r.clerk));
    absl::StrAppendFormat(&out, "%-10s server flags %s\n", "", r.server_flags);
  }
  absl::StrAppendFormat(
      &out,
      "\nUpload times run from each upload's offer to its return. goodput = "
      "successes /\n(max(wall, window) / window x quota). web's share while "
      "it waited: web's\nuploads among all that succeeded from web's offer "
      "to web's last return.\n");
  if (scenario.batch_uploads + scenario.web_uploads <
      2 * scenario.quota.requests) {
    absl::StrAppendFormat(
        &out,
        "With fewer uploads than two windows' quota, goodput reflects the "
        "load\noffered more than the pacing.\n");
  }

  for (size_t i = 1; i < runs.size(); ++i) {
    const FairnessRun& r = runs[i];
    absl::StrAppendFormat(&out, "\nTargets (%s run):\n", r.name);
    const double slowest = Seconds(r.web.max);
    const double max_slowest = Seconds(targets.max_web_slowest);
    absl::StrAppendFormat(
        &out,
        "  web's slowest upload <= %.0f s: %.2f s (%d of %d succeeded) -> %s "
        "by %.2f s\n",
        max_slowest, slowest, r.web.successes, r.web.uploads,
        WebTargetMet(r, targets) ? "MET" : "MISSED",
        std::fabs(slowest - max_slowest));
    absl::StrAppend(&out, FormatQuotaTargets(r.goodput, r.rate_limited_share,
                                             r.clerk, targets.quota));
  }
  return out;
}

std::string FormatFairnessJson(const FairnessScenario& scenario,
                               const std::vector<FairnessRun>& runs,
                               const FairnessTargets& targets) {
  JsonObject by_name;
  JsonObject ratios;
  JsonObject goals;
  for (size_t i = 0; i < runs.size(); ++i) {
    by_name.Object(runs[i].name, RunJson(runs[i]));
    if (i == 0) continue;
    ratios.Object(absl::StrCat(runs[i].name, "_over_", runs[0].name),
                  RatiosJson(runs[i], runs[0]));
    goals.Object(runs[i].name, TargetsJson(runs[i], targets));
  }
  JsonObject json;
  json.String("benchmark", "fairness")
      .Number("batch_uploads", scenario.batch_uploads)
      .Number("web_uploads", scenario.web_uploads)
      .Number("web_delay_s", Seconds(scenario.web_delay))
      .Number("quota", scenario.quota.requests)
      .Number("window_s", Seconds(scenario.quota.window))
      .Number("deadline_s", Seconds(scenario.deadline))
      .Object("runs", by_name)
      .Object("ratios", ratios)
      .Object("targets", goals);
  return json.ToString();
}

}  // namespace clerk::userimage::bench
