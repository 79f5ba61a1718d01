#include "tools/bench/load_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/bench/json_object.h"
#include "tools/bench/stats.h"

namespace clerk::userimage::bench {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

std::string Describe(const LoadPoint& point) {
  const LoadPlan& plan = point.plan;
  std::string load;
  switch (plan.shape) {
    case LoadShape::kClosed:
      load = absl::StrFormat("closed loop, %d workers for %s", plan.concurrency,
                             absl::FormatDuration(plan.duration));
      break;
    case LoadShape::kOpen:
      load = absl::StrFormat("open loop, %g uploads/s for %s", plan.rate,
                             absl::FormatDuration(plan.duration));
      break;
    case LoadShape::kBurst:
      load = absl::StrFormat("burst of %d uploads released at once",
                             plan.concurrency);
      break;
  }
  return absl::StrFormat("%s; %d-byte images (%.3f MiB); emulator latency %s",
                         load, point.image_bytes, point.image_bytes / kMiB,
                         absl::FormatDuration(point.emulator_latency));
}

double PointX(const LoadPoint& point) {
  return point.plan.shape == LoadShape::kOpen ? point.plan.rate
                                              : point.plan.concurrency;
}

JsonObject ModeJson(const ModeFigures& m) {
  JsonObject json;
  if (!m.ran) {
    json.Bool("ran", false).String("skipped", m.skipped);
    return json;
  }
  JsonObject errors;
  for (const auto& [text, count] : m.errors) errors.Number(text, count);
  json.Bool("ran", true)
      .Number("uploads", m.calls)
      .Number("succeeded", m.succeeded)
      .Number("failed", m.calls - m.succeeded)
      .Object("errors", errors)
      .Number("wall_s", absl::ToDoubleSeconds(m.wall))
      .Number("uploads_per_s", m.uploads_per_s)
      .Number("mib_per_s", m.mib_per_s)
      .Number("p50_ms", Ms(m.p50))
      .Number("p90_ms", Ms(m.p90))
      .Number("p99_ms", Ms(m.p99))
      .Number("max_ms", Ms(m.max))
      .Number("cpu_s", absl::ToDoubleSeconds(m.cpu))
      .Number("cpu_s_per_mib", m.cpu_s_per_mib)
      .Number("cpu_ms_per_upload", m.cpu_ms_per_upload)
      .Number("emulator_cpu_s", absl::ToDoubleSeconds(m.emulator_cpu))
      .Number("emulator_cpu_ms_per_upload", m.emulator_cpu_ms_per_upload)
      .Number("peak_rss_mib", m.peak_rss_bytes / kMiB)
      .Number("max_threads", m.max_threads)
      .Number("max_in_flight", m.max_in_flight);
  return json;
}

// Rows of the table: a label and how to read a figure from a mode.
struct Row {
  std::string label;
  std::function<double(const ModeFigures&)> value;
  const char* format;
};

std::vector<Row> Rows() {
  return {
      {"uploads succeeded", [](const ModeFigures& m) { return m.succeeded; },
       "%.0f"},
      {"uploads failed",
       [](const ModeFigures& m) { return m.calls - m.succeeded; }, "%.0f"},
      {"throughput (uploads/s)",
       [](const ModeFigures& m) { return m.uploads_per_s; }, "%.1f"},
      {"throughput (MiB/s)", [](const ModeFigures& m) { return m.mib_per_s; },
       "%.2f"},
      {"latency p50 (ms)", [](const ModeFigures& m) { return Ms(m.p50); },
       "%.2f"},
      {"latency p90 (ms)", [](const ModeFigures& m) { return Ms(m.p90); },
       "%.2f"},
      {"latency p99 (ms)", [](const ModeFigures& m) { return Ms(m.p99); },
       "%.2f"},
      {"latency max (ms)", [](const ModeFigures& m) { return Ms(m.max); },
       "%.2f"},
      {"CPU (s), measured process",
       [](const ModeFigures& m) { return absl::ToDoubleSeconds(m.cpu); },
       "%.2f"},
      {"CPU s per MiB delivered",
       [](const ModeFigures& m) { return m.cpu_s_per_mib; }, "%.4f"},
      {"CPU ms per upload",
       [](const ModeFigures& m) { return m.cpu_ms_per_upload; }, "%.3f"},
      {"emulator CPU ms per upload",
       [](const ModeFigures& m) { return m.emulator_cpu_ms_per_upload; },
       "%.3f"},
      {"peak RSS (MiB)",
       [](const ModeFigures& m) { return m.peak_rss_bytes / kMiB; }, "%.1f"},
      {"threads (most sampled)",
       [](const ModeFigures& m) { return m.max_threads; }, "%.0f"},
      {"uploads in flight (most)",
       [](const ModeFigures& m) { return m.max_in_flight; }, "%.0f"},
  };
}

std::string ErrorLines(const ModeFigures& m) {
  std::string out;
  for (const auto& [text, count] : m.errors) {
    absl::StrAppendFormat(&out, "  %s: %d x %s\n", m.name, count, text);
  }
  return out;
}

}  // namespace

