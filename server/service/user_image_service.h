#ifndef SERVER_SERVICE_USER_IMAGE_SERVICE_H_
#define SERVER_SERVICE_USER_IMAGE_SERVICE_H_

#include <cstdint>

#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "server/clerk/retrying_clerk_client.h"

namespace userimage {

struct UserImageServiceOptions {
  // Largest image accepted, in bytes (Clerk's limit is 10 MB).
  uint64_t max_image_bytes = 10'000'000;
};

// The gRPC UserImageService on the callback API: no thread per call.
// UploadProfileImage runs an UploadReactor per call; DeleteProfileImage
// validates the user id and forwards to Clerk (stopping its wait for the
// rate gate or a retry if the call is cancelled). Errors reach callers through
// ToGrpcStatus(), with rich details.
//
// Borrows `clerk`, which must outlive the server. Thread-safe.
class UserImageServiceImpl final
    : public clerk::userimage::v1::UserImageService::CallbackService {
 public:
  UserImageServiceImpl(UserImageServiceOptions options,
                       RetryingClerkClient& clerk);

  grpc::ServerReadReactor<clerk::userimage::v1::UploadProfileImageRequest>*
  UploadProfileImage(grpc::CallbackServerContext* context,
                     clerk::userimage::v1::User* response) override;

  grpc::ServerUnaryReactor* DeleteProfileImage(
      grpc::CallbackServerContext* context,
      const clerk::userimage::v1::DeleteProfileImageRequest* request,
      clerk::userimage::v1::User* response) override;

 private:
  const UserImageServiceOptions options_;
  RetryingClerkClient& clerk_;
};

}  // namespace userimage

#endif  // SERVER_SERVICE_USER_IMAGE_SERVICE_H_
