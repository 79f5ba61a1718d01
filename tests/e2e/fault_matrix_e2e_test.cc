// The fault matrix against one long-running server with default flags: each
// way Clerk can fail (or half-succeed) once, in a shuffled order, with the
// outcome the caller must see and the requests Clerk must receive.

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/user_image_client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

struct Case {
  std::string name;
  // Faults queued at the emulator before the upload (control paths).
  std::vector<std::string> faults;
  absl::StatusCode code;
  // Requests Clerk receives for the upload.
  int requests;
};

// An HTTP-date `ahead` from now, URL-encoded for the control API.
std::string HttpDateParam(absl::Duration ahead) {
  std::string date = absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                                      absl::Now() + ahead, absl::UTCTimeZone());
  std::string encoded;
  for (char c : date) {
    if (c == ' ') {
      encoded += "%20";
    } else if (c == ',') {
      encoded += "%2C";
    } else if (c == ':') {
      encoded += "%3A";
    } else {
      encoded += c;
    }
  }
  return encoded;
}

std::vector<Case> Matrix() {
  using absl::StatusCode;
  return {
      {"429 Retry-After seconds",
       {"faults?kind=429&retry_after=1"},
       StatusCode::kOk,
       2},
      {"429 Retry-After HTTP-date",
       {absl::StrCat("faults?kind=429&retry_after=",
                     HttpDateParam(absl::Seconds(1)))},
       StatusCode::kOk,
       2},
      {"429 Retry-After garbage",
       {"faults?kind=429&retry_after=soon"},
       StatusCode::kOk,
       2},
      {"500 once", {"faults?kind=500"}, StatusCode::kOk, 2},
      {"502 once", {"faults?kind=502"}, StatusCode::kOk, 2},
      {"503 once", {"faults?kind=503"}, StatusCode::kOk, 2},
      {"504 once", {"faults?kind=504"}, StatusCode::kOk, 2},
      {"503 always", {"faults?kind=503&count=20"}, StatusCode::kUnavailable, 4},
      {"reset once", {"faults?kind=reset"}, StatusCode::kOk, 2},
      {"413", {"faults?kind=413"}, StatusCode::kInvalidArgument, 1},
      {"422", {"faults?kind=422"}, StatusCode::kInvalidArgument, 1},
      {"404", {"faults?kind=404"}, StatusCode::kNotFound, 1},
      {"401", {"faults?kind=401"}, StatusCode::kInternal, 1},
      {"200 with garbage",
       {"faults?kind=200_garbage"},
       StatusCode::kInternal,
       1},
      {"200 with HTML", {"faults?kind=200_html"}, StatusCode::kInternal, 1},
      {"200 with unknown fields",
       {"faults?kind=200_extra"},
       StatusCode::kOk,
       1},
      {"500 with a text body once",
       {"faults?kind=500_text"},
       StatusCode::kOk,
       2},
  };
}

TEST(FaultMatrixTest, EveryFaultComesOutRightInAnyOrderOnOneServer) {
  auto deployment = LocalDeployment::Start();
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  UserImageClient client(grpc::CreateChannel(
      (*deployment)->server_address(), grpc::InsecureChannelCredentials()));
  std::vector<Case> cases = Matrix();
  std::mt19937 random(::testing::UnitTest::GetInstance()->random_seed());
  std::shuffle(cases.begin(), cases.end(), random);
  std::vector<std::string> order;
  for (const Case& c : cases) order.push_back(c.name);
  SCOPED_TRACE(absl::StrCat("order: ", absl::StrJoin(order, "; ")));

  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    ASSERT_TRUE((*deployment)->Control("reset"));
    for (const std::string& fault : c.faults) {
      ASSERT_TRUE((*deployment)->Control(fault)) << fault;
    }
    UploadOptions options;
    options.user_id = LocalDeployment::LoadUser(static_cast<int>(i));
    options.timeout = absl::Seconds(30);
    const auto user = client.UploadProfileImage(options, TestPng(700));
    EXPECT_EQ(user.status().code(), c.code) << user.status();
    EXPECT_EQ((*deployment)->Requests().values_size(), c.requests);
    if (c.code == absl::StatusCode::kOk && user.ok()) {
      EXPECT_TRUE(user->has_image());
      // Clerk holds what the caller was told.
      auto held = (*deployment)->GetUser(options.user_id);
      ASSERT_TRUE(held.ok()) << held.status();
      EXPECT_EQ(held->image_url(), user->image_url());
    } else if (!user.ok()) {
      EXPECT_FALSE(user.status().message().empty());
    }
  }
}

}  // namespace
}  // namespace userimage
