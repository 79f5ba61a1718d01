#ifndef SERVER_RATELIMIT_REDIS_QUOTA_H_
#define SERVER_RATELIMIT_REDIS_QUOTA_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/ratelimit/shared_quota.h"
#include "server/ratelimit/token_bucket.h"
#include "server/redis/redis_worker.h"

namespace userimage {

// The name under which a Clerk secret key's quota is kept: the hex SHA-256
// of the key. The key itself never reaches Redis.
std::string QuotaKeyId(absl::string_view secret_key);

struct RedisQuotaOptions {
  // Keys are "<key_prefix>:{<key_id>}:tat" and "...:paused_until" (one hash
  // slot, so a Redis Cluster can serve them).
  std::string key_prefix = "clerk-userimage";
  std::string key_id;  // QuotaKeyId(secret key)
  Pacing pacing{1, absl::Seconds(1)};
};

// A SharedQuota kept in Redis: one token bucket per Clerk key, in GCRA form
// (a single "theoretical arrival time"), updated atomically by a Lua script
// on Redis's clock, so every replica together paces to the quota; and a
// shared "paused until" entry that a 429 extends and every Take honours.
// A bulk Take may not take the bucket's last token (when its burst holds
// two or more): one is always left for an interactive request on any
// replica, without costing the bulk ones throughput (the bucket refills at
// the same rate; only the first token of a busy period is held back).
//
// Runs its scripts on `worker` (which it borrows, and which must outlive
// it): a slow or unreachable Redis delays only that thread, never a
// caller. Thread-safe. Callbacks run on the worker thread; one queued when
// the worker is destroyed is dropped without running.
class RedisQuota final : public SharedQuota {
 public:
  RedisQuota(RedisQuotaOptions options, RedisWorker& worker);
  RedisQuota(const RedisQuota&) = delete;
  RedisQuota& operator=(const RedisQuota&) = delete;

  void Take(int wanted, Priority priority, TakeCallback done) override;
  void Pause(absl::Duration duration) override;

 private:
  // Worker thread only.
  absl::StatusOr<Grant> RunTake(int wanted, Priority priority);
  absl::Status RunPause(absl::Duration duration);

  const RedisQuotaOptions options_;
  RedisWorker& worker_;
  const std::string tat_key_;
  const std::string pause_key_;
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_REDIS_QUOTA_H_
