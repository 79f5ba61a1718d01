#include "server/service/user_image_service.h"

#include <utility>

#include "server/service/upload_reactor.h"
#include "server/status/grpc_status.h"
#include "server/upload/user_id.h"

namespace userimage {

using ::clerk::userimage::v1::DeleteProfileImageRequest;
using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;

UserImageServiceImpl::UserImageServiceImpl(UserImageServiceOptions options,
                                           ClerkClient& clerk)
    : options_(options), clerk_(clerk) {}

grpc::ServerReadReactor<UploadProfileImageRequest>*
UserImageServiceImpl::UploadProfileImage(grpc::CallbackServerContext* context,
                                         User* response) {
  return new UploadReactor(context, response, clerk_, options_.max_image_bytes);
}

grpc::ServerUnaryReactor* UserImageServiceImpl::DeleteProfileImage(
    grpc::CallbackServerContext* context,
    const DeleteProfileImageRequest* request, User* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status s = ValidateUserId(request->user_id(), "user_id"); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  clerk_.DeleteProfileImage(
      request->user_id(), absl::FromChrono(context->deadline()),
      [reactor, response](absl::StatusOr<User> user) {
        if (user.ok()) *response = std::move(*user);
        reactor->Finish(ToGrpcStatus(user.status()));
      });
  return reactor;
}

}  // namespace userimage
