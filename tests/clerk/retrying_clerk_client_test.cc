#include "server/clerk/retrying_clerk_client.h"

#include <optional>

#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/app/clerk_delivery.h"
#include "server/status/status_details.h"
#include "tests/testing/clerk_answers.h"
#include "tests/testing/fake_http_client.h"
#include "tests/testing/fake_time.h"
#include "tests/testing/metrics_scrape.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::User;

AssembledImage Image(std::string user_id = "user_1") {
  AssembledImage image;
  image.user_id = std::move(user_id);
  image.filename = "a.png";
  image.content_type = "image/png";
  image.bytes = std::make_shared<const std::string>("\x89PNG\r\n\x1A\n");
  return image;
}

std::string Attempts(const absl::Status& s) {
  auto info = GetDetail<google::rpc::ErrorInfo>(s);
  return info ? info->metadata().at("attempts") : "";
}

class RetryingClerkClientTest : public ::testing::Test {
 protected:
  // Starts an upload; the result lands in result_.
  std::shared_ptr<RetryingClerkClient::Operation> Upload(
      absl::Time deadline = absl::InfiniteFuture()) {
    return client_.UploadProfileImage(Image(), deadline,
                                      [this](ClerkOutcome o) {
                                        outcome_ = o;
                                        result_ = std::move(o.user);
                                      });
  }

  FakeHttpClient http_;
  FakeTime time_;
  FakeRandom random_{{0.5}};
  Metrics metrics_;
  ClerkDelivery delivery_{
      {.clerk = {.api_url = "http://clerk.test", .secret_key = "sk"},
       .gate = {.quota = 100, .window = absl::Seconds(10), .pacing = false},
       .retry = {.max_attempts = 4,
                 .backoff = {.base = absl::Milliseconds(100),
                             .cap = absl::Seconds(5)}}},
      http_,
      time_,
      time_,
      random_,
      metrics_};
  RateGate& gate_ = delivery_.gate();
  RetryBudget& budget_ = delivery_.budget();
  RetryingClerkClient& client_ = delivery_.client();
  std::optional<absl::StatusOr<User>> result_;
  ClerkOutcome outcome_;
};

TEST(IsRetryableTest, FollowsTheRetryPolicy) {
  auto answered = [](int http) {
    ClerkOutcome outcome{absl::UnknownError("x"), ClerkFailure::kAnswered};
    outcome.http_status = http;
    return outcome;
  };
  for (int http : {429, 500, 502, 503, 504})
    EXPECT_TRUE(IsRetryable(answered(http)));
  for (int http : {400, 401, 403, 404, 409, 413, 422, 501}) {
    EXPECT_FALSE(IsRetryable(answered(http))) << http;
  }
  EXPECT_TRUE(IsRetryable(
      {absl::UnavailableError("refused"), ClerkFailure::kUnreachable}));
  EXPECT_FALSE(
      IsRetryable({absl::CancelledError("aborted"), ClerkFailure::kAborted}));
  EXPECT_FALSE(IsRetryable(
      {absl::InternalError("not a User"), ClerkFailure::kInvalidAnswer}));
  EXPECT_FALSE(IsRetryable(
      {absl::DeadlineExceededError("late"), ClerkFailure::kNotSent}));
}

TEST_F(RetryingClerkClientTest, RetriesServerErrorsAfterJitteredBackoff) {
  http_.Push(ClerkAnswer(503));
  http_.Push(ClerkAnswer(500));
  http_.Push(ClerkAnswer(200));
  Upload();
  EXPECT_EQ(http_.requests().size(), 1);
  EXPECT_FALSE(result_.has_value());
  // First retry: 0.5 * 100 ms; second: 0.5 * 200 ms.
  time_.Advance(absl::Milliseconds(49));
  EXPECT_EQ(http_.requests().size(), 1);
  time_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(http_.requests().size(), 2);
  time_.Advance(absl::Milliseconds(100));
  EXPECT_EQ(http_.requests().size(), 3);
  ASSERT_TRUE(result_.has_value());
  EXPECT_TRUE(result_->ok()) << result_->status();
  EXPECT_EQ(outcome_.attempts, 3);
  EXPECT_EQ(outcome_.http_status, 200);
}

