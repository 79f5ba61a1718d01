// A few hundred uploads at once through the server process (valid ones of
// various sizes, invalid ones, ones cancelled midway, and Clerk failing now
// and then), then a clean shutdown. Run under --config=asan the server's
// exit status also says whether AddressSanitizer, LeakSanitizer or UBSan
// found anything.

#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "client/user_image_client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

std::string Image(size_t size, unsigned seed) { return TestPng(size, seed); }

TEST(UploadStressTest, HundredsOfConcurrentUploadsFinishClean) {
  constexpr int kUploads = 300;
  auto deployment = LocalDeployment::Start(
      {"--clerk_backoff_base=100ms", "--retry_budget_min_per_second=100000",
       "--memory_budget_bytes=200000000"},
      {"--latency=20ms"});
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  // Clerk fails a few of the first requests.
  ASSERT_TRUE((*deployment)->Control("faults?kind=503&count=4"));
  ASSERT_TRUE((*deployment)->Control("faults?kind=reset&count=2"));
  ASSERT_TRUE((*deployment)->Control("faults?kind=429&retry_after=1"));

  auto channel = grpc::CreateChannel((*deployment)->server_address(),
                                     grpc::InsecureChannelCredentials());
  UserImageClient client(channel);
  auto stub = UserImageService::NewStub(channel);
  std::atomic<int> ok{0}, invalid{0}, cancelled{0}, retryable{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kUploads; ++i) {
    threads.emplace_back([&, i] {
      const std::string image = Image(1000 + (i * 7919) % 400'000, i);
      switch (i % 10) {
        case 0: {  // Cancelled midway.
          grpc::ClientContext context;
          User user;
          auto writer = stub->UploadProfileImage(&context, &user);
          UploadProfileImageRequest metadata;
          metadata.mutable_metadata()->set_user_id(
              LocalDeployment::LoadUser(i));
          writer->Write(metadata);
          UploadProfileImageRequest chunk;
          chunk.set_chunk(image.substr(0, image.size() / 2));
          writer->Write(chunk);
          context.TryCancel();
          if (writer->Finish().error_code() == grpc::StatusCode::CANCELLED)
            ++cancelled;
          return;
        }
        case 1: {  // Not an image.
          UploadOptions options;
          options.user_id = LocalDeployment::LoadUser(i);
          auto result =
              client.UploadProfileImage(options, "not an image at all");
          if (result.status().code() == absl::StatusCode::kInvalidArgument)
            ++invalid;
          return;
        }
        default: {
          UploadOptions options;
          options.user_id = LocalDeployment::LoadUser(i);
          options.chunk_size = 16 * 1024 + i;
          auto result = client.UploadProfileImage(options, image);
          if (result.ok()) {
            ++ok;
          } else if (result.status().code() == absl::StatusCode::kUnavailable ||
                     result.status().code() ==
                         absl::StatusCode::kResourceExhausted) {
            // Possible only for an upload that drew a fault on every attempt.
            ++retryable;
          } else {
            ++other;
            ADD_FAILURE() << i << ": " << result.status();
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok + retryable, kUploads * 8 / 10);
  EXPECT_LE(retryable, 1);
  EXPECT_EQ(invalid, kUploads / 10);
  EXPECT_EQ(cancelled, kUploads / 10);
  EXPECT_EQ(other, 0);

  (*deployment)->server().Signal(SIGTERM);
  const int exit_status = (*deployment)->server().Wait();
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0)
      << "server exit status " << exit_status
      << " (under --config=asan, a sanitizer report is in the test's log)";
}

}  // namespace
}  // namespace userimage
