#include "server/ratelimit/caller_weights.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace userimage {

namespace {

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("caller weights, line ", line, ": ", what));
}

}  // namespace

absl::StatusOr<CallerWeights> CallerWeights::Parse(absl::string_view contents) {
  CallerWeights parsed;
  bool has_default = false;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::vector<absl::string_view> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) {
      return LineError(number, "expected \"<identity> <weight>\"");
    }
    double weight = 0;
    if (!absl::SimpleAtod(fields[1], &weight) || !(weight >= kMinWeight) ||
        !(weight <= kMaxWeight)) {
      return LineError(number, absl::StrCat("the weight \"", fields[1],
                                            "\" is not a number from ",
                                            kMinWeight, " to ", kMaxWeight));
    }
    if (fields[0] == "*") {
      if (has_default) return LineError(number, "a second \"*\" line");
      has_default = true;
      parsed.default_weight_ = weight;
      continue;
    }
    if (!parsed.weights_.emplace(fields[0], weight).second) {
      return LineError(
          number, absl::StrCat("\"", fields[0], "\" already has a weight"));
    }
    parsed.identities_.emplace_back(fields[0]);
  }
  return parsed;
}

double CallerWeights::For(absl::string_view caller) const {
  auto it = weights_.find(caller);
  return it == weights_.end() ? default_weight_ : it->second;
}

}  // namespace userimage