TEST_F(RetryingClerkClientTest, AnUnverifiableClerkIsNotRetried) {
  http_.Push(absl::FailedPreconditionError("certificate verify failed"));
  http_.Push(ClerkAnswer(200));
  Upload();
  time_.Advance(absl::Seconds(30));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(GetDetail<google::rpc::ErrorInfo>(result_->status())->reason(),
            kClerkTlsUnverified);
  EXPECT_EQ(http_.requests().size(), 1);
  EXPECT_EQ(outcome_.attempts, 1);
}

TEST_F(RetryingClerkClientTest, TooManyRequestsPausesEveryoneForRetryAfter) {
  http_.Push(ClerkAnswer(429, {{"retry-after", "2"}}));
  http_.Push(ClerkAnswer(200));
  http_.Push(ClerkAnswer(200));
  Upload();
  EXPECT_EQ(gate_.paused_until(), time_.Now() + absl::Seconds(2));
  // Another user's request arriving during the pause waits too.
  std::optional<absl::StatusOr<User>> other;
  client_.UploadProfileImage(
      Image("user_2"), absl::InfiniteFuture(),
      [&](ClerkOutcome o) { other = std::move(o.user); });
  EXPECT_EQ(http_.requests().size(), 1);
  time_.Advance(absl::Milliseconds(1999));
  EXPECT_EQ(http_.requests().size(), 1);
  time_.Advance(absl::Milliseconds(1));
  ASSERT_TRUE(other.has_value());  // Released when the pause ended.
  EXPECT_TRUE(other->ok());
  // The one that got the 429 waits Retry-After plus jitter: 2 s * 1.25.
  EXPECT_FALSE(result_.has_value());
  time_.Advance(absl::Milliseconds(500));
  ASSERT_TRUE(result_.has_value());
  EXPECT_TRUE(result_->ok());
}

TEST_F(RetryingClerkClientTest, TooManyRequestsWithoutRetryAfterStillPauses) {
  http_.Push(ClerkAnswer(429));
  http_.Push(ClerkAnswer(200));
  Upload();
  EXPECT_EQ(gate_.paused_until(), time_.Now() + absl::Seconds(1));
  time_.Advance(absl::Seconds(1));
  ASSERT_TRUE(result_.has_value());
  EXPECT_TRUE(result_->ok());
  EXPECT_EQ(http_.requests().size(), 2);
}

TEST_F(RetryingClerkClientTest, NeverRetriesOtherClientErrors) {
  http_.Push(ClerkAnswer(422));
  Upload();
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Attempts(result_->status()), "1");
  EXPECT_EQ(http_.requests().size(), 1);
  EXPECT_EQ(time_.pending(), 0);
}

TEST_F(RetryingClerkClientTest, RetriesConnectionFailures) {
  http_.Push(absl::UnavailableError("Connection refused"));
  http_.Push(ClerkAnswer(200));
  Upload();
  time_.Advance(absl::Seconds(1));
  ASSERT_TRUE(result_.has_value());
  EXPECT_TRUE(result_->ok());
}

TEST_F(RetryingClerkClientTest, GivesUpAfterMaxAttemptsWithRetryInfo) {
  for (int i = 0; i < 4; ++i) http_.Push(ClerkAnswer(503));
  Upload();
  time_.Advance(absl::Minutes(1));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Attempts(result_->status()), "4");
  EXPECT_TRUE(GetDetail<google::rpc::RetryInfo>(result_->status()).has_value());
  EXPECT_EQ(http_.requests().size(), 4);
}

