#include "server/trace/trace_context.h"

#include <string>

#include "gtest/gtest.h"
#include "tests/testing/fake_time.h"

namespace userimage {
namespace {

constexpr char kTraceId[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kParent[] = "00f067aa0ba902b7";

std::string Header(const std::string& version, const std::string& trace_id,
                   const std::string& parent, const std::string& flags) {
  return version + "-" + trace_id + "-" + parent + "-" + flags;
}

class TraceContextTest : public ::testing::Test {
 protected:
  FakeRandom random_{{0.25, 0.5, 0.75}};
};

TEST_F(TraceContextTest, ContinuesTheCallersTraceWithASpanOfItsOwn) {
  const TraceContext trace = ContinueTrace(
      Header("00", kTraceId, kParent, "01"), "congo=t61rcWkgMzE", random_);
  EXPECT_EQ(trace.trace_id, kTraceId);
  EXPECT_EQ(trace.parent_id, kParent);
  EXPECT_EQ(trace.span_id.size(), 16u);
  EXPECT_NE(trace.span_id, kParent);
  EXPECT_EQ(trace.flags, 1);
  EXPECT_EQ(trace.tracestate, "congo=t61rcWkgMzE");
  EXPECT_EQ(trace.Traceparent(), Header("00", kTraceId, trace.span_id, "01"));
}

TEST_F(TraceContextTest, KeepsOnlyTheSampledFlagOfVersion00) {
  EXPECT_EQ(
      ContinueTrace(Header("00", kTraceId, kParent, "00"), "", random_).flags,
      0);
  EXPECT_EQ(
      ContinueTrace(Header("00", kTraceId, kParent, "ff"), "", random_).flags,
      1);
}

TEST_F(TraceContextTest, ALaterVersionIsReadAsFarAsVersion00Goes) {
  const TraceContext trace = ContinueTrace(
      Header("01", kTraceId, kParent, "01") + "-what-comes-next", "", random_);
  EXPECT_EQ(trace.trace_id, kTraceId);
  EXPECT_EQ(trace.parent_id, kParent);
  EXPECT_EQ(trace.Traceparent().substr(0, 3), "00-");
}

TEST_F(TraceContextTest, AMalformedTraceparentStartsANewTrace) {
  const std::string zeros32(32, '0');
  const std::string zeros16(16, '0');
  for (const std::string& bad : {
           std::string(""),
           std::string("garbage"),
           Header("00", "4BF92F3577B34DA6A3CE929D0E0E4736", kParent, "01"),
           Header("00", zeros32, kParent, "01"),
           Header("00", kTraceId, zeros16, "01"),
           Header("ff", kTraceId, kParent, "01"),
           Header("00", kTraceId, kParent, "01") + "-extra",
           Header("01", kTraceId, kParent, "01") + "extra",
           Header("0x", kTraceId, kParent, "01"),
           Header("00", kTraceId, kParent, "0g"),
           std::string("00_") + kTraceId + "-" + kParent + "-01",
           Header("00", std::string(kTraceId).substr(1), kParent, "01"),
       }) {
    const TraceContext trace = ContinueTrace(bad, "congo=x", random_);
    EXPECT_NE(trace.trace_id, kTraceId) << bad;
    EXPECT_EQ(trace.trace_id.size(), 32u) << bad;
    EXPECT_NE(trace.trace_id, zeros32) << bad;
    EXPECT_TRUE(trace.parent_id.empty()) << bad;
    EXPECT_EQ(trace.span_id.size(), 16u) << bad;
    EXPECT_EQ(trace.flags, 1) << bad;  // Started here: sampled.
    // A tracestate without a valid traceparent is not passed on.
    EXPECT_TRUE(trace.tracestate.empty()) << bad;
  }
}

TEST_F(TraceContextTest, AMalformedTracestateIsDroppedNotTheTrace) {
  const std::string header = Header("00", kTraceId, kParent, "01");
  for (const std::string& bad :
       {std::string("novalue"), std::string("=v"), std::string("k="),
        std::string(513, 'a'), std::string("k=v\n"), [] {
          std::string many;
          for (int i = 0; i < 33; ++i) many += "k" + std::to_string(i) + "=v,";
          return many;
        }()}) {
    const TraceContext trace = ContinueTrace(header, bad, random_);
    EXPECT_EQ(trace.trace_id, kTraceId) << bad;
    EXPECT_TRUE(trace.tracestate.empty()) << bad;
  }
  EXPECT_EQ(ContinueTrace(header, "a=1, b=2,", random_).tracestate,
            "a=1, b=2,");
}

TEST_F(TraceContextTest, SpanIdsDiffer) {
  const std::string header = Header("00", kTraceId, kParent, "01");
  EXPECT_NE(ContinueTrace(header, "", random_).span_id,
            ContinueTrace(header, "", random_).span_id);
}

}  // namespace
}  // namespace userimage
