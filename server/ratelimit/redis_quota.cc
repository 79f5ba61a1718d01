#include "server/ratelimit/redis_quota.h"

#include <openssl/sha.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace userimage {
namespace {

// KEYS: the bucket's theoretical arrival time (TAT) and the pause's end,
// both in microseconds of Redis's clock. ARGV: burst, interval (µs),
// wanted, reserve (tokens this ask must leave in the bucket). Returns
// {granted, retry_in_us, paused_for_us}. The bucket holds `burst` tokens
// when TAT <= now and one fewer per interval TAT is ahead.
// Numbers are written with %d: Lua's default number format keeps 14
// digits, fewer than a microsecond timestamp has.
const RedisScript& TakeScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = tonumber(redis.call('GET', KEYS[2]) or 0)
if pause > now then return {0, pause - now, pause - now} end
local burst = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local reserve = tonumber(ARGV[4])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or 0), now)
local available = math.floor((burst * interval - (tat - now)) / interval) - reserve
local granted = math.max(0, math.min(wanted, available))
if granted > 0 then
  tat = tat + granted * interval
  redis.call('SET', KEYS[1], string.format('%d', tat), 'PX',
             string.format('%d', math.ceil((tat - now) / 1000) + 1000))
end
local retry_in = 0
if granted < wanted then retry_in = math.max(0, tat - (burst - 1 - reserve) * interval - now) end
return {granted, retry_in, 0}
)lua");
  return *script;
}

// KEYS: the pause's end (µs). ARGV: the pause's length (µs).
const RedisScript& PauseScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
if till > tonumber(redis.call('GET', KEYS[1]) or 0) then
  redis.call('SET', KEYS[1], string.format('%d', till), 'PX',
             string.format('%d', math.ceil(tonumber(ARGV[1]) / 1000) + 1000))
end
return 1
)lua");
  return *script;
}

}  // namespace

std::string QuotaKeyId(absl::string_view secret_key) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret_key.data()),
         secret_key.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

RedisQuota::RedisQuota(RedisQuotaOptions options, RedisWorker& worker)
    : options_(std::move(options)),
      worker_(worker),
      tat_key_(
          absl::StrCat(options_.key_prefix, ":{", options_.key_id, "}:tat")),
      pause_key_(absl::StrCat(options_.key_prefix, ":{", options_.key_id,
                              "}:paused_until")) {}

void RedisQuota::Take(int wanted, Priority priority, TakeCallback done) {
  worker_.Post([this, wanted, priority, done = std::move(done)]() mutable {
    std::move(done)(RunTake(wanted, priority));
  });
}

void RedisQuota::Pause(absl::Duration duration) {
  worker_.Post([this, duration] { (void)RunPause(duration); });
}

absl::StatusOr<SharedQuota::Grant> RedisQuota::RunTake(int wanted,
                                                       Priority priority) {
  // A bulk ask leaves one token for interactive asks, if the burst has one
  // to spare (with a burst of one it would halve the bulk rate).
  const int reserve =
      priority == Priority::kBulk && options_.pacing.burst >= 2 ? 1 : 0;
  absl::StatusOr<RedisReply> reply =
      worker_.Eval(TakeScript(), "rate-limit", {tat_key_, pause_key_},
                   {absl::StrCat(options_.pacing.burst),
                    // Rounded up: the bucket may be a hair slower than the
                    // quota, never faster.
                    absl::StrCat(absl::ToInt64Microseconds(absl::Ceil(
                        options_.pacing.interval, absl::Microseconds(1)))),
                    absl::StrCat(wanted), absl::StrCat(reserve)});
  if (!reply.ok()) return reply.status();
  if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 3) {
    return worker_.Unexpected("rate-limit");
  }
  Grant grant;
  grant.granted = static_cast<int>(reply->elements[0].integer);
  grant.retry_in = absl::Microseconds(reply->elements[1].integer);
  grant.paused_for = absl::Microseconds(reply->elements[2].integer);
  return grant;
}

absl::Status RedisQuota::RunPause(absl::Duration duration) {
  return worker_
      .Eval(PauseScript(), "rate-limit pause", {pause_key_},
            {absl::StrCat(absl::ToInt64Microseconds(duration))})
      .status();
}

}  // namespace userimage
