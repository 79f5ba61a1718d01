#include "server/ratelimit/redis_quota.h"

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_time.h"
#include "tools/support/redis_server.h"

namespace userimage {
namespace {

constexpr char kSecret[] = "sk_test_quota_0123456789";

// One replica's quota, with its own connection to Redis.
struct Replica {
  Replica(RedisWorkerOptions worker_options, RedisQuotaOptions options,
          Clock& clock)
      : worker(std::move(worker_options), clock),
        quota(std::move(options), worker) {}
  RedisWorker worker;
  RedisQuota quota;
};

// Waits for a Take's answer.
absl::StatusOr<SharedQuota::Grant> TakeNow(
    Replica& replica, int wanted, Priority priority = Priority::kInteractive) {
  absl::Notification done;
  absl::StatusOr<SharedQuota::Grant> result;
  replica.quota.Take(wanted, priority,
                     [&](absl::StatusOr<SharedQuota::Grant> grant) {
                       result = std::move(grant);
                       done.Notify();
                     });
  done.WaitForNotification();
  return result;
}

class RedisQuotaTest : public ::testing::Test {
 protected:
  void SetUp() override { redis_ = RedisServer::Start().value(); }

  // 100 per 1000 s: a burst of 2, then one every 1000 s / 98 (so that no
  // token is regained during a test).
  RedisWorkerOptions WorkerOptions() {
    return {.redis = redis_->ClientOptions()};
  }

  RedisQuotaOptions Options(const std::string& secret = kSecret) {
    RedisQuotaOptions options;
    options.key_id = QuotaKeyId(secret);
    options.pacing = PacingFor(100, absl::Seconds(1000));
    return options;
  }

  absl::StatusOr<RedisReply> Redis(const std::vector<std::string>& args) {
    auto connection = RedisConnection::Connect(redis_->ClientOptions());
    if (!connection.ok()) return connection.status();
    return (*connection)->Command(args);
  }

