#include "client/user_image_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "clerk/userimage/v1/user.pb.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "client/status_from_grpc.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "tests/testing/loopback_server.h"

namespace clerk::userimage::client {
namespace {

using ::clerk::userimage::v1::DeleteProfileImageRequest;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::google::protobuf::util::MessageDifferencer;

// SHA-256 of one million 'a' characters (FIPS 180-2, appendix B.3).
constexpr absl::string_view kMillionASha256 =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

User TestUser() {
  User user;
  user.set_id("user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
  user.set_object("user");
  user.set_image_url("https://img.clerk.com/abc");
  user.set_has_image(true);
  user.set_first_name("Ada");
  return user;
}

// A UserImageService that records what it receives and answers as told.
class FakeUserImageService final : public v1::UserImageService::Service {
 public:
  // The status that calls end with; OK answers `user`.
  void SetReply(grpc::Status status, User user) {
    absl::MutexLock lock(&mutex_);
    status_ = std::move(status);
    user_ = std::move(user);
  }

  // Makes uploads end right after the first message, unread bytes left.
  void FailAfterFirstMessage() {
    absl::MutexLock lock(&mutex_);
    fail_after_first_message_ = true;
  }

  // Makes calls wait, once their request is read, until the caller gives up.
  void HangUntilCancelled() {
    absl::MutexLock lock(&mutex_);
    hang_ = true;
  }

  std::vector<UploadProfileImageRequest> upload_messages() {
    absl::MutexLock lock(&mutex_);
    return upload_messages_;
  }

  std::vector<std::string> deleted_user_ids() {
    absl::MutexLock lock(&mutex_);
    return deleted_user_ids_;
  }

  grpc::Status UploadProfileImage(
      grpc::ServerContext* context,
      grpc::ServerReader<UploadProfileImageRequest>* reader,
      User* response) override {
    UploadProfileImageRequest request;
    while (reader->Read(&request)) {
      absl::MutexLock lock(&mutex_);
      upload_messages_.push_back(request);
      if (fail_after_first_message_) return status_;
    }
    absl::MutexLock lock(&mutex_);
    if (hang_) return WaitUntilCancelled(*context);
    *response = user_;
    return status_;
  }

  grpc::Status DeleteProfileImage(grpc::ServerContext* context,
                                  const DeleteProfileImageRequest* request,
                                  User* response) override {
    absl::MutexLock lock(&mutex_);
    deleted_user_ids_.push_back(request->user_id());
    if (hang_) return WaitUntilCancelled(*context);
    *response = user_;
    return status_;
  }

 private:
  grpc::Status WaitUntilCancelled(grpc::ServerContext& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    while (!context.IsCancelled()) {
      mutex_.AwaitWithTimeout(absl::Condition::kTrue, absl::Milliseconds(10));
    }
    return grpc::Status::CANCELLED;
  }

  absl::Mutex mutex_;
  grpc::Status status_ ABSL_GUARDED_BY(mutex_);
  User user_ ABSL_GUARDED_BY(mutex_);
  bool fail_after_first_message_ ABSL_GUARDED_BY(mutex_) = false;
  bool hang_ ABSL_GUARDED_BY(mutex_) = false;
  std::vector<UploadProfileImageRequest> upload_messages_
      ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> deleted_user_ids_ ABSL_GUARDED_BY(mutex_);
};

class UserImageClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_.SetReply(grpc::Status::OK, TestUser());
    ::userimage::LoopbackServer loopback =
        ::userimage::LoopbackServer::Start(service_);
    ASSERT_NE(loopback.server, nullptr);
    server_ = std::move(loopback.server);
    client_ = std::make_unique<UserImageClient>(loopback.channel);
  }

  void TearDown() override { server_->Shutdown(); }

  static UploadOptions Options() {
    UploadOptions options;
    options.user_id = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
    options.filename = "avatar.png";
    options.content_type = "image/png";
    options.timeout = absl::Seconds(30);
    return options;
  }

