// Fair share of Clerk's quota between callers, through the real server and
// the emulator: a light caller's uploads are not stuck behind a heavy
// caller's backlog, a caller over --max_queued_per_caller is refused with
// CALLER_QUEUE_FULL and a RetryInfo, an unknown priority is refused, and
// the per-caller metrics say who waited and who was sent.

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/user_image_client.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/metrics_scrape.h"
#include "tests/testing/rpc_details.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

constexpr char kBatchToken[] = "tok_batch_0123456789abcdef";
constexpr char kWebToken[] = "tok_web_0123456789abcdefgh";

class FairShareTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> flags) {
    std::ofstream(TestTempPath("tokens"))
        << "batch " << kBatchToken << "\nweb " << kWebToken << "\n";
    flags.push_back("--bearer_tokens_file=" + TestTempPath("tokens"));
    auto deployment = LocalDeployment::Start(flags);
    ASSERT_TRUE(deployment.ok()) << deployment.status();
    deployment_ = *std::move(deployment);
  }
  std::unique_ptr<UserImageClient> Client(const char* token) {
    return std::make_unique<UserImageClient>(
        grpc::CreateChannel(deployment_->server_address(),
                            grpc::InsecureChannelCredentials()),
        token);
  }
  double Metric(const std::string& name) {
    return ScrapeMetric(deployment_->metrics_port(), name);
  }
  // Waits (polling the server's own gauge) until `caller` has `n` requests
  // waiting at the gate.
  void AwaitQueued(const std::string& caller, double n) {
    const std::string name = absl::StrCat(
        "userimage_caller_queued_requests{caller=\"", caller, "\"}");
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    while (Metric(name) < n && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_GE(Metric(name), n);
  }

  std::unique_ptr<LocalDeployment> deployment_;
};

// Uploads for distinct load users on threads of their own.
class Uploads {
 public:
  Uploads(UserImageClient& client, int first_user, int n,
          std::atomic<int>* done = nullptr) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this, &client, done, user = first_user + i] {
        UploadOptions options;
        options.user_id = LocalDeployment::LoadUser(user);
        options.timeout = absl::Seconds(120);
        absl::Status status =
            client.UploadProfileImage(options, TestPng(32)).status();
        if (done != nullptr) done->fetch_add(1);
        absl::MutexLock lock(&mu_);
        statuses_.push_back(std::move(status));
      });
    }
  }
  std::vector<absl::Status> Join() {
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    absl::MutexLock lock(&mu_);
    return statuses_;
  }
  ~Uploads() { Join(); }

 private:
  std::vector<std::thread> threads_;
  absl::Mutex mu_;
  std::vector<absl::Status> statuses_;
};

TEST_F(FairShareTest, ALightCallerIsNotBehindAHeavyCallersBacklog) {
  // 10 per second: batch's 30 need about 3 s, web's 3 about 0.6 s of it.
  Start({"--clerk_rate_limit=10", "--clerk_rate_window=1s"});
  auto batch_client = Client(kBatchToken);
  auto web_client = Client(kWebToken);
  std::atomic<int> batch_done{0};
  Uploads batch(*batch_client, 0, 30, &batch_done);
  AwaitQueued("batch", 20);
  Uploads web(*web_client, 100, 3);
  for (const absl::Status& s : web.Join()) EXPECT_TRUE(s.ok()) << s;
  // First come, first served would have finished every batch upload first.
  EXPECT_LE(batch_done.load(), 20);
  for (const absl::Status& s : batch.Join()) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(Metric("userimage_caller_sent_total{caller=\"web\"}"), 3);
  EXPECT_EQ(Metric("userimage_caller_sent_total{caller=\"batch\"}"), 30);
  EXPECT_EQ(Metric("userimage_caller_queued_requests"), 0);
  EXPECT_EQ(Metric("userimage_caller_gate_wait_seconds_count{caller=\"web\"}"),
            3);
  EXPECT_EQ(deployment_->Requests().values_size(), 33);
}

TEST_F(FairShareTest, ARunawayCallerIsToldToSlowDown) {
  Start({"--clerk_rate_limit=10", "--clerk_rate_window=1s",
         "--max_queued_per_caller=5"});
  auto batch_client = Client(kBatchToken);
  auto web_client = Client(kWebToken);
  Uploads batch(*batch_client, 0, 20);
  AwaitQueued("batch", 5);
  Uploads web(*web_client, 100, 2);
  for (const absl::Status& s : web.Join()) EXPECT_TRUE(s.ok()) << s;
  int ok = 0;
  int refused = 0;
  for (const absl::Status& s : batch.Join()) {
    if (s.ok()) {
      ++ok;
      continue;
    }
    ++refused;
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
    auto info = RpcDetail<google::rpc::ErrorInfo>(s);
    ASSERT_TRUE(info.has_value()) << s;
    EXPECT_EQ(info->reason(), "CALLER_QUEUE_FULL");
    EXPECT_EQ(info->metadata().at("caller"), "batch");
    auto retry = RpcDetail<google::rpc::RetryInfo>(s);
    ASSERT_TRUE(retry.has_value()) << s;
    EXPECT_LE(retry->retry_delay().seconds(), 1);  // one place frees soon
  }
  EXPECT_GE(refused, 1);
  EXPECT_EQ(ok + refused, 20);
  EXPECT_EQ(Metric("userimage_caller_refused_total{caller=\"batch\"}"),
            refused);
  EXPECT_EQ(Metric("userimage_caller_refused_total{caller=\"web\"}"), 0);
  // Nothing refused reached Clerk.
  EXPECT_EQ(deployment_->Requests().values_size(), ok + 2);
}

TEST_F(FairShareTest, AnUnknownPriorityIsRefusedBeforeAnythingIsSent) {
  Start({});
  auto stub =
      clerk::userimage::v1::UserImageService::NewStub(grpc::CreateChannel(
          deployment_->server_address(), grpc::InsecureChannelCredentials()));
  const auto unknown = static_cast<clerk::userimage::v1::Priority>(7);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kWebToken));
    clerk::userimage::v1::DeleteProfileImageRequest request;
    request.set_user_id("user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
    request.set_priority(unknown);
    clerk::userimage::v1::User user;
    grpc::Status status = stub->DeleteProfileImage(&context, request, &user);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("priority 7"), std::string::npos)
        << status.error_message();
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", absl::StrCat("Bearer ", kWebToken));
    clerk::userimage::v1::User user;
    auto writer = stub->UploadProfileImage(&context, &user);
    clerk::userimage::v1::UploadProfileImageRequest metadata;
    metadata.mutable_metadata()->set_user_id(
        "user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
    metadata.mutable_metadata()->set_priority(unknown);
    writer->Write(metadata);  // The server may already have answered.
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_NE(status.error_message().find("metadata.priority 7"),
              std::string::npos)
        << status.error_message();
  }
  EXPECT_EQ(deployment_->Requests().values_size(), 0);
  // A bulk upload with the quota free goes at once.
  UploadOptions options;
  options.user_id = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
  options.priority = clerk::userimage::v1::PRIORITY_BULK;
  auto user = Client(kWebToken)->UploadProfileImage(options, TestPng(32));
  EXPECT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(deployment_->Requests().values_size(), 1);
}

}  // namespace
}  // namespace userimage
