#include "server/clerk/user_lanes.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace userimage {
namespace {

// Records what it was told; leaves the line when superseded while waiting,
// as a real member finishes.
class Recorder : public UserLanes::Member {
 public:
  Recorder(std::vector<std::string>& log, std::string name)
      : log_(log), name_(std::move(name)) {}
  void OnTurn() override { log_.push_back(name_ + " turn"); }
  void OnSuperseded() override { log_.push_back(name_ + " superseded"); }

 private:
  std::vector<std::string>& log_;
  const std::string name_;
};

TEST(UserLanesTest, OneActiveAtATimeInArrivalOrder) {
  UserLanes lanes;
  std::vector<std::string> log;
  auto a = std::make_shared<Recorder>(log, "a");
  auto b = std::make_shared<Recorder>(log, "b");
  auto c = std::make_shared<Recorder>(log, "c");
  lanes.Enter("user_1", a);
  lanes.Enter("user_1", b);
  lanes.Enter("user_1", c);
  EXPECT_EQ(log, (std::vector<std::string>{"a turn", "a superseded",
                                           "b superseded", "a superseded"}));
  log.clear();
  lanes.Leave("user_1", b.get());  // No longer in the line: nothing.
  EXPECT_TRUE(log.empty());
  lanes.Leave("user_1", a.get());
  EXPECT_EQ(log, (std::vector<std::string>{"c turn"}));
  lanes.Leave("user_1", c.get());
  EXPECT_EQ(lanes.lines(), 0u);
}

TEST(UserLanesTest, UsersHaveTheirOwnLines) {
  UserLanes lanes;
  std::vector<std::string> log;
  auto a = std::make_shared<Recorder>(log, "a");
  auto b = std::make_shared<Recorder>(log, "b");
  lanes.Enter("user_1", a);
  lanes.Enter("user_2", b);
  EXPECT_EQ(log, (std::vector<std::string>{"a turn", "b turn"}));
  EXPECT_EQ(lanes.lines(), 2u);
  lanes.Leave("user_1", a.get());
  lanes.Leave("user_2", b.get());
  EXPECT_EQ(lanes.lines(), 0u);
}

TEST(UserLanesTest, AWaitingMemberThatLeavesIsForgotten) {
  UserLanes lanes;
  std::vector<std::string> log;
  auto a = std::make_shared<Recorder>(log, "a");
  auto b = std::make_shared<Recorder>(log, "b");
  lanes.Enter("user_1", a);
  lanes.Enter("user_1", b);
  lanes.Leave("user_1", b.get());  // e.g. cancelled while waiting
  log.clear();
  lanes.Leave("user_1", a.get());
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(lanes.lines(), 0u);
}

}  // namespace
}  // namespace userimage