  FakeUserImageService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<UserImageClient> client_;
};

TEST_F(UserImageClientTest, UploadSendsMetadataThenChunksInOrder) {
  const std::string image(1000000, 'a');
  UploadOptions options = Options();
  options.chunk_size = 64 * 1024;

  absl::StatusOr<User> user = client_->UploadProfileImage(options, image);
  ASSERT_TRUE(user.ok()) << user.status();

  std::vector<UploadProfileImageRequest> messages = service_.upload_messages();
  ASSERT_FALSE(messages.empty());
  ASSERT_EQ(messages[0].payload_case(), UploadProfileImageRequest::kMetadata);
  const v1::ImageMetadata& metadata = messages[0].metadata();
  EXPECT_EQ(metadata.user_id(), "user_2NNEqL2nrIRdJ194ndJqAHwEfxC");
  EXPECT_EQ(metadata.filename(), "avatar.png");
  EXPECT_EQ(metadata.content_type(), "image/png");
  ASSERT_TRUE(metadata.has_total_size());
  EXPECT_EQ(metadata.total_size(), image.size());
  EXPECT_EQ(metadata.sha256(), kMillionASha256);

  // 15 full chunks of 65536 bytes and a last one of 16960.
  ASSERT_EQ(messages.size(), 1 + 16);
  std::string received;
  for (size_t i = 1; i < messages.size(); ++i) {
    ASSERT_EQ(messages[i].payload_case(), UploadProfileImageRequest::kChunk);
    const size_t expected_size = i + 1 < messages.size() ? 65536 : 16960;
    EXPECT_EQ(messages[i].chunk().size(), expected_size) << "chunk " << i;
    received += messages[i].chunk();
  }
  EXPECT_EQ(received, image);
}

TEST_F(UserImageClientTest, UploadKeepsChunkOrderOfDistinctBytes) {
  std::string image;
  for (int i = 0; i < 10000; ++i) image.push_back(static_cast<char>(i % 251));
  UploadOptions options = Options();
  options.chunk_size = 7;

  ASSERT_TRUE(client_->UploadProfileImage(options, image).ok());

  std::vector<UploadProfileImageRequest> messages = service_.upload_messages();
  std::string received;
  for (size_t i = 1; i < messages.size(); ++i) {
    EXPECT_LE(messages[i].chunk().size(), 7u);
    received += messages[i].chunk();
  }
  EXPECT_EQ(received, image);
}

TEST_F(UserImageClientTest, UploadReturnsTheServersUser) {
  absl::StatusOr<User> user = client_->UploadProfileImage(Options(), "img");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*user, TestUser()))
      << user->DebugString();
}

TEST_F(UserImageClientTest, UploadReportsProgressAfterEachChunk) {
  const std::string image(100000, 'x');
  UploadOptions options = Options();
  options.chunk_size = 30000;
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  options.progress = [&calls](uint64_t sent, uint64_t total) {
    calls.emplace_back(sent, total);
  };

  ASSERT_TRUE(client_->UploadProfileImage(options, image).ok());

  std::vector<std::pair<uint64_t, uint64_t>> expected = {
      {30000, 100000}, {60000, 100000}, {90000, 100000}, {100000, 100000}};
  EXPECT_EQ(calls, expected);
}

TEST_F(UserImageClientTest, UploadWithoutDigestOrTypeLeavesThemEmpty) {
  UploadOptions options = Options();
  options.send_digest = false;
  options.content_type = "";

  ASSERT_TRUE(client_->UploadProfileImage(options, "abc").ok());

  std::vector<UploadProfileImageRequest> messages = service_.upload_messages();
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages[0].metadata().sha256(), "");
  EXPECT_EQ(messages[0].metadata().content_type(), "");
  EXPECT_EQ(messages[0].metadata().total_size(), 3u);
}

TEST_F(UserImageClientTest, UploadAcceptsTheLargestChunkSize) {
  // The server keeps gRPC's default 4 MiB limit on received messages.
  const std::string image(kMaxChunkSize + 1, 'z');
  UploadOptions options = Options();
  options.chunk_size = kMaxChunkSize;

  absl::StatusOr<User> user = client_->UploadProfileImage(options, image);
  ASSERT_TRUE(user.ok()) << user.status();

  std::vector<UploadProfileImageRequest> messages = service_.upload_messages();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[1].chunk().size(), kMaxChunkSize);
  EXPECT_EQ(messages[2].chunk().size(), 1u);
}

