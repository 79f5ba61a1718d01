#ifndef SERVER_CLERK_REDIS_USER_ORDER_H_
#define SERVER_CLERK_REDIS_USER_ORDER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/clerk/shared_user_order.h"
#include "server/redis/redis_worker.h"

namespace userimage {

struct RedisUserOrderOptions {
  // Keys are "<key_prefix>:{<key_id>:<user_id>}:seq" (the last number
  // given out) and "...:lease" (the token holding the lease and when it
  // expires), one hash slot
  // per user, so a Redis Cluster can serve them.
  std::string key_prefix = "clerk-userimage";
  std::string key_id;  // QuotaKeyId(secret key)
  // How long a user's numbering is kept after their last arrival. Must
  // exceed the life of any request: numbering that restarts while an older
  // request is still in progress could let it go after a newer one.
  absl::Duration sequence_ttl = absl::Hours(24);
};

// A SharedUserOrder kept in Redis: each operation is one Lua script, so a
// claim's check of the numbering and its taking of the lease are atomic.
// Lease times are Redis's own (PX), so replicas' clocks need not agree.
//
// Runs its scripts on `worker` (borrowed; must outlive it). Thread-safe.
// Callbacks run on the worker thread; one queued when the worker is
// destroyed is dropped without running.
class RedisUserOrder final : public SharedUserOrder {
 public:
  RedisUserOrder(RedisUserOrderOptions options, RedisWorker& worker);
  RedisUserOrder(const RedisUserOrder&) = delete;
  RedisUserOrder& operator=(const RedisUserOrder&) = delete;

  void Arrive(absl::string_view user_id, TokenCallback done) override;
  void Claim(absl::string_view user_id, uint64_t token, absl::Duration ttl,
             ClaimCallback done) override;
  void Renew(absl::string_view user_id, uint64_t token, absl::Duration ttl,
             RenewCallback done) override;
  void Release(absl::string_view user_id, uint64_t token) override;

  // The user's keys (for tests).
  std::string SequenceKey(absl::string_view user_id) const;
  std::string LeaseKey(absl::string_view user_id) const;

 private:
  // Worker thread only.
  absl::StatusOr<uint64_t> RunArrive(const std::string& user_id);
  absl::StatusOr<SharedUserOrder::ClaimResult> RunClaim(
      const std::string& user_id, uint64_t token, absl::Duration ttl);
  absl::StatusOr<bool> RunRenew(const std::string& user_id, uint64_t token,
                                absl::Duration ttl);

  const RedisUserOrderOptions options_;
  RedisWorker& worker_;
};

}  // namespace userimage

#endif  // SERVER_CLERK_REDIS_USER_ORDER_H_
