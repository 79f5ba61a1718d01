#include "tools/bench/load_plan.h"

#include "gtest/gtest.h"

namespace clerk::userimage::bench {
namespace {

TEST(LoadPlanTest, ShapesParseByName) {
  for (LoadShape shape :
       {LoadShape::kClosed, LoadShape::kOpen, LoadShape::kBurst}) {
    EXPECT_EQ(ParseLoadShape(LoadShapeName(shape)).value(), shape);
  }
  EXPECT_FALSE(ParseLoadShape("sideways").ok());
}

TEST(LoadPlanTest, AnOpenLoopArrivesOnAFixedSchedule) {
  LoadPlan plan{
      .shape = LoadShape::kOpen, .rate = 4, .duration = absl::Seconds(10)};
  EXPECT_EQ(plan.OpenArrivals(), 40);
  EXPECT_EQ(plan.OpenArrival(0), absl::ZeroDuration());
  EXPECT_EQ(plan.OpenArrival(1), absl::Milliseconds(250));
  EXPECT_EQ(plan.OpenArrival(39), absl::Milliseconds(9750));
}

TEST(LoadPlanTest, RecordsSurviveTheirTextForm) {
  LoadRecords records;
  records.calls = {{absl::Milliseconds(1), absl::Milliseconds(5), true},
                   {absl::Milliseconds(2), absl::Milliseconds(900), false}};
  records.max_in_flight = 7;
  records.AddError("UNAVAILABLE: Clerk is down");
  records.AddError("UNAVAILABLE: Clerk is down");
  records.cpu = absl::Milliseconds(1500);
  const absl::StatusOr<LoadRecords> parsed =
      ParseRecords(FormatRecords(records));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->calls.size(), 2u);
  EXPECT_EQ(parsed->calls[1].finished, absl::Milliseconds(900));
  EXPECT_FALSE(parsed->calls[1].ok);
  EXPECT_TRUE(parsed->calls[0].ok);
  EXPECT_EQ(parsed->max_in_flight, 7);
  EXPECT_EQ(parsed->errors, records.errors);
  EXPECT_EQ(parsed->cpu, absl::Milliseconds(1500));
  EXPECT_FALSE(ParseRecords("call x y z").ok());
}

}  // namespace
}  // namespace clerk::userimage::bench
