#include "server/ratelimit/fair_queue.h"

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace userimage {
namespace {

// Pushes requests and records which caller each popped one belonged to.
class FairQueueTest : public ::testing::Test {
 protected:
  void Push(const std::string& caller,
            Priority priority = Priority::kInteractive, bool retry = false,
            absl::Time deadline = absl::InfiniteFuture()) {
    const FairQueue::Ticket ticket = ++next_;
    owner_[ticket] = caller;
    queue_.Push({.caller = caller, .priority = priority}, retry,
                {ticket, deadline, [](absl::Status) {}});
  }
  std::string Pop() { return owner_.at(queue_.Pop().ticket); }
  std::vector<std::string> PopAll() {
    std::vector<std::string> order;
    while (!queue_.empty()) order.push_back(Pop());
    return order;
  }

  CallerWeights weights_;
  FairQueue queue_{weights_};
  FairQueue::Ticket next_ = 0;
  std::map<FairQueue::Ticket, std::string> owner_;
};

TEST_F(FairQueueTest, OneCallerLeavesInArrivalOrder) {
  for (int i = 0; i < 5; ++i) Push("a");
  std::vector<FairQueue::Ticket> tickets;
  while (!queue_.empty()) tickets.push_back(queue_.Pop().ticket);
  EXPECT_EQ(tickets, std::vector<FairQueue::Ticket>({1, 2, 3, 4, 5}));
}

TEST_F(FairQueueTest, ALateLightCallerIsNotBehindAHeavyBacklog) {
  for (int i = 0; i < 300; ++i) Push("batch");
  for (int i = 0; i < 10; ++i) Pop();  // batch has been served a while
  for (int i = 0; i < 3; ++i) Push("web");
  // web's first leaves next, then they alternate with batch.
  EXPECT_EQ(queue_.PositionOf({.caller = "web"}, false), 6u);
  std::vector<std::string> next;
  for (int i = 0; i < 6; ++i) next.push_back(Pop());
  EXPECT_EQ(next, std::vector<std::string>(
                      {"web", "batch", "web", "batch", "web", "batch"}));
}

TEST_F(FairQueueTest, BackloggedCallersShareInProportionToTheirWeights) {
  auto weights = CallerWeights::Parse("heavy 3\nlight 1\n");
  ASSERT_TRUE(weights.ok()) << weights.status();
  FairQueue queue(*weights);
  FairQueue::Ticket ticket = 0;
  std::map<FairQueue::Ticket, std::string> owner;
  for (int i = 0; i < 400; ++i) {
    for (const char* caller : {"heavy", "light"}) {
      owner[++ticket] = caller;
      queue.Push({.caller = caller}, false,
                 {ticket, absl::InfiniteFuture(), [](absl::Status) {}});
    }
  }
  std::map<std::string, int> served;
  for (int i = 0; i < 400; ++i) ++served[owner[queue.Pop().ticket]];
  EXPECT_EQ(served["heavy"], 300);
  EXPECT_EQ(served["light"], 100);
}

TEST_F(FairQueueTest, BulkLeavesOnlyWhenNoInteractiveWaits) {
  Push("batch", Priority::kBulk);
  Push("batch", Priority::kBulk);
  Push("web");
  EXPECT_EQ(queue_.PositionOf({.caller = "batch", .priority = Priority::kBulk},
                              false),
            3u);
  EXPECT_EQ(Pop(), "web");
  Push("web");  // arrives after bulk requests, still leaves first
  EXPECT_EQ(PopAll(), std::vector<std::string>({"web", "batch", "batch"}));
}

TEST_F(FairQueueTest, BulkCallersShareFairlyAmongThemselves) {
  for (int i = 0; i < 4; ++i) Push("a", Priority::kBulk);
  Push("b", Priority::kBulk);
  Pop();
  Push("b", Priority::kBulk);
  EXPECT_EQ(PopAll(), std::vector<std::string>({"b", "a", "b", "a", "a"}));
}

TEST_F(FairQueueTest, ARetryGoesFirstInItsCallersLine) {
  Push("a");                                          // 1
  Push("a");                                          // 2
  Push("b");                                          // 3
  Push("a", Priority::kInteractive, /*retry=*/true);  // 4
  std::vector<FairQueue::Ticket> tickets;
  while (!queue_.empty()) tickets.push_back(queue_.Pop().ticket);
  EXPECT_EQ(tickets, std::vector<FairQueue::Ticket>({4, 1, 3, 2}));
}

TEST_F(FairQueueTest, RetriesLeaveOldestFirstAndArePaidFor) {
  Push("a");                                          // 1
  Push("b");                                          // 2
  Push("a", Priority::kInteractive, /*retry=*/true);  // 3
  Push("a", Priority::kInteractive, /*retry=*/true);  // 4
  Push("b");                                          // 5
  Push("b");                                          // 6
  Push("a");                                          // 7
  // a's retries go first in its line, oldest first, and a pays for them:
  // its next request waits for b's next two.
  std::vector<FairQueue::Ticket> tickets;
  while (!queue_.empty()) tickets.push_back(queue_.Pop().ticket);
  EXPECT_EQ(tickets, std::vector<FairQueue::Ticket>({3, 4, 1, 2, 5, 6, 7}));
}

TEST_F(FairQueueTest, TakingOutTheEndOfALineGivesAllItsTagsBack) {
  const absl::Time t0 = absl::UnixEpoch();
  Push("a", Priority::kInteractive, false, t0 + absl::Seconds(10));  // 1
  Push("a", Priority::kInteractive, false, t0 + absl::Seconds(1));   // 2
  Push("a", Priority::kInteractive, false, t0 + absl::Seconds(1));   // 3
  Push("b");                                                         // 4
  ASSERT_EQ(queue_.RemoveExpired(t0 + absl::Seconds(1)).size(), 2u);
  Push("a");  // 5: takes 2's tag back, ahead of b's second
  Push("b");  // 6
  std::vector<FairQueue::Ticket> tickets;
  while (!queue_.empty()) tickets.push_back(queue_.Pop().ticket);
  EXPECT_EQ(tickets, std::vector<FairQueue::Ticket>({1, 4, 5, 6}));
}

TEST_F(FairQueueTest, AnIdleCallerKeepsNoCredit) {
  // a waits alone for a long time; b's later burst is not owed the past.
  for (int i = 0; i < 50; ++i) Push("a");
  for (int i = 0; i < 40; ++i) Pop();
  for (int i = 0; i < 4; ++i) Push("b");
  std::vector<std::string> next;
  for (int i = 0; i < 4; ++i) next.push_back(Pop());
  EXPECT_EQ(next, std::vector<std::string>({"b", "a", "b", "a"}));
}

TEST_F(FairQueueTest, ACallerThatRefillsAtOnceStillGetsOnlyItsShare) {
  // `light` (weight 1) puts one request back each time one leaves; `heavy`
  // (weight 3) keeps a backlog. Emptying its line gains `light` nothing.
  auto weights = CallerWeights::Parse("heavy 3\n");
  ASSERT_TRUE(weights.ok());
  FairQueue queue(*weights);
  FairQueue::Ticket ticket = 0;
  std::map<FairQueue::Ticket, std::string> owner;
  auto push = [&](const std::string& caller) {
    owner[++ticket] = caller;
    queue.Push({.caller = caller}, false,
               {ticket, absl::InfiniteFuture(), [](absl::Status) {}});
  };
  for (int i = 0; i < 500; ++i) push("heavy");
  push("light");
  std::map<std::string, int> served;
  for (int i = 0; i < 400; ++i) {
    const std::string caller = owner[queue.Pop().ticket];
    ++served[caller];
    if (caller == "light") push("light");
  }
  EXPECT_EQ(served["heavy"], 300);
  EXPECT_EQ(served["light"], 100);
}

TEST_F(FairQueueTest, CountsPerCallerAndFirstPosition) {
  Push("a");
  Push("a");
  Push("b", Priority::kBulk);
  EXPECT_EQ(queue_.size(), 3u);
  EXPECT_EQ(queue_.queued("a"), 2u);
  EXPECT_EQ(queue_.queued("b"), 1u);
  EXPECT_EQ(queue_.queued("c"), 0u);
  EXPECT_EQ(queue_.queued({.caller = "a"}), 2u);
  EXPECT_EQ(queue_.queued({.caller = "a", .priority = Priority::kBulk}), 0u);
  EXPECT_EQ(queue_.FirstPositionOf({.caller = "a"}), 0u);
  EXPECT_EQ(
      queue_.FirstPositionOf({.caller = "b", .priority = Priority::kBulk}), 2u);
  EXPECT_EQ(queue_.FirstPositionOf({.caller = "b"}), std::nullopt);
  EXPECT_EQ(queue_.FirstPositionOf({.caller = "c"}), std::nullopt);
}

TEST_F(FairQueueTest, RemoveGivesBackTheLastPlace) {
  Push("a");  // 1
  Push("a");  // 2
  ASSERT_TRUE(queue_.Remove(2).has_value());
  EXPECT_FALSE(queue_.Remove(2).has_value());
  Push("b");  // 3
  Push("a");  // 4: takes the place 2 gave back, ahead of b's second
  Push("b");  // 5
  std::vector<FairQueue::Ticket> tickets;
  while (!queue_.empty()) tickets.push_back(queue_.Pop().ticket);
  EXPECT_EQ(tickets, std::vector<FairQueue::Ticket>({1, 3, 4, 5}));
}

TEST_F(FairQueueTest, RemovesExpiredAndVisitsInOrder) {
  const absl::Time t0 = absl::UnixEpoch();
  Push("a", Priority::kBulk, false, t0 + absl::Seconds(1));         // 1
  Push("b", Priority::kInteractive, false, t0 + absl::Seconds(5));  // 2
  Push("b", Priority::kInteractive, false, t0 + absl::Seconds(2));  // 3
  EXPECT_EQ(queue_.EarliestDeadline(), t0 + absl::Seconds(1));
  std::vector<FairQueue::Entry> expired =
      queue_.RemoveExpired(t0 + absl::Seconds(1));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].ticket, 1u);
  std::vector<std::pair<FairQueue::Ticket, size_t>> visited;
  std::vector<FairQueue::Entry> removed =
      queue_.RemoveInOrder([&](const FairQueue::Entry& e, size_t position) {
        visited.emplace_back(e.ticket, position);
        return e.ticket == 2;
      });
  EXPECT_EQ(
      visited,
      (std::vector<std::pair<FairQueue::Ticket, size_t>>({{2, 0}, {3, 0}})));
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].ticket, 2u);
  EXPECT_EQ(queue_.size(), 1u);
}

