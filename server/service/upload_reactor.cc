#include "server/service/upload_reactor.h"

#include <utility>

#include "absl/time/clock.h"
#include "server/log/json_log.h"
#include "server/status/grpc_status.h"

namespace userimage {

using ::clerk::userimage::v1::User;

UploadReactor::UploadReactor(grpc::CallbackServerContext* context,
                             User* response, RetryingClerkClient& clerk,
                             uint64_t max_image_bytes)
    : context_(context),
      response_(response),
      clerk_(clerk),
      started_(absl::Now()),
      assembler_(max_image_bytes) {
  StartRead(&request_);
}

void UploadReactor::OnReadDone(bool ok) {
  if (!ok) {
    // Either the caller half-closed (the image is complete) or the call
    // was cancelled or broke midway: then nothing may be sent.
    if (context_->IsCancelled()) {
      FinishWith(absl::CancelledError(
          "the call was cancelled before the image was complete; nothing was "
          "sent to Clerk"));
      return;
    }
    StartUpload();
    return;
  }
  absl::Status status = assembler_.Add(request_);
  if (!status.ok()) {
    FinishWith(status);
    return;
  }
  if (request_.has_metadata()) user_id_ = request_.metadata().user_id();
  request_.Clear();
  StartRead(&request_);
}

void UploadReactor::StartUpload() {
  absl::StatusOr<AssembledImage> image = assembler_.Finish();
  if (!image.ok()) {
    FinishWith(image.status());
    return;
  }
  content_type_ = image->content_type;
  auto operation = clerk_.UploadProfileImage(
      *std::move(image), absl::FromChrono(context_->deadline()),
      [this](absl::StatusOr<User> user) {
        if (user.ok()) *response_ = std::move(*user);
        FinishWith(user.status());
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

void UploadReactor::FinishWith(const absl::Status& status) {
  LogEvent(status.ok() || status.code() == absl::StatusCode::kInvalidArgument ||
                   status.code() == absl::StatusCode::kNotFound ||
                   status.code() == absl::StatusCode::kCancelled
               ? LogLevel::kInfo
               : LogLevel::kWarning,
           "upload_finished",
           {{"peer", LogString(context_->peer())},
            {"user_id", LogString(user_id_)},
            {"bytes", LogNumber(assembler_.received_bytes())},
            {"content_type", LogString(content_type_)},
            {"code", LogString(absl::StatusCodeToString(status.code()))},
            {"message", LogString(status.message())},
            {"latency_ms",
             LogNumber(absl::ToDoubleMilliseconds(absl::Now() - started_))}});
  Finish(ToGrpcStatus(status));
}

void UploadReactor::OnDone() { delete this; }

}  // namespace userimage