ModeFigures Summarize(const std::string& name, const LoadRecords& records,
                      size_t image_bytes, absl::Duration cpu,
                      int64_t peak_rss_bytes, int max_threads) {
  ModeFigures m;
  m.name = name;
  m.ran = true;
  m.calls = static_cast<int>(records.calls.size());
  m.errors = records.errors;
  m.max_in_flight = records.max_in_flight;
  std::vector<absl::Duration> latencies;
  for (const CallRecord& call : records.calls) {
    m.wall = std::max(m.wall, call.finished);
    if (!call.ok) continue;
    ++m.succeeded;
    latencies.push_back(call.finished - call.scheduled);
  }
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    m.p50 = Percentile(latencies, 0.50);
    m.p90 = Percentile(latencies, 0.90);
    m.p99 = Percentile(latencies, 0.99);
    m.max = latencies.back();
  }
  const double mib = m.succeeded * (image_bytes / kMiB);
  const double wall_s = absl::ToDoubleSeconds(m.wall);
  if (wall_s > 0) {
    m.uploads_per_s = m.succeeded / wall_s;
    m.mib_per_s = mib / wall_s;
  }
  m.cpu = cpu;
  if (m.succeeded > 0) {
    m.cpu_s_per_mib = absl::ToDoubleSeconds(cpu) / mib;
    m.cpu_ms_per_upload = Ms(cpu) / m.succeeded;
  }
  m.peak_rss_bytes = peak_rss_bytes;
  m.max_threads = max_threads;
  return m;
}

void SetEmulatorCpu(absl::Duration cpu, ModeFigures& figures) {
  figures.emulator_cpu = cpu;
  if (figures.succeeded > 0) {
    figures.emulator_cpu_ms_per_upload = Ms(cpu) / figures.succeeded;
  }
}

ModeFigures Skipped(const std::string& name, const std::string& why) {
  ModeFigures m;
  m.name = name;
  m.skipped = why;
  return m;
}

namespace {

// "under"/"over" and by how much, for a figure against its limit.
std::string Against(double value, double limit, const char* unit) {
  return absl::StrFormat("%s by %.2f%s", value <= limit ? "under" : "over",
                         std::fabs(value - limit), unit);
}

TargetResult CpuRatioTarget(const ModeFigures& proxy, const ModeFigures& direct,
                            double limit, const std::string& where) {
  const double ratio = proxy.cpu_s_per_mib / direct.cpu_s_per_mib;
  return {
      absl::StrFormat("server CPU per MiB <= %gx the direct client's (%s)",
                      limit, where),
      ratio <= limit,
      absl::StrFormat("%.5f / %.5f s per MiB = %.2fx; %s", proxy.cpu_s_per_mib,
                      direct.cpu_s_per_mib, ratio, Against(ratio, limit, "x"))};
}

}  // namespace

