#include "server/retry/retry_after.h"

#include "gtest/gtest.h"

namespace userimage {
namespace {

// Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date.
const absl::Time kDate = absl::FromUnixSeconds(784111777);

TEST(ParseRetryAfterTest, DelaySeconds) {
  EXPECT_EQ(ParseRetryAfter("2", kDate), absl::Seconds(2));
  EXPECT_EQ(ParseRetryAfter(" 120 ", kDate), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter("0", kDate), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("1.5", kDate), absl::Milliseconds(1500));
}

TEST(ParseRetryAfterTest, HttpDatesInAllThreeForms) {
  const absl::Time now = kDate - absl::Seconds(30);
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now),
            absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now),
            absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:37 1994", now),
            absl::Seconds(30));
}

TEST(ParseRetryAfterTest, PastDateMeansNow) {
  EXPECT_EQ(
      ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kDate + absl::Hours(1)),
      absl::ZeroDuration());
}

TEST(ParseRetryAfterTest, GarbageIsRejected) {
  for (const char* bad :
       {"", "   ", "-1", "-0.5", "soon", "12abc", "1e3", "0x10", "99999999999",
        "Sun, 06 Nov 1994", "Sun, 32 Nov 1994 08:49:37 GMT", "NaN", "inf"}) {
    EXPECT_EQ(ParseRetryAfter(bad, kDate), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace userimage
