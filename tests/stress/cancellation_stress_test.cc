// Callers that give up at every possible moment, against the server process
// with pacing on (and with the quota shared through a real Redis): each
// upload is cancelled at a random stage, or right after its half-close as a
// caller whose deadline or user gives up does. Afterwards the server still
// serves, every call got one status of the expected kinds, nothing is held
// (uploads in flight, memory budget, gate queue back to zero), and SIGTERM
// drains within --shutdown_grace, even with requests stuck at Clerk. Under
// --config=asan the server's exit status also reports sanitizer findings.

#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/metrics_scrape.h"
#include "tools/support/redis_server.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

constexpr size_t kChunk = 64 * 1024;
constexpr absl::Duration kGrace = absl::Seconds(3);

enum class CancelAt {
  kBeforeMetadata,
  kMidStream,
  kRightAfterHalfClose,  // 0-10 ms after it
  kWhileWaiting,  // 10-200 ms after it: at the gate, in backoff or at Clerk
  kNever,         // a 60 s deadline
  kNeverNoDeadline,
};

// Streams `image` and cancels at `when`; returns the call's status code.
grpc::StatusCode Upload(UserImageService::Stub& stub, const std::string& image,
                        CancelAt when, std::mt19937& random) {
  grpc::ClientContext context;
  if (when == CancelAt::kNever) {
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
  }
  User user;
  auto writer = stub.UploadProfileImage(&context, &user);
  if (when == CancelAt::kBeforeMetadata) {
    context.TryCancel();
    return writer->Finish().error_code();
  }
  UploadProfileImageRequest metadata;
  // A user of its own: requests for one user would wait for each other.
  static std::atomic<int> next_user{0};
  metadata.mutable_metadata()->set_user_id(
      LocalDeployment::LoadUser(next_user++));
  metadata.mutable_metadata()->set_filename("a.png");
  writer->Write(metadata);
  const size_t stop =
      when == CancelAt::kMidStream ? image.size() / 2 : image.size();
  for (size_t offset = 0; offset < stop; offset += kChunk) {
    UploadProfileImageRequest chunk;
    chunk.set_chunk(image.substr(offset, std::min(kChunk, stop - offset)));
    if (!writer->Write(chunk)) break;  // The server finished early.
  }
  if (when == CancelAt::kMidStream) {
    context.TryCancel();
    return writer->Finish().error_code();
  }
  writer->WritesDone();
  if (when == CancelAt::kRightAfterHalfClose ||
      when == CancelAt::kWhileWaiting) {
    // Load shape, not a timing assertion: when the caller gives up.
    const int max_ms = when == CancelAt::kRightAfterHalfClose ? 10 : 200;
    const int min_ms = when == CancelAt::kRightAfterHalfClose ? 0 : 10;
    absl::SleepFor(absl::Milliseconds(
        std::uniform_int_distribution<int>(min_ms, max_ms)(random)));
    context.TryCancel();
  }
  return writer->Finish().error_code();
}

// Runs `uploads` uploads from `parallel` callers; counts the status codes.
std::map<grpc::StatusCode, int> RunCallers(
    LocalDeployment& deployment, int uploads, int parallel,
    const std::function<std::string(int)>& image_for,
    const std::function<CancelAt(std::mt19937&)>& stage_for) {
  auto stub = UserImageService::NewStub(grpc::CreateChannel(
      deployment.server_address(), grpc::InsecureChannelCredentials()));
  std::atomic<int> next{0};
  absl::Mutex mu;
  std::map<grpc::StatusCode, int> codes;
  std::vector<std::thread> callers;
  for (int c = 0; c < parallel; ++c) {
    callers.emplace_back([&, c] {
      std::mt19937 random(c);
      for (int i = next++; i < uploads; i = next++) {
        const grpc::StatusCode code =
            Upload(*stub, image_for(i), stage_for(random), random);
        absl::MutexLock lock(&mu);
        ++codes[code];
      }
    });
  }
  for (auto& t : callers) t.join();
  return codes;
}

