#ifndef SERVER_RATELIMIT_REDIS_QUOTA_H_
#define SERVER_RATELIMIT_REDIS_QUOTA_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/ratelimit/shared_quota.h"
#include "server/ratelimit/token_bucket.h"
#include "server/redis/redis_connection.h"
#include "server/time/clock.h"

namespace userimage {

// The name under which a Clerk secret key's quota is kept: the hex SHA-256
// of the key. The key itself never reaches Redis.
std::string QuotaKeyId(absl::string_view secret_key);

struct RedisQuotaOptions {
  RedisOptions redis;
  // Keys are "<key_prefix>:{<key_id>}:tat" and "...:paused_until" (one hash
  // slot, so a Redis Cluster can serve them).
  std::string key_prefix = "clerk-userimage";
  std::string key_id;  // QuotaKeyId(secret key)
  Pacing pacing{1, absl::Seconds(1)};
  // After a failure, Redis is not tried again for this long (doubling up to
  // the maximum while it stays unreachable); requests fail fast meanwhile.
  absl::Duration min_reconnect_delay = absl::Milliseconds(250);
  absl::Duration max_reconnect_delay = absl::Seconds(5);
};

// A SharedQuota kept in Redis: one token bucket per Clerk key, in GCRA form
// (a single "theoretical arrival time"), updated atomically by a Lua script
// on Redis's clock, so every replica together paces to the quota; and a
// shared "paused until" entry that a 429 extends and every Take honours.
//
// Owns one worker thread and its connection: a slow or unreachable Redis
// delays only that thread, never a caller. Thread-safe. Callbacks run on the
// worker thread. The destructor waits for the operation in progress (bounded
// by the Redis timeouts) and drops queued ones without running their
// callbacks. Borrows `clock`, which must outlive it.
class RedisQuota final : public SharedQuota {
 public:
  RedisQuota(RedisQuotaOptions options, Clock& clock);
  ~RedisQuota() override;
  RedisQuota(const RedisQuota&) = delete;
  RedisQuota& operator=(const RedisQuota&) = delete;

  void Take(int wanted, TakeCallback done) override;
  void Pause(absl::Duration duration) override;

 private:
  struct Operation {
    int wanted = 0;        // Take
    absl::Duration pause;  // Pause, when `done` is empty
    TakeCallback done;
  };

  void Loop();
  absl::StatusOr<Grant> RunTake(int wanted);
  absl::Status RunPause(absl::Duration duration);
  // Runs one of the scripts (EVALSHA, then EVAL if Redis lost its cache).
  absl::StatusOr<RedisReply> Eval(const std::string& script,
                                  const std::string& sha,
                                  std::vector<std::string> args);
  // Connects unless connected or waiting out a reconnect delay.
  absl::Status Connected();
  // Drops the connection and starts (or lengthens) the reconnect delay.
  absl::Status Broken(absl::Status why);

  const RedisQuotaOptions options_;
  Clock& clock_;
  const std::string tat_key_;
  const std::string pause_key_;

  // Worker thread only.
  std::unique_ptr<RedisConnection> connection_;
  absl::Time reconnect_at_ = absl::InfinitePast();
  absl::Duration reconnect_delay_;
  absl::Status last_error_;

  absl::Mutex mu_;
  std::deque<Operation> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace userimage

#endif  // SERVER_RATELIMIT_REDIS_QUOTA_H_