  FakeTime time_;
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RedisQuotaTest, GrantsTheBurstThenSaysWhenTheNextTokenComes) {
  Replica quota(WorkerOptions(), Options(), time_);
  auto grant = TakeNow(quota, 5).value();
  EXPECT_EQ(grant.granted, 2);
  EXPECT_GT(grant.retry_in, absl::ZeroDuration());
  // At most one interval (rounded up to whole microseconds).
  EXPECT_LE(grant.retry_in,
            absl::Ceil(absl::Seconds(1000) / 98, absl::Microseconds(1)));
  EXPECT_EQ(grant.paused_for, absl::ZeroDuration());
  grant = TakeNow(quota, 1).value();
  EXPECT_EQ(grant.granted, 0);
  // A probe asks for nothing and gets nothing, without waiting.
  grant = TakeNow(quota, 0).value();
  EXPECT_EQ(grant.granted, 0);
  EXPECT_EQ(grant.retry_in, absl::ZeroDuration());
}

TEST_F(RedisQuotaTest, BulkAsksLeaveATokenForAnyReplicasInteractiveOnes) {
  Replica bulk_replica(WorkerOptions(), Options(), time_);
  Replica web_replica(WorkerOptions(), Options(), time_);
  // The burst is 2: a bulk ask gets one and leaves one.
  auto grant = TakeNow(bulk_replica, 5, Priority::kBulk).value();
  EXPECT_EQ(grant.granted, 1);
  EXPECT_GT(grant.retry_in, absl::ZeroDuration());
  EXPECT_EQ(TakeNow(bulk_replica, 5, Priority::kBulk)->granted, 0);
  // The other replica's interactive request finds it.
  EXPECT_EQ(TakeNow(web_replica, 5)->granted, 1);
  EXPECT_EQ(TakeNow(web_replica, 1)->granted, 0);
}

TEST_F(RedisQuotaTest, WithABurstOfOneBulkAsksMayTakeIt) {
  // 10 per 1000 s: a burst of 1. Holding it back would halve the bulk
  // rate, so it is not.
  RedisQuotaOptions options = Options();
  options.pacing = PacingFor(10, absl::Seconds(1000));
  ASSERT_EQ(options.pacing.burst, 1);
  Replica quota(WorkerOptions(), options, time_);
  EXPECT_EQ(TakeNow(quota, 5, Priority::kBulk)->granted, 1);
}

TEST_F(RedisQuotaTest, ReplicasOfOneKeyShareOneBucketAndOtherKeysDoNot) {
  Replica replica1(WorkerOptions(), Options(), time_);
  Replica replica2(WorkerOptions(), Options(), time_);
  Replica other_key(WorkerOptions(), Options("sk_test_another_key_987"), time_);
  EXPECT_EQ(TakeNow(replica1, 1)->granted, 1);
  EXPECT_EQ(TakeNow(replica2, 2)->granted, 1);
  EXPECT_EQ(TakeNow(replica1, 1)->granted, 0);
  EXPECT_EQ(TakeNow(other_key, 2)->granted, 2);
}

TEST_F(RedisQuotaTest, APauseHoldsEveryReplicaAndOnlyExtends) {
  Replica replica1(WorkerOptions(), Options(), time_);
  Replica replica2(WorkerOptions(), Options(), time_);
  replica1.quota.Pause(absl::Seconds(30));
  replica1.quota.Pause(absl::Seconds(5));     // Does not shorten the pause.
  auto grant = TakeNow(replica1, 1).value();  // Runs after the pauses.
  grant = TakeNow(replica2, 1).value();
  EXPECT_EQ(grant.granted, 0);
  EXPECT_GT(grant.paused_for, absl::Seconds(25));
  EXPECT_LE(grant.paused_for, absl::Seconds(30));
  EXPECT_EQ(grant.retry_in, grant.paused_for);
}

TEST_F(RedisQuotaTest, KeepsOnlyAHashOfTheSecretKeyInRedis) {
  Replica quota(WorkerOptions(), Options(), time_);
  quota.quota.Pause(absl::Seconds(1));
  ASSERT_TRUE(TakeNow(quota, 1).ok());
  auto keys = Redis({"KEYS", "*"}).value();
  ASSERT_EQ(keys.elements.size(), 1);  // The pause; the bucket was not used.
  const std::string id = QuotaKeyId(kSecret);
  EXPECT_EQ(id.size(), 64);
  EXPECT_NE(id, QuotaKeyId("sk_test_another_key_987"));
  EXPECT_EQ(keys.elements[0].str, "clerk-userimage:{" + id + "}:paused_until");
  EXPECT_EQ(keys.elements[0].str.find(kSecret), std::string::npos);
  // Entries expire once they no longer matter.
  EXPECT_GT(Redis({"PTTL", keys.elements[0].str})->integer, 0);
}

TEST_F(RedisQuotaTest, SurvivesAFlushedScriptCache) {
  Replica quota(WorkerOptions(), Options(), time_);
  EXPECT_EQ(TakeNow(quota, 1)->granted, 1);
  ASSERT_TRUE(Redis({"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(TakeNow(quota, 1)->granted, 1);
}

TEST_F(RedisQuotaTest, FailsFastWhileRedisIsDownAndReconnectsWhenItIsBack) {
  RedisWorkerOptions worker = WorkerOptions();
  worker.min_reconnect_delay = absl::Seconds(1);
  Replica quota(worker, Options(), time_);
  ASSERT_TRUE(TakeNow(quota, 1).ok());
  redis_->Stop();
  absl::Status down = TakeNow(quota, 1).status();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  ASSERT_TRUE(redis_->Restart().ok());
  // Within the reconnect delay: not tried again.
  down = TakeNow(quota, 1).status();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(down.message().find("next attempt in"), std::string::npos) << down;
  time_.Advance(absl::Seconds(1));
  auto grant = TakeNow(quota, 1);
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_EQ(grant->granted, 1);  // The restarted Redis is empty: a full bucket.
}

TEST_F(RedisQuotaTest, TreatsASlowRedisAsUnreachable) {
  SilentServer silent;
  RedisWorkerOptions worker = WorkerOptions();
  worker.redis.port = silent.port();
  worker.redis.command_timeout = absl::Milliseconds(50);
  Replica quota(worker, Options(), time_);
  absl::Status slow = TakeNow(quota, 1).status();
  EXPECT_EQ(slow.code(), absl::StatusCode::kUnavailable) << slow;
  EXPECT_NE(slow.message().find("did not answer in time"), std::string::npos)
      << slow;
  // And the next question fails at once, without waiting again.
  slow = TakeNow(quota, 1).status();
  EXPECT_NE(slow.message().find("next attempt in"), std::string::npos) << slow;
}

TEST_F(RedisQuotaTest, WorksWithALeastPrivilegeAclUser) {
  // The ACL docs/operations.md recommends.
  redis_ = RedisServer::Start(
               {.acl_user = {"user", "userimage", "on", ">pw", "resetkeys",
                             "~clerk-userimage:*", "resetchannels", "-@all",
                             "+evalsha", "+eval", "+get", "+set", "+time"}})
               .value();
  RedisWorkerOptions worker = WorkerOptions();
  worker.redis.username = "userimage";
  worker.redis.password = "pw";
  Replica quota(worker, Options(), time_);
  quota.quota.Pause(absl::Seconds(1));
  auto grant = TakeNow(quota, 1);
  ASSERT_TRUE(grant.ok()) << grant.status();
  EXPECT_GT(grant->paused_for, absl::ZeroDuration());
  // A prefix outside the user's keys is refused, clearly.
  RedisQuotaOptions elsewhere = Options();
  elsewhere.key_prefix = "elsewhere";
  Replica refused(worker, elsewhere, time_);
  absl::Status status = TakeNow(refused, 1).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("refused"), std::string::npos) << status;
}

}  // namespace
}  // namespace userimage
