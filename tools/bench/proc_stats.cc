#include "tools/bench/proc_stats.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace clerk::userimage::bench {
namespace {

absl::StatusOr<std::string> ReadProcFile(pid_t pid, const char* name) {
  const std::string path = absl::StrCat("/proc/", pid, "/", name);
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// "  1234 kB" -> bytes.
bool ParseKilobytes(absl::string_view value, int64_t* bytes) {
  value = absl::StripAsciiWhitespace(value);
  if (!absl::ConsumeSuffix(&value, "kB")) return false;
  int64_t kilobytes = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &kilobytes)) {
    return false;
  }
  *bytes = kilobytes * 1024;
  return true;
}

void RaiseTo(std::atomic<int64_t>& max, int64_t value) {
  int64_t current = max.load();
  while (value > current && !max.compare_exchange_weak(current, value)) {
  }
}

}  // namespace

absl::StatusOr<absl::Duration> ProcessCpu(pid_t pid) {
  absl::StatusOr<std::string> stat = ReadProcFile(pid, "stat");
  if (!stat.ok()) return stat.status();
  // The command name (field 2) may hold spaces; fields after its closing
  // parenthesis are space-separated, starting with field 3 (state).
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) {
    return absl::InternalError("malformed /proc/<pid>/stat");
  }
  const std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(*stat).substr(paren + 2), ' ');
  // utime and stime are fields 14 and 15, i.e. 11 and 12 after state.
  int64_t utime = 0;
  int64_t stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) ||
      !absl::SimpleAtoi(fields[12], &stime)) {
    return absl::InternalError("malformed /proc/<pid>/stat");
  }
  static const long ticks_per_second = sysconf(_SC_CLK_TCK);
  return absl::Seconds(static_cast<double>(utime + stime) / ticks_per_second);
}

absl::StatusOr<ProcessStatus> ReadProcessStatus(pid_t pid) {
  absl::StatusOr<std::string> text = ReadProcFile(pid, "status");
  if (!text.ok()) return text.status();
  ProcessStatus status;
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const absl::string_view key = line.substr(0, colon);
    const absl::string_view value = line.substr(colon + 1);
    if (key == "VmHWM") {
      ParseKilobytes(value, &status.peak_rss_bytes);
    } else if (key == "VmRSS") {
      ParseKilobytes(value, &status.rss_bytes);
    } else if (key == "Threads") {
      absl::SimpleAtoi(absl::StripAsciiWhitespace(value), &status.threads);
    }
  }
  return status;
}

ProcessSampler::ProcessSampler(pid_t pid, absl::Duration interval) : pid_(pid) {
  Sample();
  thread_ = std::thread([this, interval] {
    while (!stop_.WaitForNotificationWithTimeout(interval)) Sample();
  });
}

ProcessSampler::~ProcessSampler() { Stop(); }

void ProcessSampler::Stop() {
  if (!thread_.joinable()) return;
  stop_.Notify();
  thread_.join();
  Sample();
}

void ProcessSampler::Sample() {
  absl::StatusOr<ProcessStatus> status = ReadProcessStatus(pid_);
  if (!status.ok()) return;
  ++samples_;
  int current = max_threads_.load();
  while (status->threads > current &&
         !max_threads_.compare_exchange_weak(current, status->threads)) {
  }
  RaiseTo(max_rss_, status->rss_bytes);
  RaiseTo(peak_rss_, status->peak_rss_bytes);
}

}  // namespace clerk::userimage::bench