TEST_F(RetryingClerkClientTest, NoWaitEndsPastTheDeadline) {
  http_.Push(ClerkAnswer(429, {{"retry-after", "30"}}));
  Upload(time_.Now() + absl::Seconds(10));
  // Answered at once: waiting 30 s would overrun the 10 s deadline.
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kResourceExhausted);
  auto retry = GetDetail<google::rpc::RetryInfo>(result_->status());
  ASSERT_TRUE(retry.has_value());
  EXPECT_GE(retry->retry_delay().seconds(), 30);
  EXPECT_EQ(http_.requests().size(), 1);
}

TEST_F(RetryingClerkClientTest, ADayLongRetryAfterIsCappedEverywhere) {
  // Seconds and HTTP-date forms alike: the pause of every request, the
  // retry delay and the RetryInfo never exceed --clerk_max_retry_after
  // (60 s by default), measured from when the 429 arrived.
  const std::string tomorrow =
      absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                       time_.Now() + absl::Hours(24), absl::UTCTimeZone());
  for (const std::string& header : {std::string("86400"), tomorrow}) {
    result_.reset();
    http_.Push(ClerkAnswer(429, {{"retry-after", header}}));
    const absl::Time sent = time_.Now();
    Upload(sent + absl::Seconds(30));  // A deadline inside the cap.
    ASSERT_TRUE(result_.has_value()) << header;
    EXPECT_LE(gate_.paused_until(), sent + absl::Seconds(60)) << header;
    EXPECT_GT(gate_.paused_until(), sent) << header;
    auto retry = GetDetail<google::rpc::RetryInfo>(result_->status());
    ASSERT_TRUE(retry.has_value()) << header;
    EXPECT_LE(retry->retry_delay().seconds(), 60) << header;
    // Later uploads wait for the capped pause, not for a day.
    time_.Advance(absl::Seconds(61));
    http_.Push(ClerkAnswer(200));
    result_.reset();
    Upload(time_.Now() + absl::Seconds(30));
    ASSERT_TRUE(result_.has_value()) << header;
    EXPECT_TRUE(result_->ok()) << header << ": " << result_->status();
  }
}

TEST_F(RetryingClerkClientTest, CancelStopsWaitingAtOnce) {
  http_.Push(ClerkAnswer(503));
  auto operation = Upload();
  EXPECT_FALSE(result_.has_value());
  operation->Cancel();
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kCancelled);
  time_.Advance(absl::Minutes(1));
  EXPECT_EQ(http_.requests().size(), 1);
}

TEST_F(RetryingClerkClientTest, CancelWhileWaitingForTheGate) {
  gate_.PauseUntil(time_.Now() + absl::Seconds(5));
  auto operation = Upload();
  operation->Cancel();
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kCancelled);
  time_.Advance(absl::Seconds(10));
  EXPECT_TRUE(http_.requests().empty());
}

TEST_F(RetryingClerkClientTest, RetryBudgetStopsRetryStorms) {
  // The reserve spent (and this request's deposit with it): no retry.
  while (budget_.TryWithdraw()) {
  }
  http_.Push(ClerkAnswer(503));
  Upload();
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Attempts(result_->status()), "1");
  EXPECT_EQ(ScrapeMetric(metrics_, "userimage_clerk_retries_throttled_total"),
            1);
}

std::string MaybeApplied(const absl::Status& s) {
  auto info = GetDetail<google::rpc::ErrorInfo>(s);
  if (!info) return "";
  auto it = info->metadata().find("maybe_applied");
  return it == info->metadata().end() ? "" : it->second;
}

TEST_F(RetryingClerkClientTest, AFinalErrorAfterAnAmbiguousAttemptSaysSo) {
  // A gateway timeout, then a request cut off after it was sent: either
  // may have been applied by Clerk, and the caller is told.
  http_.Push(ClerkAnswer(504));
  http_.Push(HttpResult(absl::UnavailableError("Connection reset by peer"),
                        /*sent=*/true));
  http_.Push(ClerkAnswer(503));
  http_.Push(ClerkAnswer(503));
  Upload();
  time_.Advance(absl::Seconds(10));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(result_->status().message().find("may already have applied"),
            std::string::npos)
      << result_->status();
  EXPECT_EQ(MaybeApplied(result_->status()), "true");
  EXPECT_EQ(Attempts(result_->status()), "4");
  EXPECT_TRUE(outcome_.maybe_applied);
}

