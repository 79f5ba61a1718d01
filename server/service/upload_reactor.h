#ifndef SERVER_SERVICE_UPLOAD_REACTOR_H_
#define SERVER_SERVICE_UPLOAD_REACTOR_H_

#include <cstdint>

#include "absl/time/time.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/clerk/retrying_clerk_client.h"
#include "server/upload/upload_assembler.h"

namespace userimage {

// Serves one UploadProfileImage call with gRPC's callback API: keeps one
// read in flight, feeds each message to an UploadAssembler, and once the
// caller half-closes hands the image to the RetryingClerkClient; its
// outcome finishes the call. Any invalid message finishes the call at once
// (the rest of the stream is not read). A call cancelled before the stream
// is complete never reaches Clerk; one cancelled (or past its deadline)
// while waiting for the rate gate or a retry stops waiting at once.
//
// Reactions never block: they only parse, append and start asynchronous
// work. Finish() is called exactly once. Owns itself: created by the
// service, deleted in OnDone(). Borrows `clerk`, which outlives the server.
class UploadReactor
    : public grpc::ServerReadReactor<clerk::userimage::v1::UploadProfileImageRequest> {
 public:
  UploadReactor(grpc::CallbackServerContext* context,
                clerk::userimage::v1::User* response,
                RetryingClerkClient& clerk,
                uint64_t max_image_bytes);

  void OnReadDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void StartUpload();
  void FinishWith(const absl::Status& status);

  grpc::CallbackServerContext* const context_;
  clerk::userimage::v1::User* const response_;
  RetryingClerkClient& clerk_;
  const absl::Time started_;
  clerk::userimage::v1::UploadProfileImageRequest request_;
  UploadAssembler assembler_;
  std::string user_id_;
  std::string content_type_;
  absl::Mutex mu_;  // OnCancel() may run concurrently with the rest.
  std::shared_ptr<RetryingClerkClient::Operation> operation_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace userimage

#endif  // SERVER_SERVICE_UPLOAD_REACTOR_H_
