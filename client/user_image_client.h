#ifndef CLIENT_USER_IMAGE_CLIENT_H_
#define CLIENT_USER_IMAGE_CLIENT_H_

#include <grpcpp/channel.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clerk/userimage/v1/user.pb.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"

namespace clerk::userimage::client {

// Chunk size used unless UploadOptions says otherwise.
inline constexpr size_t kDefaultChunkSize = 256 * 1024;
// Largest chunk size accepted: a single UploadProfileImage message may take
// at most 4 MiB, and a chunk message adds 5 bytes to the chunk (the field's
// tag and a 4-byte length).
inline constexpr size_t kMaxChunkSize = 4 * 1024 * 1024 - 5;

// How UserImageClient::UploadProfileImage sends an image.
struct UploadOptions {
  // Clerk user id, e.g. "user_2NNEqL2nrIRdJ194ndJqAHwEfxC".
  std::string user_id;
  // File name handed to Clerk; may be empty (the server picks one).
  std::string filename;
  // MIME type; may be empty (the server detects it from the bytes).
  std::string content_type;
  // Bytes per chunk message: more than 0 and at most kMaxChunkSize.
  size_t chunk_size = kDefaultChunkSize;
  // Deadline of the whole call, counted from its start; must be positive.
  absl::Duration timeout = absl::Seconds(60);
  // If set, called on the calling thread after each chunk is handed to gRPC,
  // with the bytes sent so far and the image size.
  std::function<void(uint64_t sent, uint64_t total)> progress;
  // Whether to send the image's SHA-256 so the server can verify the bytes.
  bool send_digest = true;
  // PRIORITY_BULK for background work: it only uses the quota interactive
  // uploads leave. Unset: interactive.
  v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
};

// Client of clerk.userimage.v1.UserImageService over a gRPC channel.
//
// Shares ownership of the channel. Thread-safe: calls may run concurrently
// from several threads; each call blocks its thread until it completes.
// Errors keep the server's status code and message, and its rich error
// details as the payload kRpcStatusTypeUrl (see status_from_grpc.h).
class UserImageClient {
 public:
  // `bearer_token`, when not empty, is sent with every call as
  // `authorization: Bearer <token>`.
  explicit UserImageClient(std::shared_ptr<grpc::Channel> channel,
                           std::string bearer_token = "");

  UserImageClient(const UserImageClient&) = delete;
  UserImageClient& operator=(const UserImageClient&) = delete;

  // Streams `image` to the service (metadata first, then the bytes in
  // chunks of options.chunk_size) and returns the updated user. If the
  // server ends the call before all bytes are sent (e.g. the image is over
  // its size limit), stops sending and returns the server's status.
  // INVALID_ARGUMENT without a call if chunk_size or timeout is out of range.
  absl::StatusOr<v1::User> UploadProfileImage(const UploadOptions& options,
                                              absl::string_view image);

  // Removes the user's profile image and returns the updated user.
  // `timeout` must be positive.
  absl::StatusOr<v1::User> DeleteProfileImage(absl::string_view user_id,
                                              absl::Duration timeout);

 private:
  // Sets the deadline and the credentials of one call.
  void Prepare(absl::Duration timeout, grpc::ClientContext& context) const;

  std::unique_ptr<v1::UserImageService::Stub> stub_;
  const std::string bearer_token_;
};

}  // namespace clerk::userimage::client

#endif  // CLIENT_USER_IMAGE_CLIENT_H_
