#include "server/clerk/redis_user_order.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace userimage {
namespace {

// KEYS: the user's numbering. ARGV: its time to live (ms). Returns the new
// request's number: one more than the last, and at least Redis's clock in
// microseconds, so numbering that was lost (an evicted or expired key, a
// flush, a failover that dropped writes) restarts above every number given
// out before, as long as Redis's clock does not go back. Written with %d:
// Lua's default format keeps 14 digits, fewer than a microsecond time has.
const RedisScript& ArriveScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = math.max(tonumber(redis.call('GET', KEYS[1]) or 0) + 1, now)
redis.call('SET', KEYS[1], string.format('%d', n), 'PX', ARGV[1])
return n
)lua");
  return *script;
}

// The lease's value is "<token> <expiry in µs of Redis's clock>": a claim
// that finds the lease busy says how long it has left without PTTL, and a
// release overwrites it with an expired one instead of DEL, so the scripts
// need no command beyond the rate quota's (GET, SET, TIME).

// KEYS: the numbering, the lease. ARGV: the token, the lease's time to
// live (ms). Returns {0} superseded, {1} granted, {2, holder's ms left}
// busy. A later arrival supersedes whoever holds the lease, so only an
// earlier request can be holding it when the latest one claims.
const RedisScript& ClaimScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local token = tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or 0) > token then return {0} end
local holder = redis.call('GET', KEYS[2])
if holder then
  local h, till = string.match(holder, '^(%d+) (%d+)$')
  h = tonumber(h)
  till = tonumber(till)
  if h and till and h ~= token and till > now then
    return {2, math.ceil((till - now) / 1000)}
  end
end
redis.call('SET', KEYS[2],
           string.format('%s %d', ARGV[1], now + tonumber(ARGV[2]) * 1000),
           'PX', ARGV[2])
return {1}
)lua");
  return *script;
}

// KEYS: the lease. ARGV: the token, the time to live (ms). 1 if extended.
const RedisScript& RenewScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local holder = redis.call('GET', KEYS[1])
if not holder or string.match(holder, '^(%d+) ') ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('SET', KEYS[1],
           string.format('%s %d', ARGV[1], now + tonumber(ARGV[2]) * 1000),
           'PX', ARGV[2])
return 1
)lua");
  return *script;
}

// KEYS: the lease. ARGV: the token. Lets the lease go only if the token
// holds it: an expired value that vanishes a millisecond later.
const RedisScript& ReleaseScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local holder = redis.call('GET', KEYS[1])
if holder and string.match(holder, '^(%d+) ') == ARGV[1] then
  redis.call('SET', KEYS[1], '0 0', 'PX', 1)
end
return 1
)lua");
  return *script;
}

std::string Millis(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(
      1, absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)))));
}

}  // namespace

RedisUserOrder::RedisUserOrder(RedisUserOrderOptions options,
                               RedisWorker& worker)
    : options_(std::move(options)), worker_(worker) {}

std::string RedisUserOrder::SequenceKey(absl::string_view user_id) const {
  return absl::StrCat(options_.key_prefix, ":{", options_.key_id, ":", user_id,
                      "}:seq");
}

std::string RedisUserOrder::LeaseKey(absl::string_view user_id) const {
  return absl::StrCat(options_.key_prefix, ":{", options_.key_id, ":", user_id,
                      "}:lease");
}

void RedisUserOrder::Arrive(absl::string_view user_id, TokenCallback done) {
  worker_.Post(
      [this, user = std::string(user_id), done = std::move(done)]() mutable {
        std::move(done)(RunArrive(user));
      });
}

void RedisUserOrder::Claim(absl::string_view user_id, uint64_t token,
                           absl::Duration ttl, ClaimCallback done) {
  worker_.Post([this, user = std::string(user_id), token, ttl,
                done = std::move(done)]() mutable {
    std::move(done)(RunClaim(user, token, ttl));
  });
}

void RedisUserOrder::Renew(absl::string_view user_id, uint64_t token,
                           absl::Duration ttl, RenewCallback done) {
  // First: a renewal stuck behind a backlog could let the lease lapse.
  worker_.PostFirst([this, user = std::string(user_id), token, ttl,
                     done = std::move(done)]() mutable {
    std::move(done)(RunRenew(user, token, ttl));
  });
}

void RedisUserOrder::Release(absl::string_view user_id, uint64_t token) {
  // First: the user's next request may be waiting for it.
  worker_.PostFirst([this, key = LeaseKey(user_id), token] {
    (void)worker_.Eval(ReleaseScript(), "user lease release", {key},
                       {absl::StrCat(token)});
  });
}

absl::StatusOr<uint64_t> RedisUserOrder::RunArrive(const std::string& user_id) {
  absl::StatusOr<RedisReply> reply =
      worker_.Eval(ArriveScript(), "user order", {SequenceKey(user_id)},
                   {Millis(options_.sequence_ttl)});
  if (!reply.ok()) return reply.status();
  if (reply->type != RedisReply::Type::kInteger || reply->integer < 1) {
    return worker_.Unexpected("user order");
  }
  return static_cast<uint64_t>(reply->integer);
}

absl::StatusOr<SharedUserOrder::ClaimResult> RedisUserOrder::RunClaim(
    const std::string& user_id, uint64_t token, absl::Duration ttl) {
  absl::StatusOr<RedisReply> reply = worker_.Eval(
      ClaimScript(), "user lease", {SequenceKey(user_id), LeaseKey(user_id)},
      {absl::StrCat(token), Millis(ttl)});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (reply->type != RedisReply::Type::kArray || e.empty() ||
      e[0].type != RedisReply::Type::kInteger) {
    return worker_.Unexpected("user lease");
  }
  ClaimResult claim;
  switch (e[0].integer) {
    case 0:
      claim.verdict = Verdict::kSuperseded;
      return claim;
    case 1:
      claim.verdict = Verdict::kGranted;
      return claim;
    case 2:
      if (e.size() != 2) break;
      claim.verdict = Verdict::kBusy;
      // PTTL is -1 (no expiry) or -2 (just gone) at worst: ask again soon.
      claim.holder_ttl = absl::Milliseconds(std::max<int64_t>(0, e[1].integer));
      return claim;
    default:
      break;
  }
  return worker_.Unexpected("user lease");
}

absl::StatusOr<bool> RedisUserOrder::RunRenew(const std::string& user_id,
                                              uint64_t token,
                                              absl::Duration ttl) {
  absl::StatusOr<RedisReply> reply =
      worker_.Eval(RenewScript(), "user lease renewal", {LeaseKey(user_id)},
                   {absl::StrCat(token), Millis(ttl)});
  if (!reply.ok()) return reply.status();
  if (reply->type != RedisReply::Type::kInteger) {
    return worker_.Unexpected("user lease renewal");
  }
  return reply->integer == 1;
}

}  // namespace userimage
