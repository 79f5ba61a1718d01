#include "server/service/user_image_service.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/clerk/user_id.h"
#include "server/service/caller_identity.h"
#include "server/service/request_priority.h"
#include "server/service/upload_reactor.h"
#include "server/status/status_to_grpc.h"

namespace userimage {

using ::clerk::userimage::v1::DeleteProfileImageRequest;
using ::clerk::userimage::v1::User;

UserImageServiceImpl::UserImageServiceImpl(UserImageServiceOptions options,
                                           RetryingClerkClient& clerk,
                                           MemoryBudget& memory, Clock& clock,
                                           Timers& timers, Metrics& metrics,
                                           const CallerAuthorizer& authorizer)
    : options_(options),
      clerk_(clerk),
      authorizer_(authorizer),
      upload_env_{.max_image_bytes = options.max_image_bytes,
                  .image_policy = options.image_policy,
                  .idle_timeout = options.idle_timeout,
                  .max_upload_duration = options.max_upload_duration,
                  .clerk = &clerk,
                  .memory = &memory,
                  .clock = &clock,
                  .timers = &timers,
                  .metrics = &metrics,
                  .authorizer = &authorizer,
                  .response_fields = &options_.response_fields,
                  .in_flight = &in_flight_,
                  .max_in_flight = options.max_concurrent_uploads,
                  .test_hook = options.upload_test_hook} {}

grpc::ServerReadReactor<grpc::ByteBuffer>*
UserImageServiceImpl::UploadProfileImage(grpc::CallbackServerContext* context,
                                         grpc::ByteBuffer* response) {
  return new UploadReactor(context, response, upload_env_);
}

namespace {

// Finishes a DeleteProfileImage call and cancels its Clerk operation if the
// call is cancelled first. The operation's `done` is the one finisher; no
// lock is held while calling the operation. Owns itself; deleted in
// OnDone(), which gRPC runs only after the method handler (and so Start())
// has returned.
class DeleteReactor final : public grpc::ServerUnaryReactor {
 public:
  void Start(RetryingClerkClient& clerk, const std::string& user_id,
             Sender sender, absl::Time deadline, ResponseFields::Mask mask,
             User* response) {
    auto operation = clerk.DeleteProfileImage(
        user_id, deadline,
        [this, response, mask = std::move(mask)](ClerkOutcome outcome) {
          if (outcome.user.ok()) {
            ResponseFields::Apply(mask, *outcome.user);
            *response = std::move(*outcome.user);
          }
          Finish(ToGrpcStatus(outcome.user.status()));
        },
        std::move(sender));
    bool cancelled;
    {
      absl::MutexLock lock(&mu_);
      operation_ = operation;
      cancelled = cancelled_;
    }
    // OnCancel() came before the operation was known: cancel it here.
    if (cancelled) operation->Cancel();
  }

  void OnCancel() override {
    std::shared_ptr<RetryingClerkClient::Operation> operation;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      operation = operation_;
    }
    if (operation != nullptr) operation->Cancel();
  }

  void OnDone() override { delete this; }

 private:
  absl::Mutex mu_;
  std::shared_ptr<RetryingClerkClient::Operation> operation_
      ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerUnaryReactor* UserImageServiceImpl::DeleteProfileImage(
    grpc::CallbackServerContext* context,
    const DeleteProfileImageRequest* request, User* response) {
  absl::StatusOr<std::string> caller =
      AuthorizeCall(authorizer_, *context, "DeleteProfileImage");
  absl::Status status = caller.status();
  if (status.ok()) status = ValidateUserId(request->user_id(), "user_id");
  ResponseFields::Mask mask;
  if (status.ok()) {
    absl::StatusOr<ResponseFields::Mask> chosen =
        options_.response_fields.For(*caller, request->read_mask());
    status = chosen.status();
    if (chosen.ok()) mask = *std::move(chosen);
  }
  Sender sender;
  if (status.ok()) {
    absl::StatusOr<Priority> priority =
        RequestPriority(request->priority(), "priority");
    status = priority.status();
    if (priority.ok()) sender = {.caller = *caller, .priority = *priority};
  }
  if (!status.ok()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }
  auto* reactor = new DeleteReactor();
  reactor->Start(clerk_, request->user_id(), std::move(sender),
                 absl::FromChrono(context->deadline()), std::move(mask),
                 response);
  return reactor;
}

}  // namespace userimage
