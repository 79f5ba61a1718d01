#include "server/ratelimit/caller_weights.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/config/config_lines.h"

namespace userimage {

namespace {

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("caller weights, line ", line, ": ", what));
}

}  // namespace

absl::StatusOr<CallerWeights> CallerWeights::Parse(absl::string_view contents) {
  absl::StatusOr<std::vector<ConfigLine>> lines =
      ReadTwoFieldLines(contents, "caller weights", "\"<identity> <weight>\"");
  if (!lines.ok()) return lines.status();
  CallerWeights parsed;
  bool has_default = false;
  for (const auto& [number, identity, value] : *lines) {
    double weight = 0;
    if (!absl::SimpleAtod(value, &weight) || !(weight >= kMinWeight) ||
        !(weight <= kMaxWeight)) {
      return LineError(number, absl::StrCat("the weight \"", value,
                                            "\" is not a number from ",
                                            kMinWeight, " to ", kMaxWeight));
    }
    if (identity == "*") {
      if (has_default) return LineError(number, "a second \"*\" line");
      has_default = true;
      parsed.default_weight_ = weight;
      continue;
    }
    if (!parsed.weights_.emplace(identity, weight).second) {
      return LineError(number,
                       absl::StrCat("\"", identity, "\" already has a weight"));
    }
    parsed.identities_.push_back(identity);
  }
  return parsed;
}

double CallerWeights::For(absl::string_view caller) const {
  auto it = weights_.find(caller);
  return it == weights_.end() ? default_weight_ : it->second;
}

}  // namespace userimage