TEST(FairQueueLongRunTest, TagsMovedBackKeepTheOrder) {
  // A caller of weight 0.001 that never lets its line empty moves V by
  // 1000 per request: past 2^32 after ~4.3 million (here past 10^6, after
  // a thousand), where tags are moved back. Order and shares hold across
  // it.
  auto weights = CallerWeights::Parse("* 0.001\n");
  ASSERT_TRUE(weights.ok());
  FairQueue queue(*weights, /*rebase_above=*/1e6);
  FairQueue::Ticket ticket = 0;
  auto push = [&](const std::string& caller) {
    queue.Push({.caller = caller}, false,
               {++ticket, absl::InfiniteFuture(), [](absl::Status) {}});
    return ticket;
  };
  push("a");
  FairQueue::Ticket last = 0;
  // V passes 10^6 at the 1002nd pop: end right after it.
  for (int i = 0; i < 1002; ++i) {
    push("a");
    const FairQueue::Ticket popped = queue.Pop().ticket;
    ASSERT_GT(popped, last);
    last = popped;
  }
  // b arrives (at V, a's waiting one a step ahead, as before the move):
  // then the two alternate, and a's stay in order.
  const FairQueue::Ticket b1 = push("b");
  const FairQueue::Ticket b2 = push("b");
  const FairQueue::Ticket a1 = push("a");
  std::vector<FairQueue::Ticket> order;
  while (!queue.empty()) order.push_back(queue.Pop().ticket);
  EXPECT_EQ(order, std::vector<FairQueue::Ticket>({b1, last + 1, b2, a1}));
}

