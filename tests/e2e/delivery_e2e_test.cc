// End to end against the emulator's fault injection and rate limit: 429s
// with and without Retry-After, bursts of 5xx, connection resets, and a
// burst of uploads under a small quota. Each case ends in success or in
// the documented status with its details.

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/status_from_grpc.h"
#include "client/user_image_client.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/rpc_details.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;
using ::clerk::userimage::v1::User;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";

std::string Image() { return TestPng(508); }

// The statuses the emulator answered, in order.
std::vector<int> Answers(const LocalDeployment& d) {
  std::vector<int> statuses;
  const google::protobuf::ListValue requests = d.Requests();
  for (const auto& r : requests.values()) {
    statuses.push_back(static_cast<int>(
        r.struct_value().fields().at("status").number_value()));
  }
  return statuses;
}

class DeliveryEndToEndTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Short backoff keeps the test quick, and a large retry budget keeps
    // the faults of one test from throttling the retries of the next (the
    // budget has its own unit test).
    deployment_ = LocalDeployment::Start({"--clerk_backoff_base=50ms",
                                          "--retry_budget_min_per_second=1000"})
                      ->release();
  }
  static void TearDownTestSuite() { delete deployment_; }

  void SetUp() override {
    ASSERT_TRUE(deployment_->Control("reset"));
    client_ = std::make_unique<UserImageClient>(grpc::CreateChannel(
        deployment_->server_address(), grpc::InsecureChannelCredentials()));
  }

  absl::StatusOr<User> Upload(absl::Duration timeout = absl::Seconds(60)) {
    UploadOptions options;
    options.user_id = kUser;
    options.timeout = timeout;
    return client_->UploadProfileImage(options, Image());
  }

  static LocalDeployment* deployment_;
  std::unique_ptr<UserImageClient> client_;
};

LocalDeployment* DeliveryEndToEndTest::deployment_ = nullptr;

TEST_F(DeliveryEndToEndTest, TooManyRequestsWithRetryAfterIsRetried) {
  ASSERT_TRUE(deployment_->Control("faults?kind=429&retry_after=1"));
  absl::StatusOr<User> user = Upload();
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(Answers(*deployment_), std::vector<int>({429, 200}));
}

TEST_F(DeliveryEndToEndTest, TooManyRequestsWithoutRetryAfterIsRetried) {
  ASSERT_TRUE(deployment_->Control("faults?kind=429"));
  absl::StatusOr<User> user = Upload();
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(Answers(*deployment_), std::vector<int>({429, 200}));
}

TEST_F(DeliveryEndToEndTest, BurstOfServerErrorsAndResetsIsRidden) {
  ASSERT_TRUE(deployment_->Control("faults?kind=503"));
  ASSERT_TRUE(deployment_->Control("faults?kind=reset"));
  ASSERT_TRUE(deployment_->Control("faults?kind=502"));
  absl::StatusOr<User> user = Upload();
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_TRUE(user->has_image());
  EXPECT_EQ(Answers(*deployment_), std::vector<int>({503, 0, 502, 200}));
}

TEST_F(DeliveryEndToEndTest, PersistentOutageEndsUnavailableWithDetails) {
  ASSERT_TRUE(deployment_->Control("faults?kind=500&count=10"));
  absl::StatusOr<User> user = Upload();
  EXPECT_EQ(user.status().code(), absl::StatusCode::kUnavailable);
  auto info = RpcDetail<google::rpc::ErrorInfo>(user.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "internal_clerk_error");
  EXPECT_EQ(info->metadata().at("attempts"), "4");
  EXPECT_EQ(info->metadata().at("http_status"), "500");
  EXPECT_FALSE(info->metadata().at("clerk_trace_id").empty());
  EXPECT_TRUE(RpcDetail<google::rpc::RetryInfo>(user.status()).has_value());
  EXPECT_EQ(Answers(*deployment_).size(), 4);
}

