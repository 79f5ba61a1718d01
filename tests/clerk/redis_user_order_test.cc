// RedisUserOrder's scripts against a real redis-server: numbering shared by
// replicas, the lease's claim / renew / release, and what is kept in Redis.

#include "server/clerk/redis_user_order.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/ratelimit/redis_quota.h"
#include "tests/testing/fake_time.h"
#include "tools/support/redis_server.h"

namespace userimage {
namespace {

using Verdict = SharedUserOrder::Verdict;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
constexpr absl::Duration kTtl = absl::Seconds(30);

// One replica: its own worker (connection) and order.
struct Replica {
  Replica(RedisWorkerOptions worker_options, Clock& clock)
      : worker(std::move(worker_options), clock),
        order({.key_id = QuotaKeyId("sk_test_order")}, worker) {}
  RedisWorker worker;
  RedisUserOrder order;
};

// Waits for an operation's answer.
template <typename T, typename Start>
absl::StatusOr<T> Wait(Start start) {
  absl::Notification done;
  absl::StatusOr<T> result;
  start([&](absl::StatusOr<T> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

class RedisUserOrderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start().value();
    a_ = std::make_unique<Replica>(WorkerOptions(), time_);
    b_ = std::make_unique<Replica>(WorkerOptions(), time_);
  }

  RedisWorkerOptions WorkerOptions() {
    return {.redis = redis_->ClientOptions()};
  }

  // Restarts Redis with the least-privilege ACL of docs/operations.md (the
  // rate quota's commands only) and returns options that log in with it.
  RedisWorkerOptions StartWithTheDocsAcl() {
    redis_ = RedisServer::Start(
                 {.acl_user = {"user", "userimage", "on", ">pw", "resetkeys",
                               "~clerk-userimage:*", "resetchannels", "-@all",
                               "+evalsha", "+eval", "+get", "+set", "+time"}})
                 .value();
    RedisWorkerOptions options = WorkerOptions();
    options.redis.username = "userimage";
    options.redis.password = "pw";
    return options;
  }

  absl::StatusOr<uint64_t> Arrive(Replica& r, const std::string& user = kUser) {
    return Wait<uint64_t>(
        [&](auto done) { r.order.Arrive(user, std::move(done)); });
  }
  absl::StatusOr<SharedUserOrder::ClaimResult> Claim(
      Replica& r, uint64_t token, absl::Duration ttl = kTtl) {
    return Wait<SharedUserOrder::ClaimResult>(
        [&](auto done) { r.order.Claim(kUser, token, ttl, std::move(done)); });
  }
  absl::StatusOr<bool> Renew(Replica& r, uint64_t token) {
    return Wait<bool>(
        [&](auto done) { r.order.Renew(kUser, token, kTtl, std::move(done)); });
  }
  // Release() is not confirmed: an Arrive() behind it on the same worker
  // shows it has run.
  void Release(Replica& r, uint64_t token) {
    r.order.Release(kUser, token);
    ASSERT_TRUE(Arrive(r, "user_other").ok());
  }

  RedisReply Redis(const std::vector<std::string>& args) {
    auto connection = RedisConnection::Connect(redis_->ClientOptions());
    return (*connection)->Command(args).value();
  }

  FakeTime time_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<Replica> a_;
  std::unique_ptr<Replica> b_;
};

TEST_F(RedisUserOrderTest, ReplicasShareOneNumberingPerUser) {
  const uint64_t first = Arrive(*a_).value();
  const uint64_t second = Arrive(*b_).value();
  const uint64_t third = Arrive(*a_).value();
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_GT(Arrive(*b_, "user_another").value(), 0u);
}

// Numbering that Redis lost (evicted, flushed, a failover) restarts above
// every number given out before: Redis's clock is its floor.
TEST_F(RedisUserOrderTest, NumberingSurvivesALostKey) {
  const uint64_t before = Arrive(*a_).value();
  ASSERT_EQ(Redis({"FLUSHALL"}).type, RedisReply::Type::kStatus);
  const uint64_t after = Arrive(*b_).value();
  EXPECT_GT(after, before);
  // So an older request holding on to its number is superseded.
  EXPECT_EQ(Claim(*a_, before)->verdict, Verdict::kSuperseded);
  EXPECT_EQ(Claim(*b_, after)->verdict, Verdict::kGranted);
}

TEST_F(RedisUserOrderTest, TheLatestClaimsOnlyAnEarlierHolderMakesItWait) {
  const uint64_t older = Arrive(*a_).value();
  EXPECT_EQ(Claim(*a_, older)->verdict, Verdict::kGranted);
  const uint64_t newer = Arrive(*b_).value();
  // The newer request waits while the older's attempt is in flight...
  auto busy = Claim(*b_, newer).value();
  EXPECT_EQ(busy.verdict, Verdict::kBusy);
  EXPECT_GT(busy.holder_ttl, kTtl - absl::Seconds(5));
  EXPECT_LE(busy.holder_ttl, kTtl);
  // ...and the older one may not go again (its retry) once it exists.
  EXPECT_EQ(Claim(*a_, older)->verdict, Verdict::kSuperseded);
  Release(*a_, older);
  EXPECT_EQ(Claim(*b_, newer)->verdict, Verdict::kGranted);
  // A claim by the holder extends its lease.
  EXPECT_EQ(Claim(*b_, newer)->verdict, Verdict::kGranted);
}

TEST_F(RedisUserOrderTest, RenewAndReleaseActOnlyForTheHolder) {
  const uint64_t older = Arrive(*a_).value();
  ASSERT_EQ(Claim(*a_, older, absl::Milliseconds(200))->verdict,
            Verdict::kGranted);
  EXPECT_TRUE(Renew(*a_, older).value());  // Now 30 s.
  const std::string lease = a_->order.LeaseKey(kUser);
  EXPECT_GT(Redis({"PTTL", lease}).integer, 20000);
  const uint64_t newer = Arrive(*b_).value();
  EXPECT_FALSE(Renew(*b_, newer).value());  // Not the holder.
  Release(*b_, newer);                      // Not the holder: no effect.
  EXPECT_TRUE(
      absl::StartsWith(Redis({"GET", lease}).str, absl::StrCat(older, " ")));
  Release(*a_, older);
  EXPECT_FALSE(Renew(*a_, older).value());  // Gone: the holder learns it.
  // And the next request's claim finds it free.
  EXPECT_EQ(Claim(*b_, newer)->verdict, Verdict::kGranted);
}

TEST_F(RedisUserOrderTest, ALeaseNotRenewedLapses) {
  const uint64_t older = Arrive(*a_).value();
  ASSERT_EQ(Claim(*a_, older, absl::Milliseconds(50))->verdict,
            Verdict::kGranted);
  const uint64_t newer = Arrive(*b_).value();
  // Redis's own clock: poll until the 50 ms lease is gone.
  absl::StatusOr<SharedUserOrder::ClaimResult> claim;
  for (int i = 0; i < 200; ++i) {
    claim = Claim(*b_, newer);
    if (!claim.ok() || claim->verdict != Verdict::kBusy) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claim->verdict, Verdict::kGranted);
}

TEST_F(RedisUserOrderTest, KeepsTheUserInOneHashSlotAndLetsNumberingExpire) {
  const uint64_t token = Arrive(*a_).value();
  ASSERT_EQ(Claim(*a_, token)->verdict, Verdict::kGranted);
  const std::string seq = a_->order.SequenceKey(kUser);
  const std::string id = QuotaKeyId("sk_test_order");
  EXPECT_EQ(seq, absl::StrCat("clerk-userimage:{", id, ":", kUser, "}:seq"));
  EXPECT_EQ(a_->order.LeaseKey(kUser),
            absl::StrCat("clerk-userimage:{", id, ":", kUser, "}:lease"));
  const int64_t ttl_ms = Redis({"PTTL", seq}).integer;
  EXPECT_GT(ttl_ms, absl::ToInt64Milliseconds(absl::Hours(23)));
  EXPECT_LE(ttl_ms, absl::ToInt64Milliseconds(absl::Hours(24)));
  EXPECT_GT(Redis({"PTTL", a_->order.LeaseKey(kUser)}).integer, 0);
}

TEST_F(RedisUserOrderTest, FailsAsUnavailableWhileRedisIsDown) {
  redis_->Stop();
  absl::Status down = Arrive(*a_).status();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  EXPECT_EQ(Claim(*a_, 1).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Renew(*a_, 1).status().code(), absl::StatusCode::kUnavailable);
}

// The ACL docs/operations.md recommends is the rate quota's: the order's
// scripts need no further command.
TEST_F(RedisUserOrderTest, WorksWithTheLeastPrivilegeAclOfTheDocs) {
  RedisWorkerOptions options = StartWithTheDocsAcl();
  Replica a(options, time_), b(options, time_);
  const uint64_t older = Arrive(a).value();
  EXPECT_EQ(Claim(a, older)->verdict, Verdict::kGranted);
  const uint64_t newer = Arrive(b).value();
  auto busy = Claim(b, newer).value();  // Busy: how long is left, too.
  EXPECT_EQ(busy.verdict, Verdict::kBusy);
  EXPECT_GT(busy.holder_ttl, absl::ZeroDuration());
  EXPECT_TRUE(Renew(a, older).value());
  Release(a, older);
  EXPECT_EQ(Claim(b, newer)->verdict, Verdict::kGranted);
}

// A script Redis refuses (here: keys outside the ACL's pattern) fails on
// its own; the quota on the same connection keeps working.
TEST_F(RedisUserOrderTest, ARefusedScriptFailsOnlyItself) {
  RedisWorkerOptions options = StartWithTheDocsAcl();
  RedisWorker worker(options, time_);
  RedisQuota quota({.key_id = QuotaKeyId("sk_test_order")}, worker);
  RedisUserOrder elsewhere({.key_prefix = "elsewhere", .key_id = "k"}, worker);
  auto take = [&] {
    return Wait<SharedQuota::Grant>([&](auto done) {
      quota.Take(1, Priority::kInteractive, std::move(done));
    });
  };
  ASSERT_TRUE(take().ok());
  absl::Status refused = Wait<uint64_t>([&](auto done) {
                           elsewhere.Arrive(kUser, std::move(done));
                         }).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_NE(refused.message().find("refused the user order script"),
            std::string::npos)
      << refused;
  auto grant = take();
  ASSERT_TRUE(grant.ok()) << grant.status();  // No reconnect delay began.
}

}  // namespace
}  // namespace userimage