TEST_F(RetryingClerkClientTest, FailuresClerkCannotHaveAppliedSayNothingOfIt) {
  for (int i = 0; i < 4; ++i) http_.Push(ClerkAnswer(503));
  Upload();
  time_.Advance(absl::Seconds(10));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(result_->status().message().find("may already have applied"),
            std::string::npos);
  EXPECT_EQ(MaybeApplied(result_->status()), "");
  EXPECT_FALSE(outcome_.maybe_applied);
  // A connection refused is not marked sent: nothing was applied.
  result_.reset();
  absl::Status refused = absl::UnavailableError("Connection refused");
  for (int i = 0; i < 4; ++i) http_.Push(refused);
  Upload();
  time_.Advance(absl::Seconds(10));
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(MaybeApplied(result_->status()), "");
}

TEST_F(RetryingClerkClientTest, AnOversizedAnswerIsNotRetried) {
  http_.Push(absl::OutOfRangeError("the response body is too large"));
  http_.Push(ClerkAnswer(200));
  Upload();
  ASSERT_TRUE(result_.has_value());
  EXPECT_EQ(result_->status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(http_.requests().size(), 1u);
}

TEST_F(RetryingClerkClientTest, RateLimitedRetriesAreNotSpentFromTheBudget) {
  while (budget_.TryWithdraw()) {
  }
  http_.Push(ClerkAnswer(429, {{"retry-after", "1"}}));
  http_.Push(ClerkAnswer(200));
  Upload();
  time_.Advance(absl::Seconds(2));
  ASSERT_TRUE(result_.has_value());
  EXPECT_TRUE(result_->ok()) << result_->status();
  EXPECT_EQ(outcome_.attempts, 2);
}

// Isolated blips on a quiet service: every one is retried, whatever its
// kind, however many came before.
TEST_F(RetryingClerkClientTest, EveryOneOffFailureOnAQuietServiceIsRetried) {
  const int kinds[] = {503, 500, 502, 429};
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    http_.Push(ClerkAnswer(kinds[i % 4]));
    http_.Push(ClerkAnswer(200));
    result_.reset();
    Upload();
    time_.Advance(absl::Seconds(1));
    ASSERT_TRUE(result_.has_value());
    EXPECT_TRUE(result_->ok()) << result_->status();
    EXPECT_EQ(outcome_.attempts, 2);
  }
}

// A total outage: retries add a bounded fraction of the requests, whether
// the calls come together or one after another.
TEST_F(RetryingClerkClientTest, InAnOutageRetriesStayWithinHalfTheCalls) {
  for (bool together : {true, false}) {
    SCOPED_TRACE(together ? "together" : "one after another");
    FakeTime time;
    FakeHttpClient http;
    for (int i = 0; i < 1000; ++i) http.Push(ClerkAnswer(503));
    ClerkDelivery delivery(
        {.clerk = {.api_url = "http://clerk.test", .secret_key = "sk"},
         .gate = {.quota = 100000, .window = absl::Seconds(10)}},
        http, time, time, random_, metrics_);
    RetryingClerkClient& client = delivery.client();
    int finished = 0;
    for (int call = 0; call < 100; ++call) {
      client.UploadProfileImage(Image(absl::StrCat("user_", call)),
                                absl::InfiniteFuture(),
                                [&](ClerkOutcome) { ++finished; });
      if (!together) {
        while (finished <= call) time.Advance(absl::Milliseconds(10));
      }
    }
    while (finished < 100) time.Advance(absl::Milliseconds(10));
    EXPECT_LE(http.requests().size(), 150);
    EXPECT_GT(http.requests().size(), 100);  // Some were retried.
  }
}

}  // namespace
}  // namespace userimage