TEST(FairQueueRandomTest, LosesNothingAndKeepsEachCallersOrder) {
  // Random pushes, pops, cancels and expiries: every request leaves exactly
  // once, each caller's new requests leave in arrival order, and no bulk
  // request leaves while an interactive one waits.
  auto weights = CallerWeights::Parse("a 3\nb 0.5\n");
  ASSERT_TRUE(weights.ok());
  FairQueue queue(*weights);
  std::mt19937 random(20261202);
  const std::vector<std::string> callers = {"a", "b", "c", ""};
  struct Info {
    std::string caller;
    Priority priority;
    bool retry;
  };
  std::map<FairQueue::Ticket, Info> waiting;
  std::map<std::pair<std::string, Priority>, FairQueue::Ticket> last_left;
  FairQueue::Ticket next = 0;
  const absl::Time t0 = absl::UnixEpoch();
  absl::Time now = t0;
  for (int step = 0; step < 20000; ++step) {
    const int op = random() % 10;
    if (op < 5) {
      const Info info{
          callers[random() % callers.size()],
          random() % 3 == 0 ? Priority::kBulk : Priority::kInteractive,
          random() % 10 == 0};
      const FairQueue::Ticket ticket = ++next;
      const absl::Time deadline = now + absl::Seconds(random() % 50 + 1);
      const size_t position =
          queue.PositionOf({info.caller, info.priority}, info.retry);
      ASSERT_LE(position, queue.size());
      queue.Push({info.caller, info.priority}, info.retry,
                 {ticket, deadline, [](absl::Status) {}});
      waiting[ticket] = info;
    } else if (op < 8 && !queue.empty()) {
      const FairQueue::Ticket ticket = queue.Pop().ticket;
      ASSERT_EQ(waiting.count(ticket), 1u);
      const Info info = waiting[ticket];
      waiting.erase(ticket);
      if (info.priority == Priority::kBulk) {
        ASSERT_EQ(queue.size(Priority::kInteractive), 0u);
      }
      if (!info.retry) {
        auto& last = last_left[{info.caller, info.priority}];
        ASSERT_GT(ticket, last) << "out of order for " << info.caller;
        last = ticket;
      }
    } else if (op == 8 && !waiting.empty()) {
      auto it = waiting.begin();
      std::advance(it, random() % waiting.size());
      ASSERT_TRUE(queue.Remove(it->first).has_value());
      waiting.erase(it);
    } else {
      now += absl::Seconds(1);
      for (const FairQueue::Entry& e : queue.RemoveExpired(now)) {
        ASSERT_EQ(waiting.erase(e.ticket), 1u);
      }
    }
    ASSERT_EQ(queue.size(), waiting.size());
  }
  while (!queue.empty()) waiting.erase(queue.Pop().ticket);
  EXPECT_TRUE(waiting.empty());
}

}  // namespace
}  // namespace userimage