std::vector<TargetResult> JudgeTargets(const LoadPoint& point,
                                       const ModeFigures& proxy,
                                       const ModeFigures& direct) {
  std::vector<TargetResult> targets;
  if (!proxy.ran || !direct.ran) return targets;
  const LoadPlan& plan = point.plan;
  const bool delivered = proxy.succeeded > 0 && direct.succeeded > 0;
  const bool mib_closed =
      point.image_bytes == 1 << 20 && plan.shape == LoadShape::kClosed;
  if (mib_closed && plan.concurrency == 1 && delivered) {
    const double added = Ms(proxy.p50 - direct.p50);
    targets.push_back(
        {"added latency p50 <= 1.5 ms (1 MiB, one upload at a time)",
         added <= 1.5,
         absl::StrFormat("%.3f ms (proxy %.3f - direct %.3f); %s", added,
                         Ms(proxy.p50), Ms(direct.p50),
                         Against(added, 1.5, " ms"))});
    targets.push_back(CpuRatioTarget(proxy, direct, 3.0, "sequential"));
  }
  if (mib_closed && plan.concurrency == 64 && delivered) {
    targets.push_back(CpuRatioTarget(proxy, direct, 2.5, "64 concurrent"));
  }
  if (plan.shape == LoadShape::kBurst && plan.concurrency >= 2000 &&
      point.emulator_latency == absl::Seconds(1)) {
    const bool all = proxy.succeeded == plan.concurrency &&
                     direct.succeeded == plan.concurrency;
    const double ratio =
        absl::ToDoubleSeconds(proxy.wall) / absl::ToDoubleSeconds(direct.wall);
    targets.push_back(
        {"burst wall time <= 1.3x the direct libcurl-multi burst",
         all && ratio <= 1.3,
         absl::StrFormat("%.3f s / %.3f s = %.2fx, %d and %d of %d "
                         "succeeded; %s",
                         absl::ToDoubleSeconds(proxy.wall),
                         absl::ToDoubleSeconds(direct.wall), ratio,
                         proxy.succeeded, direct.succeeded, plan.concurrency,
                         Against(ratio, 1.3, "x"))});
  }
  const double in_flight_mib =
      proxy.max_in_flight * static_cast<double>(point.image_bytes) / kMiB;
  const double limit_mib = 1.2 * in_flight_mib + 64;
  const double rss_mib = proxy.peak_rss_bytes / kMiB;
  targets.push_back(
      {"server peak RSS <= 1.2 x image bytes in flight + 64 MiB",
       rss_mib <= limit_mib,
       absl::StrFormat("%.1f MiB against 1.2 x %.1f + 64 = %.1f MiB; %s",
                       rss_mib, in_flight_mib, limit_mib,
                       Against(rss_mib, limit_mib, " MiB"))});
  targets.push_back(
      {"server threads <= 16 (metrics on)", proxy.max_threads <= 16,
       absl::StrFormat("at most %d sampled; %s", proxy.max_threads,
                       Against(proxy.max_threads, 16, ""))});
  return targets;
}

std::string FormatTargetSummary(const std::vector<TargetResult>& targets) {
  std::string out = "targets judged:\n";
  bool all_met = true;
  for (const TargetResult& t : targets) {
    all_met = all_met && t.met;
    absl::StrAppendFormat(&out, "  %-6s %s: %s\n", t.met ? "MET" : "MISSED",
                          t.name, t.detail);
  }
  absl::StrAppend(
      &out, "all targets judged here: ", all_met ? "MET" : "NOT all met", "\n");
  return out;
}

