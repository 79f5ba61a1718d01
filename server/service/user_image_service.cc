#include "server/service/user_image_service.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/clerk/user_id.h"
#include "server/log/json_log.h"
#include "server/service/call_trace.h"
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
                                           Timers& timers, RandomSource& random,
                                           Metrics& metrics,
                                           const CallerAuthorizer& authorizer)
    : options_(options),
      clerk_(clerk),
      authorizer_(authorizer),
      clock_(clock),
      random_(random),
      upload_env_{.max_image_bytes = options.max_image_bytes,
                  .image_policy = options.image_policy,
                  .idle_timeout = options.idle_timeout,
                  .max_upload_duration = options.max_upload_duration,
                  .clerk = &clerk,
                  .normalizer = options.normalizer,
                  .memory = &memory,
                  .clock = &clock,
                  .timers = &timers,
                  .random = &random,
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
  // What the call's log line names besides its outcome.
  struct Call {
    std::string user_id;
    std::string caller;
    std::string peer;
    absl::Time started;
  };

  void Start(RetryingClerkClient& clerk, Clock& clock, Call call,
             ClerkRequestContext context, absl::Time deadline,
             ResponseFields::Mask mask, User* response) {
    const TraceContext trace = *context.trace;
    // Copied first: the callback below takes `call` over.
    std::string user_id = call.user_id;
    auto operation = clerk.DeleteProfileImage(
        std::move(user_id), deadline,
        [this, &clock, call = std::move(call), trace, response,
         mask = std::move(mask)](ClerkOutcome outcome) {
          if (outcome.user.ok()) {
            ResponseFields::Apply(mask, *outcome.user);
            *response = std::move(*outcome.user);
          }
          // Before Finish(), after which this reactor may be gone.
          Log(call, trace, outcome, clock.Now() - call.started);
          Finish(ToGrpcStatus(outcome.user.status()));
        },
        std::move(context));
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
  static void Log(const Call& call, const TraceContext& trace,
                  const ClerkOutcome& outcome, absl::Duration latency) {
    const absl::Status& status = outcome.user.status();
    LogEvent(status.ok() || status.code() == absl::StatusCode::kNotFound ||
                     status.code() == absl::StatusCode::kCancelled
                 ? LogLevel::kInfo
                 : LogLevel::kWarning,
             "delete_finished",
             {{"peer", LogString(call.peer)},
              {"caller", LogString(call.caller)},
              {"user_id", LogString(call.user_id)},
              {"trace_id", LogString(trace.trace_id)},
              {"span_id", LogString(trace.span_id)},
              {"attempts", LogNumber(outcome.attempts)},
              {"clerk_status", LogNumber(outcome.http_status)},
              {"clerk_trace_id", LogString(outcome.trace_id)},
              {"code", LogString(absl::StatusCodeToString(status.code()))},
              {"message", LogString(status.message())},
              {"latency_ms", LogNumber(absl::ToDoubleMilliseconds(latency))}});
  }

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
  ClerkRequestContext request_context;
  if (status.ok()) {
    absl::StatusOr<Priority> priority =
        RequestPriority(request->priority(), "priority");
    status = priority.status();
    if (priority.ok()) {
      request_context = {.sender = {.caller = *caller, .priority = *priority},
                         .trace = CallTrace(*context, random_)};
    }
  }
  if (!status.ok()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }
  auto* reactor = new DeleteReactor();
  reactor->Start(clerk_, clock_,
                 {.user_id = request->user_id(),
                  .caller = *caller,
                  .peer = context->peer(),
                  .started = clock_.Now()},
                 std::move(request_context),
                 absl::FromChrono(context->deadline()), std::move(mask),
                 response);
  return reactor;
}

}  // namespace userimage
