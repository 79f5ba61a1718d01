#ifndef TESTS_TESTING_FAKE_SHARED_QUOTA_H_
#define TESTS_TESTING_FAKE_SHARED_QUOTA_H_

#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/ratelimit/shared_quota.h"

namespace userimage {

// A shared quota answered by the test: Take()s wait in `takes` until
// Answer() is called (on the test's thread). Not thread-safe.
class FakeSharedQuota final : public SharedQuota {
 public:
  void Take(int wanted, Priority priority, TakeCallback done) override {
    takes.emplace_back(wanted, std::move(done));
    priorities.push_back(priority);
  }
  void Pause(absl::Duration duration) override { pauses.push_back(duration); }

  // Answers the oldest Take; returns how many it asked for.
  int Answer(absl::StatusOr<Grant> result) {
    auto [wanted, done] = std::move(takes.front());
    takes.erase(takes.begin());
    std::move(done)(std::move(result));
    return wanted;
  }

  std::vector<std::pair<int, TakeCallback>> takes;
  // The priority of every Take asked, oldest first (answered or not).
  std::vector<Priority> priorities;
  std::vector<absl::Duration> pauses;
};

inline SharedQuota::Grant Granted(
    int n, absl::Duration retry_in = absl::ZeroDuration(),
    absl::Duration paused_for = absl::ZeroDuration()) {
  return {n, retry_in, paused_for};
}

}  // namespace userimage

#endif  // TESTS_TESTING_FAKE_SHARED_QUOTA_H_