// Waits (bounded) until gauge `name` reads `value`.
bool EventuallyEquals(int metrics_port, const std::string& name, double value) {
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (absl::Now() < give_up) {
    if (ScrapeMetric(metrics_port, name) == value) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

class CancellationStressTest : public ::testing::TestWithParam<bool> {
 protected:
  // Starts Redis (for the shared variant), the emulator and the server.
  void Deploy(std::vector<std::string> extra_flags = {}) {
    std::vector<std::string> flags = {
        absl::StrCat("--shutdown_grace=", absl::FormatDuration(kGrace)),
        "--retry_budget_min_per_second=100000"};
    if (GetParam()) {
      auto redis = RedisServer::Start();
      ASSERT_TRUE(redis.ok()) << redis.status();
      redis_ = *std::move(redis);
      flags.push_back(
          absl::StrCat("--redis_address=127.0.0.1:", redis_->port()));
    }
    flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
    auto deployment = LocalDeployment::Start(flags, {"--latency=20ms"});
    ASSERT_TRUE(deployment.ok()) << deployment.status();
    deployment_ = *std::move(deployment);
  }

  // The server still serves, holds nothing, and drains within the grace.
  void ExpectServingHoldingNothingAndDraining() {
    auto stub = UserImageService::NewStub(grpc::CreateChannel(
        deployment_->server_address(), grpc::InsecureChannelCredentials()));
    std::mt19937 random(1);
    EXPECT_EQ(Upload(*stub, TestPng(5000), CancelAt::kNever, random),
              grpc::StatusCode::OK);
    const int metrics = deployment_->metrics_port();
    EXPECT_TRUE(EventuallyEquals(metrics, "userimage_uploads_in_flight", 0));
    EXPECT_TRUE(
        EventuallyEquals(metrics, "userimage_memory_budget_used_bytes", 0));
    EXPECT_TRUE(
        EventuallyEquals(metrics, "userimage_rate_gate_waiting_requests", 0));
    const absl::Time signalled = absl::Now();
    deployment_->server().Signal(SIGTERM);
    const int exit_status = deployment_->server().Wait();
    EXPECT_LT(absl::Now() - signalled, kGrace + absl::Seconds(10));
    EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
        << "server exit status " << exit_status
        << " (under --config=asan, a sanitizer report is in the test's log)";
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<LocalDeployment> deployment_;
};

TEST_P(CancellationStressTest, CancelRightAfterHalfCloseOf8MbImages) {
  // 400 uploads of an 8 MB PNG, 16 at a time, each cancelled 0-10 ms after
  // its half-close, with default pacing (100 requests per 10 s).
  ASSERT_NO_FATAL_FAILURE(Deploy());
  const std::string image = TestPng(8'000'000);
  auto codes = RunCallers(
      *deployment_, 400, 16, [&](int) { return image; },
      [](std::mt19937&) { return CancelAt::kRightAfterHalfClose; });
  int total = 0;
  for (const auto& [code, n] : codes) {
    total += n;
    EXPECT_TRUE(code == grpc::StatusCode::CANCELLED ||
                code == grpc::StatusCode::OK)
        << "status " << code << " x" << n;
  }
  EXPECT_EQ(total, 400);
  EXPECT_GT(codes[grpc::StatusCode::CANCELLED], 0);
  ExpectServingHoldingNothingAndDraining();
}

TEST_P(CancellationStressTest, ThousandsCancelledAtRandomStages) {
  constexpr int kUploads = 2000;
  // Paced at 200 requests a second, so the uploads never cancelled do not
  // make the test wait for a development instance's quota.
  ASSERT_NO_FATAL_FAILURE(Deploy({"--clerk_rate_limit=2000"}));
  auto codes = RunCallers(
      *deployment_, kUploads, 32,
      [](int i) { return TestPng(2000 + (i * 7919) % 200'000, i); },
      [](std::mt19937& random) {
        return static_cast<CancelAt>(
            std::uniform_int_distribution<int>(0, 4)(random));
      });
  int total = 0;
  for (const auto& [code, n] : codes) {
    total += n;
    // Cancelled, answered, or refused by pacing for its deadline.
    EXPECT_TRUE(code == grpc::StatusCode::CANCELLED ||
                code == grpc::StatusCode::OK ||
                code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
                code == grpc::StatusCode::DEADLINE_EXCEEDED)
        << "status " << code << " x" << n;
  }
  EXPECT_EQ(total, kUploads);
  EXPECT_GT(codes[grpc::StatusCode::CANCELLED], kUploads / 2);
  ExpectServingHoldingNothingAndDraining();
}

TEST_P(CancellationStressTest,
       DrainEndsAtTheGraceWithRequestsStuckAtClerkAndTheGate) {
  // Clerk answers the first request 429 for a minute: it and every later
  // request wait (in backoff, at the gate) far beyond the grace.
  ASSERT_NO_FATAL_FAILURE(Deploy());
  ASSERT_TRUE(deployment_->Control("faults?kind=429&retry_after=60"));
  auto stub = UserImageService::NewStub(grpc::CreateChannel(
      deployment_->server_address(), grpc::InsecureChannelCredentials()));
  const int metrics = deployment_->metrics_port();
  std::vector<std::thread> callers;
  std::atomic<int> ended{0};
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&, i] {
      std::mt19937 random(i);
      EXPECT_NE(
          Upload(*stub, TestPng(3000, i), CancelAt::kNeverNoDeadline, random),
          grpc::StatusCode::OK);
      ++ended;
    });
    if (i == 0) {
      EXPECT_TRUE(EventuallyEquals(
          metrics, "userimage_clerk_rate_limit_pauses_total", 1));
    }
  }
  EXPECT_TRUE(EventuallyEquals(metrics, "userimage_uploads_in_flight", 4));
  const absl::Time signalled = absl::Now();
  deployment_->server().Signal(SIGTERM);
  const int exit_status = deployment_->server().Wait();
  EXPECT_LT(absl::Now() - signalled, kGrace + absl::Seconds(10));
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
      << "server exit status " << exit_status;
  for (auto& t : callers) t.join();
  EXPECT_EQ(ended, 4);
}

INSTANTIATE_TEST_SUITE_P(LocalAndSharedPacing, CancellationStressTest,
                         ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "RedisShared" : "Local";
                         });

// Requests that Clerk holds longer than the grace are aborted when it ends.
class DrainAbortTest : public ::testing::Test {};

TEST_F(DrainAbortTest, TransfersStillAtClerkAreAbortedWhenTheGraceEnds) {
  auto deployment = LocalDeployment::Start(
      {absl::StrCat("--shutdown_grace=", absl::FormatDuration(kGrace)),
       "--clerk_request_timeout=120s", "--clerk_rate_limit=1000"},
      {"--latency=90s"});
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  auto stub = UserImageService::NewStub(grpc::CreateChannel(
      (*deployment)->server_address(), grpc::InsecureChannelCredentials()));
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&, i] {
      std::mt19937 random(i);
      EXPECT_NE(
          Upload(*stub, TestPng(3000, i), CancelAt::kNeverNoDeadline, random),
          grpc::StatusCode::OK);
    });
  }
  const int metrics = (*deployment)->metrics_port();
  // All three sent to Clerk (nothing waits at the gate), none answered.
  EXPECT_TRUE(EventuallyEquals(metrics, "userimage_uploads_in_flight", 3));
  EXPECT_TRUE(
      EventuallyEquals(metrics, "userimage_rate_gate_waiting_requests", 0));
  const absl::Time signalled = absl::Now();
  (*deployment)->server().Signal(SIGTERM);
  const int exit_status = (*deployment)->server().Wait();
  EXPECT_LT(absl::Now() - signalled, kGrace + absl::Seconds(10));
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
      << "server exit status " << exit_status;
  for (auto& t : callers) t.join();
}

}  // namespace
}  // namespace userimage
