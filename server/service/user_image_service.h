#ifndef SERVER_SERVICE_USER_IMAGE_SERVICE_H_
#define SERVER_SERVICE_USER_IMAGE_SERVICE_H_

#include <atomic>
#include <cstdint>

#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "server/auth/caller_authorizer.h"
#include "server/clerk/retrying_clerk_client.h"
#include "server/metrics/metrics.h"
#include "server/service/response_fields.h"
#include "server/service/upload_reactor.h"
#include "server/time/clock.h"
#include "server/upload/memory_budget.h"

namespace userimage {

struct UserImageServiceOptions {
  // Largest image accepted, in bytes (Clerk's limit is 10 MB).
  uint64_t max_image_bytes = 10'000'000;
  // An upload stream that brings no image bytes for this long is failed
  // (empty chunks do not count); zero: never.
  absl::Duration idle_timeout = absl::Seconds(30);
  // An upload stream still sending this long after its metadata is failed;
  // zero: never.
  absl::Duration max_upload_duration = absl::Minutes(2);
  // Uploads in progress at once; more are refused with RESOURCE_EXHAUSTED.
  int max_concurrent_uploads = 1000;
  // Dimension limits, metadata stripping, conversion and scaling.
  ImagePolicy image_policy;
  // The pool image_policy.convert needs; nullptr when it is off.
  NormalizerPool* normalizer = nullptr;
  // Which fields of the User each caller receives (--response_fields_file).
  ResponseFields response_fields;
  // Tests only: see UploadEnvironment::test_hook.
  std::function<void(UploadHookPoint)> upload_test_hook;
};

// The gRPC UserImageService on the callback API: no thread per call. Every
// call is authorized first (CallerAuthorizer): an unauthenticated or
// unauthorised one never reaches Clerk.
//
// UploadProfileImage is registered raw (its messages arrive as bytes, so
// image chunks are copied once, into the image buffer) and runs an
// UploadReactor per call. DeleteProfileImage validates the user id and
// forwards to Clerk (stopping its wait for the rate gate or a retry if the
// call is cancelled). Errors reach callers through ToGrpcStatus(), with
// rich details.
//
// Borrows everything it is given, which must outlive the server.
// Thread-safe.
class UserImageServiceImpl final
    : public clerk::userimage::v1::UserImageService::
          WithRawCallbackMethod_UploadProfileImage<
              clerk::userimage::v1::UserImageService::
                  WithCallbackMethod_DeleteProfileImage<
                      clerk::userimage::v1::UserImageService::Service>> {
 public:
  // `random` makes trace and span ids.
  UserImageServiceImpl(UserImageServiceOptions options,
                       RetryingClerkClient& clerk, MemoryBudget& memory,
                       Clock& clock, Timers& timers, RandomSource& random,
                       Metrics& metrics, const CallerAuthorizer& authorizer);

  grpc::ServerReadReactor<grpc::ByteBuffer>* UploadProfileImage(
      grpc::CallbackServerContext* context,
      grpc::ByteBuffer* response) override;

  grpc::ServerUnaryReactor* DeleteProfileImage(
      grpc::CallbackServerContext* context,
      const clerk::userimage::v1::DeleteProfileImageRequest* request,
      clerk::userimage::v1::User* response) override;

  int uploads_in_flight() const { return in_flight_.load(); }

 private:
  const UserImageServiceOptions options_;
  RetryingClerkClient& clerk_;
  const CallerAuthorizer& authorizer_;
  Clock& clock_;
  RandomSource& random_;
  std::atomic<int> in_flight_{0};
  UploadEnvironment upload_env_;
};

}  // namespace userimage

#endif  // SERVER_SERVICE_USER_IMAGE_SERVICE_H_
