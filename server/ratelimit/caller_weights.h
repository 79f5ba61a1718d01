#ifndef SERVER_RATELIMIT_CALLER_WEIGHTS_H_
#define SERVER_RATELIMIT_CALLER_WEIGHTS_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// Each caller's weight in the fair share of Clerk's quota
// (--caller_weights_file): a caller with weight 3 receives three times the
// share of one with weight 1 while both have requests waiting. The caller
// is the authenticated identity; every anonymous caller is the one caller
// "". Immutable after Parse(); thread-safe.
class CallerWeights {
 public:
  // The most a weight may be, and the least (a ratio of 10^6 between two
  // callers is as unequal as a fair share gets).
  static constexpr double kMaxWeight = 1000;
  static constexpr double kMinWeight = 0.001;

  // Every caller weighs 1.
  CallerWeights() = default;

  // Lines "<identity> <weight>"; identity "*" for every caller without a
  // line of its own (anonymous callers included; 1 if there is no "*"
  // line); '#' starts a comment. INVALID_ARGUMENT naming the line on a
  // weight that is not a number in [kMinWeight, kMaxWeight], a missing or
  // extra field, or a repeated identity.
  static absl::StatusOr<CallerWeights> Parse(absl::string_view contents);

  // The weight of `caller` ("" when anonymous).
  double For(absl::string_view caller) const;

  // The identities named in the file, in file order ("*" excluded).
  const std::vector<std::string>& identities() const { return identities_; }

 private:
  double default_weight_ = 1;
  absl::flat_hash_map<std::string, double> weights_;
  std::vector<std::string> identities_;
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_CALLER_WEIGHTS_H_
