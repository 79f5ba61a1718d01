#ifndef SERVER_SERVICE_UPLOAD_REACTOR_H_
#define SERVER_SERVICE_UPLOAD_REACTOR_H_

#include <cstdint>

#include "absl/time/time.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/clerk/clerk_client.h"
#include "server/upload/upload_assembler.h"

namespace userimage {

// Serves one UploadProfileImage call with gRPC's callback API: keeps one
// read in flight, feeds each message to an UploadAssembler, and once the
// caller half-closes hands the image to the ClerkClient; Clerk's answer
// finishes the call. Any invalid message finishes the call at once (the
// rest of the stream is not read). A call cancelled before the stream is
// complete never reaches Clerk.
//
// Reactions never block: they only parse, append and start asynchronous
// work. Finish() is called exactly once. Owns itself: created by the
// service, deleted in OnDone(). Borrows `clerk`, which outlives the server.
class UploadReactor
    : public grpc::ServerReadReactor<clerk::userimage::v1::UploadProfileImageRequest> {
 public:
  UploadReactor(grpc::CallbackServerContext* context,
                clerk::userimage::v1::User* response, ClerkClient& clerk,
                uint64_t max_image_bytes);

  void OnReadDone(bool ok) override;
  void OnDone() override;

 private:
  void StartUpload();
  void FinishWith(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  clerk::userimage::v1::User* const response_;
  ClerkClient& clerk_;
  const absl::Time started_;
  clerk::userimage::v1::UploadProfileImageRequest request_;
  UploadAssembler assembler_;
  std::string user_id_;
  std::string content_type_;
};

}  // namespace userimage

#endif  // SERVER_SERVICE_UPLOAD_REACTOR_H_
