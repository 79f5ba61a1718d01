#include "server/ratelimit/redis_quota.h"

#include <openssl/sha.h>
#include <signal.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace userimage {
namespace {

// KEYS: the bucket's theoretical arrival time (TAT) and the pause's end,
// both in microseconds of Redis's clock. ARGV: burst, interval (µs),
// wanted. Returns {granted, retry_in_us, paused_for_us}. The bucket holds
// `burst` tokens when TAT <= now and one fewer per interval TAT is ahead.
// Numbers are written with %d: Lua's default number format keeps 14
// digits, fewer than a microsecond timestamp has.
constexpr char kTakeScript[] = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[2]) or 0)
if pause > now then return {0, pause - now, pause - now} end
local burst = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
local available = math.floor((burst * interval - (tat - now)) / interval)
local granted = math.max(0, math.min(wanted, available))
if granted > 0 then
  tat = tat + granted * interval
  redis.call('SET', KEYS[1], string.format('%d', tat), 'PX',
             string.format('%d', math.ceil((tat - now) / 1000) + 1000))
end
local retry_in = 0
if granted < wanted then retry_in = math.max(0, tat - (burst - 1) * interval - now) end
return {granted, retry_in, 0}
)lua";

// KEYS: the pause's end (µs). ARGV: the pause's length (µs).
constexpr char kPauseScript[] = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
if till > tonumber(redis.call('GET', KEYS[1]) or 0) then
  redis.call('SET', KEYS[1], string.format('%d', till), 'PX',
             string.format('%d', math.ceil(tonumber(ARGV[1]) / 1000) + 1000))
end
return 1
)lua";

std::string Sha1Hex(absl::string_view text) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(),
       digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

const std::string& TakeSha() {
  static const std::string* sha = new std::string(Sha1Hex(kTakeScript));
  return *sha;
}

const std::string& PauseSha() {
  static const std::string* sha = new std::string(Sha1Hex(kPauseScript));
  return *sha;
}

}  // namespace

std::string QuotaKeyId(absl::string_view secret_key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret_key.data()),
         secret_key.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

RedisQuota::RedisQuota(RedisQuotaOptions options, Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      tat_key_(
          absl::StrCat(options_.key_prefix, ":{", options_.key_id, "}:tat")),
      pause_key_(absl::StrCat(options_.key_prefix, ":{", options_.key_id,
                              "}:paused_until")),
      reconnect_delay_(options_.min_reconnect_delay),
      worker_([this] { Loop(); }) {}

RedisQuota::~RedisQuota() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

void RedisQuota::Take(int wanted, TakeCallback done) {
  absl::MutexLock lock(&mu_);
  queue_.push_back({wanted, absl::ZeroDuration(), std::move(done)});
}

void RedisQuota::Pause(absl::Duration duration) {
  absl::MutexLock lock(&mu_);
  queue_.push_back({0, duration, nullptr});
}

void RedisQuota::Loop() {
  // A peer that closes a TLS connection must not kill the process: writes
  // then fail with EPIPE instead (OpenSSL writes with write(), not send()
  // with MSG_NOSIGNAL).
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  while (true) {
    Operation op;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      op = std::move(queue_.front());
      queue_.pop_front();
    }
    if (op.done == nullptr) {
      (void)RunPause(op.pause);
    } else {
      std::move(op.done)(RunTake(op.wanted));
    }
  }
}

absl::Status RedisQuota::Connected() {
  if (connection_ != nullptr) return absl::OkStatus();
  const absl::Time now = clock_.Now();
  if (now < reconnect_at_) {
    return absl::UnavailableError(
        absl::StrCat(last_error_.message(), " (next attempt in ",
                     absl::FormatDuration(absl::Ceil(reconnect_at_ - now,
                                                     absl::Milliseconds(1))),
                     ")"));
  }
  absl::StatusOr<std::unique_ptr<RedisConnection>> connection =
      RedisConnection::Connect(options_.redis);
  if (!connection.ok()) return Broken(connection.status());
  connection_ = *std::move(connection);
  reconnect_delay_ = options_.min_reconnect_delay;
  return absl::OkStatus();
}

absl::Status RedisQuota::Broken(absl::Status why) {
  connection_.reset();
  reconnect_at_ = clock_.Now() + reconnect_delay_;
  reconnect_delay_ =
      std::min(reconnect_delay_ * 2, options_.max_reconnect_delay);
  last_error_ = absl::UnavailableError(why.message());
  return last_error_;
}

absl::StatusOr<RedisReply> RedisQuota::Eval(const std::string& script,
                                            const std::string& sha,
                                            std::vector<std::string> args) {
  if (absl::Status s = Connected(); !s.ok()) return s;
  args.insert(args.begin(), {"EVALSHA", sha});
  absl::StatusOr<RedisReply> reply = connection_->Command(args);
  if (reply.ok() && reply->type == RedisReply::Type::kError &&
      absl::StartsWith(reply->str, "NOSCRIPT")) {
    args[0] = "EVAL";
    args[1] = script;
    reply = connection_->Command(args);
  }
  if (!reply.ok()) return Broken(reply.status());
  if (reply->type == RedisReply::Type::kError) {
    return Broken(absl::UnavailableError(
        absl::StrCat("Redis refused the rate-limit script: ", reply->str)));
  }
  return reply;
}

absl::StatusOr<SharedQuota::Grant> RedisQuota::RunTake(int wanted) {
  absl::StatusOr<RedisReply> reply =
      Eval(kTakeScript, TakeSha(),
           {"2", tat_key_, pause_key_, absl::StrCat(options_.pacing.burst),
            // Rounded up: the bucket may be a hair slower than the
            // quota, never faster.
            absl::StrCat(absl::ToInt64Microseconds(
                absl::Ceil(options_.pacing.interval, absl::Microseconds(1)))),
            absl::StrCat(wanted)});
  if (!reply.ok()) return reply.status();
  if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 3) {
    return Broken(
        absl::InternalError("unexpected reply to the rate-limit script"));
  }
  Grant grant;
  grant.granted = static_cast<int>(reply->elements[0].integer);
  grant.retry_in = absl::Microseconds(reply->elements[1].integer);
  grant.paused_for = absl::Microseconds(reply->elements[2].integer);
  return grant;
}

absl::Status RedisQuota::RunPause(absl::Duration duration) {
  return Eval(kPauseScript, PauseSha(),
              {"1", pause_key_,
               absl::StrCat(absl::ToInt64Microseconds(duration))})
      .status();
}

}  // namespace userimage