TEST_F(UserImageClientTest, UploadRejectsBadOptionsWithoutACall) {
  UploadOptions options = Options();
  options.chunk_size = 0;
  EXPECT_EQ(client_->UploadProfileImage(options, "abc").status().code(),
            absl::StatusCode::kInvalidArgument);
  options.chunk_size = kMaxChunkSize + 1;
  EXPECT_EQ(client_->UploadProfileImage(options, "abc").status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.timeout = absl::ZeroDuration();
  EXPECT_EQ(client_->UploadProfileImage(options, "abc").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(service_.upload_messages().empty());
}

TEST_F(UserImageClientTest, UploadReturnsServerErrorWithDetails) {
  google::rpc::ErrorInfo info;
  info.set_reason("UNSUPPORTED_TYPE");
  info.set_domain("userimage.clerk");
  google::rpc::Status rpc_status;
  rpc_status.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  rpc_status.set_message("image/bmp is not supported");
  rpc_status.add_details()->PackFrom(info);
  const std::string serialized = rpc_status.SerializeAsString();
  service_.SetReply(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "image/bmp is not supported", serialized),
                    User());

  absl::StatusOr<User> user = client_->UploadProfileImage(Options(), "BM");

  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(user.status().message(), "image/bmp is not supported");
  absl::optional<absl::Cord> payload =
      user.status().GetPayload(kRpcStatusTypeUrl);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(std::string(*payload), serialized);
}

TEST_F(UserImageClientTest, UploadReturnsEarlyServerErrorWithoutHanging) {
  service_.SetReply(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "image is over the 1000 byte limit"),
                    User());
  service_.FailAfterFirstMessage();
  // Far more than the transport buffers, so some writes must fail.
  const std::string image(32 * 1024 * 1024, 'a');
  UploadOptions options = Options();
  options.chunk_size = 64 * 1024;
  uint64_t last_sent = 0;
  options.progress = [&last_sent](uint64_t sent, uint64_t) {
    last_sent = sent;
  };

  absl::Time start = absl::Now();
  absl::StatusOr<User> user = client_->UploadProfileImage(options, image);

  EXPECT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(user.status().message(), "image is over the 1000 byte limit");
  EXPECT_LT(absl::Now() - start, options.timeout / 2);
  EXPECT_LT(last_sent, image.size());
  EXPECT_EQ(service_.upload_messages().size(), 1u);
}

TEST_F(UserImageClientTest, UploadHonoursTimeout) {
  service_.HangUntilCancelled();
  UploadOptions options = Options();
  options.timeout = absl::Milliseconds(200);
  EXPECT_EQ(client_->UploadProfileImage(options, "abc").status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(UserImageClientTest, DeleteSendsUserIdAndReturnsUser) {
  absl::StatusOr<User> user = client_->DeleteProfileImage(
      "user_2NNEqL2nrIRdJ194ndJqAHwEfxC", absl::Seconds(30));
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_TRUE(MessageDifferencer::Equals(*user, TestUser()));
  EXPECT_EQ(service_.deleted_user_ids(),
            std::vector<std::string>{"user_2NNEqL2nrIRdJ194ndJqAHwEfxC"});
}

TEST_F(UserImageClientTest, DeleteReturnsServerError) {
  service_.SetReply(grpc::Status(grpc::StatusCode::NOT_FOUND, "no such user"),
                    User());
  absl::StatusOr<User> user =
      client_->DeleteProfileImage("user_missing", absl::Seconds(30));
  EXPECT_EQ(user.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(user.status().message(), "no such user");
}

TEST_F(UserImageClientTest, DeleteHonoursTimeout) {
  service_.HangUntilCancelled();
  absl::StatusOr<User> user =
      client_->DeleteProfileImage("user_1", absl::Milliseconds(200));
  EXPECT_EQ(user.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(UserImageClientTest, DeleteRejectsNonPositiveTimeout) {
  EXPECT_EQ(
      client_->DeleteProfileImage("user_1", absl::Seconds(-1)).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(service_.deleted_user_ids().empty());
}

}  // namespace
}  // namespace clerk::userimage::client
