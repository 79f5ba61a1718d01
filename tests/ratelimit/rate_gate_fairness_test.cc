// The rate gate's fair share between callers, on the fake clock: shares in
// proportion to weights, a bounded wait for a light caller under a heavy
// one, bulk requests only on capacity interactive ones leave, per-caller
// caps, and deadlines judged from a request's own place in the fair order.

#include <map>
#include <string>
#include <vector>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/ratelimit/rate_gate.h"
#include "server/status/status_details.h"
#include "tests/testing/fake_time.h"

namespace userimage {
namespace {

// When each request was released or refused, per caller.
struct Outcomes {
  struct Told {
    std::string caller;
    absl::Time at;
    absl::Status status;
  };
  std::vector<Told> told;
  FakeTime* time = nullptr;

  RateGate::Callback For(std::string caller) {
    return [this, caller](absl::Status s) {
      told.push_back({caller, time->Now(), std::move(s)});
    };
  }
  std::vector<absl::Time> Released(const std::string& caller) const {
    std::vector<absl::Time> at;
    for (const Told& t : told) {
      if (t.caller == caller && t.status.ok()) at.push_back(t.at);
    }
    return at;
  }
  int Refused(const std::string& caller) const {
    int n = 0;
    for (const Told& t : told) n += t.caller == caller && !t.status.ok();
    return n;
  }
};

class RateGateFairnessTest : public ::testing::Test {
 protected:
  RateGateFairnessTest() { outcomes_.time = &time_; }

  void Offer(RateGate& gate, const std::string& caller, int n,
             Priority priority = Priority::kInteractive,
             absl::Time deadline = absl::InfiniteFuture()) {
    for (int i = 0; i < n; ++i) {
      gate.Acquire({.deadline = deadline,
                    .sender = {.caller = caller, .priority = priority}},
                   outcomes_.For(priority == Priority::kBulk ? caller + "/bulk"
                                                             : caller));
    }
  }
  void RunFor(absl::Duration d) {
    const absl::Time end = time_.Now() + d;
    while (time_.Now() < end) time_.Advance(absl::Milliseconds(10));
  }

