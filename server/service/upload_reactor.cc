#include "server/service/upload_reactor.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "server/log/json_log.h"
#include "server/status/grpc_status.h"
#include "server/status/status_details.h"

namespace userimage {

using ::clerk::userimage::v1::User;

UploadReactor::UploadReactor(grpc::CallbackServerContext* context,
                             grpc::ByteBuffer* response,
                             const UploadEnvironment& env)
    : context_(context),
      response_(response),
      env_(env),
      started_(env.clock->Now()),
      assembler_(env.max_image_bytes, *env.memory),
      liveness_(std::make_shared<Liveness>()) {
  {
    absl::MutexLock lock(&liveness_->mu);
    liveness_->reactor = this;
  }
  if (env_.in_flight->fetch_add(1) >= env_.max_in_flight) {
    absl::Status status = absl::ResourceExhaustedError(absl::StrCat(
        "the service is handling its maximum of ", env_.max_in_flight,
        " uploads; retry shortly"));
    SetRetryDelay(status, absl::Seconds(1));
    FinishWith(status, nullptr);
    return;
  }
  Read();
}

void UploadReactor::Read() {
  {
    absl::MutexLock lock(&mu_);
    if (env_.idle_timeout > absl::ZeroDuration()) {
      idle_timer_ = env_.timers->Schedule(
          env_.clock->Now() + env_.idle_timeout,
          [liveness = liveness_, timeout = env_.idle_timeout] {
            UploadReactor* reactor = nullptr;
            {
              absl::MutexLock lock(&liveness->mu);
              if (liveness->reactor == nullptr || !liveness->reactor->ClaimFinish()) {
                return;
              }
              reactor = liveness->reactor;
            }
            reactor->FinishClaimed(
                absl::DeadlineExceededError(absl::StrCat(
                    "no message arrived for ", absl::FormatDuration(timeout),
                    "; the upload was abandoned: send chunks without long "
                    "pauses")),
                nullptr);
          });
    }
  }
  StartRead(&request_);
}

void UploadReactor::OnReadDone(bool ok) {
  {
    absl::MutexLock lock(&mu_);
    if (idle_timer_ != 0) env_.timers->Cancel(idle_timer_);
    idle_timer_ = 0;
    if (finished_) return;  // Ended by the idle timer meanwhile.
  }
  if (!ok) {
    // Either the caller half-closed (the image is complete) or the call
    // was cancelled or broke midway: then nothing may be sent.
    if (context_->IsCancelled()) {
      FinishWith(absl::CancelledError(
                     "the call was cancelled before the image was complete; "
                     "nothing was sent to Clerk"),
                 nullptr);
      return;
    }
    StartUpload();
    return;
  }
  absl::Status status;
  {
    grpc::ProtoBufferReader reader(&request_);
    status = assembler_.AddSerialized(reader);
  }
  request_.Clear();
  if (!status.ok()) {
    FinishWith(status, nullptr);
    return;
  }
  Read();
}

void UploadReactor::StartUpload() {
  absl::StatusOr<AssembledImage> image = assembler_.Finish();
  if (!image.ok()) {
    FinishWith(image.status(), nullptr);
    return;
  }
  content_type_ = image->content_type;
  auto operation = env_.clerk->UploadProfileImage(
      *std::move(image), absl::FromChrono(context_->deadline()),
      [this](absl::StatusOr<User> user) {
        FinishWith(user.status(), user.ok() ? &*user : nullptr);
      });
  absl::MutexLock lock(&mu_);
  operation_ = std::move(operation);
  if (cancelled_) operation_->Cancel();
}

void UploadReactor::OnCancel() {
  std::shared_ptr<RetryingClerkClient::Operation> operation;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    operation = operation_;
  }
  if (operation != nullptr) operation->Cancel();
}

bool UploadReactor::ClaimFinish() {
  absl::MutexLock lock(&mu_);
  if (finished_) return false;
  finished_ = true;
  return true;
}

void UploadReactor::FinishWith(const absl::Status& status, const User* user) {
  if (ClaimFinish()) FinishClaimed(status, user);
}

void UploadReactor::FinishClaimed(const absl::Status& status, const User* user) {
  // Counted until answered, so a caller that got its answer can start the
  // next upload at once.
  env_.in_flight->fetch_sub(1);
  if (user != nullptr) {
    grpc::Slice slice(user->SerializeAsString());
    *response_ = grpc::ByteBuffer(&slice, 1);
  }
  LogEvent(status.ok() || status.code() == absl::StatusCode::kInvalidArgument ||
                   status.code() == absl::StatusCode::kNotFound ||
                   status.code() == absl::StatusCode::kCancelled
               ? LogLevel::kInfo
               : LogLevel::kWarning,
           "upload_finished",
           {{"peer", LogString(context_->peer())},
            {"user_id", LogString(assembler_.user_id())},
            {"bytes", LogNumber(assembler_.received_bytes())},
            {"content_type", LogString(content_type_)},
            {"code", LogString(absl::StatusCodeToString(status.code()))},
            {"message", LogString(status.message())},
            {"latency_ms",
             LogNumber(absl::ToDoubleMilliseconds(env_.clock->Now() - started_))}});
  Finish(ToGrpcStatus(status));
}

void UploadReactor::OnDone() {
  {
    absl::MutexLock lock(&liveness_->mu);
    liveness_->reactor = nullptr;
  }
  {
    absl::MutexLock lock(&mu_);
    if (idle_timer_ != 0) env_.timers->Cancel(idle_timer_);
  }
  delete this;
}

}  // namespace userimage