// The server's peak resident memory (VmHWM), in bytes.
int64_t PeakRss(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  for (std::string text; std::getline(status, text);) {
    absl::string_view line = text;
    int64_t kib = 0;
    if (absl::ConsumePrefix(&line, "VmHWM:") &&
        absl::SimpleAtoi(
            absl::StripSuffix(absl::StripAsciiWhitespace(line), " kB"), &kib)) {
      return kib * 1024;
    }
  }
  return -1;
}

TEST_F(DeliveryEndToEndTest, AHugeAnswerIsDroppedAsItArrives) {
  ASSERT_TRUE(Upload().ok());  // Warm: buffers and pools at their size.
  const int64_t before = PeakRss(deployment_->server().pid());
  ASSERT_GT(before, 0);
  ASSERT_TRUE(deployment_->Control("faults?kind=200_huge"));
  absl::StatusOr<User> user = Upload();
  EXPECT_EQ(user.status().code(), absl::StatusCode::kInternal) << user.status();
  auto info = RpcDetail<google::rpc::ErrorInfo>(user.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "CLERK_RESPONSE_TOO_LARGE");
  EXPECT_EQ(info->metadata().at("attempts"), "1");  // Not retried.
  // 30 MB were answered; the server held at most its 1 MiB cap of them.
  const int64_t after = PeakRss(deployment_->server().pid());
  EXPECT_LT(after - before, 8 << 20) << before << " -> " << after;
}

TEST_F(DeliveryEndToEndTest, RetryAfterBeyondTheDeadlineFailsFast) {
  ASSERT_TRUE(deployment_->Control("faults?kind=429&retry_after=30"));
  absl::StatusOr<User> user = Upload(absl::Seconds(10));
  EXPECT_EQ(user.status().code(), absl::StatusCode::kResourceExhausted);
  auto retry = RpcDetail<google::rpc::RetryInfo>(user.status());
  ASSERT_TRUE(retry.has_value());
  EXPECT_GE(retry->retry_delay().seconds(), 30);
  EXPECT_EQ(Answers(*deployment_), std::vector<int>({429}));
  // The whole service is paused: the next upload fails fast too, without
  // a request to Clerk.
  EXPECT_EQ(Upload(absl::Seconds(5)).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Answers(*deployment_).size(), 1);
}

TEST(DeliveryQuotaTest, BurstUnderAQuotaIsPacedWithoutTooManyRequests) {
  // Clerk allows 6 requests per 2 s; the service knows it.
  auto deployment =
      LocalDeployment::Start({"--clerk_rate_limit=6", "--clerk_rate_window=2s"},
                             {"--rate_limit=6", "--rate_window=2s"});
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  UserImageClient client(grpc::CreateChannel(
      (*deployment)->server_address(), grpc::InsecureChannelCredentials()));
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(15);
  for (int i = 0; i < 15; ++i) {
    threads.emplace_back([&, i] {
      UploadOptions options;
      options.user_id = LocalDeployment::LoadUser(i);
      results[i] = client.UploadProfileImage(options, Image()).status();
    });
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  int too_many = 0;
  for (int status : Answers(**deployment)) too_many += status == 429;
  EXPECT_EQ(too_many, 0);
}

TEST(RetryBudgetFlagsTest, RemovedFlagsNameTheirReplacements) {
  for (const char* flag :
       {"--retry_budget_tokens=10", "--retry_budget_ratio=0.1"}) {
    absl::StatusOr<std::string> out =
        RunCommand(absl::StrCat("(", Runfile("server/user_image_server"), " ",
                                flag, " 2>&1)"),
                   "", TestTempPath("removed_flag.log"));
    ASSERT_FALSE(out.ok()) << flag;  // Start-up fails ...
    // ... saying what to use instead.
    EXPECT_NE(out.status().message().find("--retry_budget_percent"),
              std::string::npos)
        << out.status();
  }
}

}  // namespace
}  // namespace userimage
