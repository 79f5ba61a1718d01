// The metrics endpoint: after an upload that succeeds and one that fails,
// a scrape shows them, and `promtool check metrics` accepts the exposition.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/user_image_client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

TEST(MetricsTest, ScrapeShowsUploadsAndPassesPromtool) {
  auto deployment = LocalDeployment::Start();
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  UserImageClient client(grpc::CreateChannel(
      (*deployment)->server_address(), grpc::InsecureChannelCredentials()));
  UploadOptions options;
  options.user_id = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
  const std::string image = TestPng(1000);
  ASSERT_TRUE(client.UploadProfileImage(options, image).ok());
  ASSERT_FALSE(client.UploadProfileImage(options, "not an image").ok());

  httplib::Client scraper("127.0.0.1", (*deployment)->metrics_port());
  auto response = scraper.Get("/metrics");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  const std::string& text = response->body;
  for (const char* expected : {
           "userimage_uploads_total{code=\"OK\"} 1",
           "userimage_uploads_total{code=\"INVALID_ARGUMENT\"} 1",
           "userimage_clerk_requests_total{status=\"200\"} 1",
           "userimage_clerk_forwarded_bytes_total 1000",
           "userimage_upload_received_bytes_total 1012",
           "userimage_upload_duration_seconds_count 2",
           "userimage_clerk_request_duration_seconds_count 1",
           "userimage_rate_gate_wait_seconds_count 1",
           "userimage_clerk_retries_total 0",
           "userimage_uploads_in_flight 0",
           "userimage_rate_gate_waiting_requests 0",
           "userimage_memory_budget_used_bytes 0",
           "userimage_memory_budget_limit_bytes 536870912",
           "userimage_normalize_queued_images 0",
           "userimage_normalize_workers_replaced_total 0",
       }) {
    EXPECT_TRUE(absl::StrContains(text, expected)) << expected << "\n" << text;
  }
  absl::StatusOr<std::string> check =
      RunCommand("promtool check metrics", text, TestTempPath("promtool.log"));
  EXPECT_TRUE(check.ok()) << check.status();
}

}  // namespace
}  // namespace userimage
