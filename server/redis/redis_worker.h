#ifndef SERVER_REDIS_REDIS_WORKER_H_
#define SERVER_REDIS_REDIS_WORKER_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/redis/redis_connection.h"
#include "server/time/clock.h"

namespace userimage {

// A Lua script and its SHA-1, computed once (for EVALSHA).
class RedisScript {
 public:
  explicit RedisScript(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha() const { return sha_; }

 private:
  std::string source_;
  std::string sha_;
};

struct RedisWorkerOptions {
  RedisOptions redis;
  // After a failure, Redis is not tried again for this long (doubling up to
  // the maximum while it stays unreachable); tasks fail fast meanwhile.
  absl::Duration min_reconnect_delay = absl::Milliseconds(250);
  absl::Duration max_reconnect_delay = absl::Seconds(5);
};

// One thread and one connection to Redis, shared by everything in the
// process that keeps state there (the rate quota, the per-user order).
// Tasks posted with Post() run one at a time, in the order posted, on the
// worker thread, where they call Eval(); a slow or unreachable Redis thus
// delays only that thread, never a caller, and its tasks fail fast while a
// reconnect delay runs.
//
// Post() and Shutdown() are thread-safe; Eval() is for the worker thread
// only (inside a task). Shutdown() (and the destructor) waits for the task
// in progress (bounded by the Redis timeouts) and drops the queued ones, and
// any posted later, without running them. Borrows `clock`, which must
// outlive it.
class RedisWorker {
 public:
  using Task = absl::AnyInvocable<void() &&>;

  RedisWorker(RedisWorkerOptions options, Clock& clock);
  ~RedisWorker();
  RedisWorker(const RedisWorker&) = delete;
  RedisWorker& operator=(const RedisWorker&) = delete;

  void Post(Task task);
  // Ahead of every queued task: for the few that must not wait behind a
  // backlog (renewing a lease before it lapses, releasing one).
  void PostFirst(Task task);
  // Stops the worker thread. Not from a task; once only, or again from the
  // same thread (the destructor calls it).
  void Shutdown();

  // Worker thread only: runs `script` (EVALSHA, then EVAL if Redis lost its
  // cache) with `keys` and `args`, connecting first if needed. A broken
  // connection is UNAVAILABLE and starts a reconnect delay; an error reply
  // (LOADING, BUSY, NOPERM …) is UNAVAILABLE too but keeps the connection,
  // so one refused script does not stop the others. `what` names the
  // script in messages.
  absl::StatusOr<RedisReply> Eval(const RedisScript& script,
                                  absl::string_view what,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args);
  // Worker thread only: the reply is not what `what` returns; breaks the
  // connection (a confused server is not trusted further) and returns
  // UNAVAILABLE.
  absl::Status Unexpected(absl::string_view what);

 private:
  void Loop();
  // Connects unless connected or waiting out a reconnect delay.
  absl::Status Connected();
  // Drops the connection and starts (or lengthens) the reconnect delay.
  absl::Status Broken(const absl::Status& why);

  const RedisWorkerOptions options_;
  Clock& clock_;

  // Worker thread only.
  std::unique_ptr<RedisConnection> connection_;
  absl::Time reconnect_at_ = absl::InfinitePast();
  absl::Duration reconnect_delay_;
  absl::Status last_error_;

  absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace userimage

#endif  // SERVER_REDIS_REDIS_WORKER_H_