std::string FormatPointTable(const LoadPoint& point, const ModeFigures& proxy,
                             const ModeFigures& direct, const ModeFigures& node,
                             const std::vector<TargetResult>& targets) {
  std::string out = absl::StrCat(Describe(point), "\n\n");
  const bool with_node = node.ran;
  absl::StrAppendFormat(&out, "%-28s %12s %12s %13s", "", "proxy", "direct",
                        "proxy/direct");
  if (with_node)
    absl::StrAppendFormat(&out, " %12s %12s", "node SDK", "node/direct");
  out += "\n";
  for (const Row& row : Rows()) {
    auto format = [&row](const ModeFigures& m) -> std::string {
      if (!m.ran) return "-";
      char buffer[64];
      std::snprintf(buffer, sizeof(buffer), row.format, row.value(m));
      return buffer;
    };
    auto ratio = [&row](const ModeFigures& a, const ModeFigures& b) {
      if (!a.ran || !b.ran) return std::string("-");
      return FormatRatio(Ratio(row.value(a), row.value(b)));
    };
    absl::StrAppendFormat(&out, "%-28s %12s %12s %13s", row.label,
                          format(proxy), format(direct), ratio(proxy, direct));
    if (with_node) {
      absl::StrAppendFormat(&out, " %12s %12s", format(node),
                            ratio(node, direct));
    }
    out += "\n";
  }
  if (proxy.ran && direct.ran) {
    absl::StrAppendFormat(
        &out, "%-28s %12.2f %12.2f\n", "added latency p50/p99 (ms)",
        Ms(proxy.p50 - direct.p50), Ms(proxy.p99 - direct.p99));
  }
  if (!node.ran && !node.skipped.empty()) {
    absl::StrAppendFormat(&out, "node SDK: skipped: %s\n", node.skipped);
  }
  const std::string errors =
      absl::StrCat(ErrorLines(proxy), ErrorLines(direct), ErrorLines(node));
  if (!errors.empty()) absl::StrAppend(&out, "failures:\n", errors);
  if (!targets.empty()) {
    absl::StrAppend(&out, "targets:\n");
    for (const TargetResult& t : targets) {
      absl::StrAppendFormat(&out, "  %-6s %s: %s\n", t.met ? "MET" : "MISSED",
                            t.name, t.detail);
    }
  }
  return out;
}

std::string FormatPointJson(const LoadPoint& point, const ModeFigures& proxy,
                            const ModeFigures& direct, const ModeFigures& node,
                            const std::vector<TargetResult>& targets) {
  JsonObject ratios;
  if (proxy.ran && direct.ran) {
    for (const Row& row : Rows()) {
      std::string key;
      for (char c : row.label) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
          key.push_back(static_cast<char>(std::tolower(c)));
        } else if (!key.empty() && key.back() != '_') {
          key.push_back('_');
        }
      }
      while (!key.empty() && key.back() == '_') key.pop_back();
      ratios.Ratio(key, Ratio(row.value(proxy), row.value(direct)));
    }
  }
  JsonObject goals;
  for (const TargetResult& t : targets) {
    JsonObject goal;
    goal.Bool("met", t.met).String("detail", t.detail);
    goals.Object(t.name, goal);
  }
  JsonObject json;
  json.String("benchmark", "upload_load")
      .String("shape", std::string(LoadShapeName(point.plan.shape)))
      .Number("concurrency", point.plan.concurrency)
      .Number("rate", point.plan.rate)
      .Number("duration_s", absl::ToDoubleSeconds(point.plan.duration))
      .Number("image_bytes", static_cast<double>(point.image_bytes))
      .Number("emulator_latency_s",
              absl::ToDoubleSeconds(point.emulator_latency))
      .Object("proxy", ModeJson(proxy))
      .Object("direct", ModeJson(direct))
      .Object("node", ModeJson(node))
      .Object("proxy_over_direct", ratios)
      .Object("targets", goals);
  return json.ToString();
}

std::string FormatPlotLine(const LoadPoint& point, const ModeFigures& proxy,
                           const ModeFigures& direct) {
  return absl::StrFormat("%g %.3f %.3f %.3f %.3f %.3f %.3f %.2f %.2f",
                         PointX(point), Ms(proxy.p50), Ms(proxy.p90),
                         Ms(proxy.p99), Ms(direct.p50), Ms(direct.p90),
                         Ms(direct.p99), proxy.uploads_per_s,
                         direct.uploads_per_s);
}

}  // namespace clerk::userimage::bench
