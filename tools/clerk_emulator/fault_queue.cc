#include "tools/clerk_emulator/fault_queue.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace clerk::emulator {
namespace {

constexpr std::array<std::pair<FaultKind, absl::string_view>, 15> kNames = {{
    {FaultKind::kTooManyRequests, "429"},
    {FaultKind::kInternalError, "500"},
    {FaultKind::kBadGateway, "502"},
    {FaultKind::kServiceUnavailable, "503"},
    {FaultKind::kGatewayTimeout, "504"},
    {FaultKind::kConnectionReset, "reset"},
    {FaultKind::kUnauthorized, "401"},
    {FaultKind::kNotFound, "404"},
    {FaultKind::kImageTooLarge, "413"},
    {FaultKind::kUnprocessable, "422"},
    {FaultKind::kTextInternalError, "500_text"},
    {FaultKind::kHtmlSuccess, "200_html"},
    {FaultKind::kGarbageSuccess, "200_garbage"},
    {FaultKind::kExtraFieldsSuccess, "200_extra"},
    {FaultKind::kHugeSuccess, "200_huge"},
}};

}  // namespace

absl::StatusOr<FaultKind> ParseFaultKind(absl::string_view name) {
  for (const auto& [kind, kind_name] : kNames) {
    if (name == kind_name) return kind;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown fault kind \"", name,
                   "\"; use 429, 500, 502, 503, 504, reset, 401, 404, 413, "
                   "422, 500_text, 200_html, 200_garbage, 200_extra or "
                   "200_huge"));
}

absl::string_view FaultKindName(FaultKind kind) {
  for (const auto& [known, name] : kNames) {
    if (known == kind) return name;
  }
  return "";
}

void FaultQueue::Push(const Fault& fault, int64_t count) {
  if (count < 1) return;
  absl::MutexLock lock(&mu_);
  runs_.emplace_back(fault, count);
}

std::optional<Fault> FaultQueue::Pop() {
  absl::MutexLock lock(&mu_);
  if (runs_.empty()) return std::nullopt;
  Fault fault = runs_.front().first;
  if (--runs_.front().second == 0) runs_.pop_front();
  return fault;
}

void FaultQueue::Clear() {
  absl::MutexLock lock(&mu_);
  runs_.clear();
}

int64_t FaultQueue::size() const {
  absl::MutexLock lock(&mu_);
  int64_t total = 0;
  for (const auto& run : runs_) total += run.second;
  return total;
}

}  // namespace clerk::emulator
