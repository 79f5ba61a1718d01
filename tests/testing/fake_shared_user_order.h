#ifndef TESTS_TESTING_FAKE_SHARED_USER_ORDER_H_
#define TESTS_TESTING_FAKE_SHARED_USER_ORDER_H_

#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/clerk/shared_user_order.h"
#include "server/time/clock.h"

namespace userimage {

// A SharedUserOrder in memory, with the semantics of RedisUserOrder's
// scripts and leases that lapse on `clock`: one instance shared by several
// RetryingClerkClients stands for Redis shared by several replicas.
// Answers on the caller's thread, outside its lock; after HoldClaims(),
// claims still take effect at once but their answers wait for
// AnswerClaim(), as with a slow reply or a paused process (to test the
// fence). SetDown() makes every operation fail as an unreachable
// Redis does. Thread-safe.
class FakeSharedUserOrder final : public SharedUserOrder {
 public:
  explicit FakeSharedUserOrder(Clock& clock) : clock_(clock) {}

  void Arrive(absl::string_view user_id, TokenCallback done) override {
    absl::Status down = Down();
    if (!down.ok()) {
      std::move(done)(down);
      return;
    }
    uint64_t token;
    {
      absl::MutexLock lock(&mu_);
      token = ++users_[user_id].latest;
    }
    std::move(done)(token);
  }

  void Claim(absl::string_view user_id, uint64_t token, absl::Duration ttl,
             ClaimCallback done) override {
    absl::StatusOr<ClaimResult> result = RunClaim(user_id, token, ttl);
    {
      absl::MutexLock lock(&mu_);
      ++claims_;
      if (hold_claims_) {
        held_.push_back({std::move(result), std::move(done)});
        return;
      }
    }
    std::move(done)(std::move(result));
  }

  void Renew(absl::string_view user_id, uint64_t token, absl::Duration ttl,
             RenewCallback done) override {
    absl::Status down = Down();
    if (!down.ok()) {
      std::move(done)(down);
      return;
    }
    bool held;
    {
      absl::MutexLock lock(&mu_);
      ++renewals_;
      User& user = users_[user_id];
      held = Holder(user) == token;
      if (held) user.lease_until = clock_.Now() + ttl;
    }
    std::move(done)(held);
  }

  void Release(absl::string_view user_id, uint64_t token) override {
    if (!Down().ok()) return;
    absl::MutexLock lock(&mu_);
    ++releases_;
    User& user = users_[user_id];
    if (Holder(user) == token) user.holder = 0;
  }

  void SetDown(bool down) {
    absl::MutexLock lock(&mu_);
    down_ = down;
  }
  void HoldClaims(bool hold) {
    absl::MutexLock lock(&mu_);
    hold_claims_ = hold;
  }
  // Delivers the oldest held answer; false if none is held.
  bool AnswerClaim() {
    std::optional<HeldClaim> claim;
    {
      absl::MutexLock lock(&mu_);
      if (held_.empty()) return false;
      claim = std::move(held_.front());
      held_.pop_front();
    }
    std::move(claim->done)(std::move(claim->result));
    return true;
  }

  // The token holding `user_id`'s lease now (0: none).
  uint64_t holder(absl::string_view user_id) {
    absl::MutexLock lock(&mu_);
    return Holder(users_[user_id]);
  }
  int claims() const {
    absl::MutexLock lock(&mu_);
    return claims_;
  }
  int renewals() const {
    absl::MutexLock lock(&mu_);
    return renewals_;
  }
  int releases() const {
    absl::MutexLock lock(&mu_);
    return releases_;
  }

 private:
  struct User {
    uint64_t latest = 0;
    uint64_t holder = 0;
    absl::Time lease_until;
  };
  struct HeldClaim {
    absl::StatusOr<ClaimResult> result;
    ClaimCallback done;
  };

  absl::Status Down() const {
    absl::MutexLock lock(&mu_);
    if (down_) return absl::UnavailableError("Redis is down (fake)");
    return absl::OkStatus();
  }

  uint64_t Holder(const User& user) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return clock_.Now() < user.lease_until ? user.holder : 0;
  }

  absl::StatusOr<ClaimResult> RunClaim(absl::string_view user_id,
                                       uint64_t token, absl::Duration ttl) {
    if (absl::Status s = Down(); !s.ok()) return s;
    absl::MutexLock lock(&mu_);
    User& user = users_[user_id];
    if (user.latest > token) return ClaimResult{Verdict::kSuperseded, {}};
    const uint64_t holder = Holder(user);
    if (holder != 0 && holder != token) {
      return ClaimResult{Verdict::kBusy, user.lease_until - clock_.Now()};
    }
    user.holder = token;
    user.lease_until = clock_.Now() + ttl;
    return ClaimResult{Verdict::kGranted, {}};
  }

  Clock& clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, User> users_ ABSL_GUARDED_BY(mu_);
  std::deque<HeldClaim> held_ ABSL_GUARDED_BY(mu_);
  bool down_ ABSL_GUARDED_BY(mu_) = false;
  bool hold_claims_ ABSL_GUARDED_BY(mu_) = false;
  int claims_ ABSL_GUARDED_BY(mu_) = 0;
  int renewals_ ABSL_GUARDED_BY(mu_) = 0;
  int releases_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace userimage

#endif  // TESTS_TESTING_FAKE_SHARED_USER_ORDER_H_
