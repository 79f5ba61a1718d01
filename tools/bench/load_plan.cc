#include "tools/bench/load_plan.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace clerk::userimage::bench {

absl::StatusOr<LoadShape> ParseLoadShape(absl::string_view name) {
  if (name == "closed") return LoadShape::kClosed;
  if (name == "open") return LoadShape::kOpen;
  if (name == "burst") return LoadShape::kBurst;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown load shape \"", name, "\": use closed, open or burst"));
}

absl::string_view LoadShapeName(LoadShape shape) {
  switch (shape) {
    case LoadShape::kClosed:
      return "closed";
    case LoadShape::kOpen:
      return "open";
    case LoadShape::kBurst:
      return "burst";
  }
  return "?";
}

int64_t LoadPlan::OpenArrivals() const {
  return static_cast<int64_t>(
      std::ceil(absl::ToDoubleSeconds(duration) * rate - 1e-9));
}

absl::Duration LoadPlan::OpenArrival(int64_t index) const {
  return absl::Seconds(static_cast<double>(index) / rate);
}

LoadPlan WarmupPlan(const LoadPlan& plan, absl::Duration duration) {
  LoadPlan warmup;
  warmup.shape = LoadShape::kClosed;
  warmup.concurrency =
      plan.shape == LoadShape::kOpen ? 16 : std::min(plan.concurrency, 64);
  warmup.duration = duration;
  return warmup;
}

void LoadRecords::AddError(absl::string_view error) {
  constexpr size_t kMaxLength = 160;
  std::string text(error.substr(0, kMaxLength));
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  ++errors[text];
}

std::string FormatRecords(const LoadRecords& records) {
  std::string out;
  absl::StrAppendFormat(&out, "cpu_s %.6f\n",
                        absl::ToDoubleSeconds(records.cpu));
  absl::StrAppend(&out, "max_in_flight ", records.max_in_flight, "\n");
  for (const auto& [text, count] : records.errors) {
    absl::StrAppend(&out, "error ", count, " ", text, "\n");
  }
  for (const CallRecord& call : records.calls) {
    absl::StrAppend(&out, "call ", absl::ToInt64Microseconds(call.scheduled),
                    " ", absl::ToInt64Microseconds(call.finished), " ",
                    call.ok ? 1 : 0, "\n");
  }
  return out;
}

absl::StatusOr<LoadRecords> ParseRecords(absl::string_view text) {
  LoadRecords records;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    const std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::MaxSplits(' ', 3));
    bool valid = false;
    if (words[0] == "cpu_s" && words.size() == 2) {
      double seconds = 0;
      valid = absl::SimpleAtod(words[1], &seconds);
      records.cpu = absl::Seconds(seconds);
    } else if (words[0] == "max_in_flight" && words.size() == 2) {
      valid = absl::SimpleAtoi(words[1], &records.max_in_flight);
    } else if (words[0] == "error" && words.size() >= 2) {
      const std::vector<absl::string_view> parts =
          absl::StrSplit(line, absl::MaxSplits(' ', 2));
      int count = 0;
      valid = absl::SimpleAtoi(parts[1], &count);
      records.errors[std::string(parts.size() > 2 ? parts[2] : "")] += count;
    } else if (words[0] == "call" && words.size() == 4) {
      int64_t scheduled = 0;
      int64_t finished = 0;
      int ok = 0;
      valid = absl::SimpleAtoi(words[1], &scheduled) &&
              absl::SimpleAtoi(words[2], &finished) &&
              absl::SimpleAtoi(words[3], &ok);
      records.calls.push_back({absl::Microseconds(scheduled),
                               absl::Microseconds(finished), ok == 1});
    }
    if (!valid) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, " is not a load record: ", line));
    }
  }
  return records;
}

}  // namespace clerk::userimage::bench