  FakeTime time_;
  Outcomes outcomes_;
};

// The scenario at the gate: 100 per 10 s; `batch` offers 300 at
// once, `web` 20 two seconds later. FIFO made web wait ~30 s.
TEST_F(RateGateFairnessTest, ALightCallerWaitsForItsOwnBacklogOnly) {
  RateGate gate({.quota = 100, .window = absl::Seconds(10)}, time_, time_);
  const absl::Time start = time_.Now();
  Offer(gate, "batch", 300);
  RunFor(absl::Seconds(2));
  const absl::Time web_arrives = time_.Now();
  Offer(gate, "web", 20);
  RunFor(absl::Seconds(40));
  const std::vector<absl::Time> web = outcomes_.Released("web");
  ASSERT_EQ(web.size(), 20u);
  // Alternating with batch: 40 slots of ~0.1 s.
  EXPECT_LE(web.back() - web_arrives, absl::Seconds(4.2));
  EXPECT_EQ(outcomes_.Released("batch").size(), 300u);
  // Goodput is unchanged: 320 requests at the pace (2 at once, then one
  // per 10 s / 98), give or take the 10 ms steps of the clock.
  const absl::Time last = outcomes_.Released("batch").back();
  EXPECT_LE(last - start,
            absl::Seconds(10) / 98 * 318 + absl::Milliseconds(10));
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST_F(RateGateFairnessTest, BackloggedCallersShareByWeight) {
  auto weights = CallerWeights::Parse("gold 3\n");
  ASSERT_TRUE(weights.ok());
  RateGate gate({.quota = 10, .window = absl::Seconds(1), .weights = &*weights},
                time_, time_);
  Offer(gate, "gold", 200);
  Offer(gate, "bronze", 200);
  RunFor(absl::Seconds(10));  // ~90 released
  const size_t gold = outcomes_.Released("gold").size();
  const size_t bronze = outcomes_.Released("bronze").size();
  EXPECT_GE(gold + bronze, 85u);
  EXPECT_NEAR(static_cast<double>(gold) / (gold + bronze), 0.75, 0.03)
      << gold << " vs " << bronze;
  while (gate.waiting() > 0) RunFor(absl::Seconds(10));
}

TEST_F(RateGateFairnessTest, BulkOnlyUsesWhatInteractiveLeaves) {
  RateGate gate({.quota = 10, .window = absl::Seconds(1)}, time_, time_);
  Offer(gate, "batch", 30, Priority::kBulk);
  RunFor(absl::Seconds(1));
  // The quota was free: bulk used it.
  EXPECT_GE(outcomes_.Released("batch/bulk").size(), 9u);
  // Interactive requests, from another caller and from batch itself.
  const size_t before = outcomes_.told.size();
  Offer(gate, "web", 5);
  Offer(gate, "batch", 5);
  RunFor(absl::Seconds(5));
  // The next ten to leave are the interactive ones, alternating callers.
  std::vector<std::string> next;
  for (size_t i = before; i < before + 10; ++i) {
    ASSERT_TRUE(outcomes_.told[i].status.ok());
    next.push_back(outcomes_.told[i].caller);
  }
  EXPECT_EQ(next, std::vector<std::string>({"web", "batch", "web", "batch",
                                            "web", "batch", "web", "batch",
                                            "web", "batch"}));
  EXPECT_EQ(outcomes_.Released("batch/bulk").size(), 30u);
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST_F(RateGateFairnessTest, ACallerOverItsCapIsToldWhenToComeBack) {
  RateGate gate(
      {.quota = 10, .window = absl::Seconds(1), .max_queued_per_caller = 3},
      time_, time_);
  Offer(gate, "runaway", 5);  // 1 leaves at once (the burst), 3 wait
  ASSERT_EQ(outcomes_.told.size(), 2u);
  const absl::Status& refused = outcomes_.told[1].status;
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find(
                "caller runaway already has 3 interactive requests"),
            std::string::npos)
      << refused;
  auto info = GetDetail<google::rpc::ErrorInfo>(refused);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CALLER_QUEUE_FULL");
  EXPECT_EQ(info->metadata().at("caller"), "runaway");
  EXPECT_EQ(info->metadata().at("max_queued"), "3");
  // Its first waiting request leaves at the next permit: 1/9 s.
  auto retry = GetDetail<google::rpc::RetryInfo>(refused);
  ASSERT_TRUE(retry.has_value());
  EXPECT_EQ(absl::Seconds(retry->retry_delay().seconds()) +
                absl::Nanoseconds(retry->retry_delay().nanos()),
            absl::Ceil(absl::Seconds(1) / 9, absl::Milliseconds(1)));
  EXPECT_EQ(gate.waiting("runaway"), 3u);
  // Another caller is not held to runaway's cap, and a retry is never
  // refused for it.
  Offer(gate, "web", 1);
  gate.Acquire({.retry = true, .sender = {.caller = "runaway"}},
               outcomes_.For("runaway"));
  EXPECT_EQ(gate.waiting("web"), 1u);
  EXPECT_EQ(gate.waiting("runaway"), 4u);
  EXPECT_EQ(outcomes_.Refused("runaway"), 1);
  // The cap is per priority: a full bulk line does not refuse runaway's
  // interactive requests, nor the other way round.
  Offer(gate, "runaway", 4, Priority::kBulk);
  EXPECT_EQ(outcomes_.Refused("runaway/bulk"), 1);
  EXPECT_EQ(gate.waiting("runaway"), 7u);
  RunFor(absl::Seconds(2));
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST_F(RateGateFairnessTest, DeadlinesAreJudgedFromTheCallersOwnPlace) {
  RateGate gate({.quota = 10, .window = absl::Seconds(1)}, time_, time_);
  Offer(gate, "batch", 100);
  // 1 s holds ~9 more slots: batch's next cannot make it, web's can.
  const absl::Time deadline = time_.Now() + absl::Seconds(1);
  Offer(gate, "batch", 1, Priority::kInteractive, deadline);
  Offer(gate, "web", 1, Priority::kInteractive, deadline);
  EXPECT_EQ(outcomes_.Refused("batch"), 1);
  EXPECT_EQ(outcomes_.Refused("web"), 0);
  RunFor(absl::Seconds(0.5));
  EXPECT_EQ(outcomes_.Released("web").size(), 1u);
  // A bulk request counts every interactive one as ahead of it.
  Offer(gate, "web", 1, Priority::kBulk, time_.Now() + absl::Seconds(1));
  EXPECT_EQ(outcomes_.Refused("web/bulk"), 1);
  while (gate.waiting() > 0) RunFor(absl::Seconds(10));
}

TEST_F(RateGateFairnessTest, APauseFailsWaitersByTheirOwnPlace) {
  RateGate gate({.quota = 10, .window = absl::Seconds(1)}, time_, time_);
  Offer(gate, "batch", 20, Priority::kInteractive,
        time_.Now() + absl::Seconds(3));
  Offer(gate, "web", 2, Priority::kInteractive, time_.Now() + absl::Seconds(3));
  // 2 s of pause leave ~1 s: web's two (near the front of the fair order)
  // and about eight of batch's still fit; the rest fail now.
  gate.PauseUntil(time_.Now() + absl::Seconds(2));
  EXPECT_EQ(outcomes_.Refused("web"), 0);
  EXPECT_GE(outcomes_.Refused("batch"), 9);
  RunFor(absl::Seconds(3));
  EXPECT_EQ(outcomes_.Released("web").size(), 2u);
  EXPECT_EQ(gate.waiting(), 0u);
}

}  // namespace
}  // namespace userimage
