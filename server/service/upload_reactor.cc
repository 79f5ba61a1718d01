#include "server/service/upload_reactor.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "server/image/image_type.h"
#include "server/image/safe_filename.h"
#include "server/log/json_log.h"
#include "server/service/call_trace.h"
#include "server/service/caller_identity.h"
#include "server/service/request_priority.h"
#include "server/status/status_details.h"
#include "server/status/status_to_grpc.h"

namespace userimage {

using ::clerk::userimage::v1::User;

namespace {

// The caller's x-request-id when it is a sane token, else a fresh id.
std::string RequestId(const grpc::CallbackServerContext& context) {
  auto it = context.client_metadata().find("x-request-id");
  if (it != context.client_metadata().end() && !it->second.empty() &&
      it->second.size() <= 64) {
    bool sane = true;
    for (char c : it->second) {
      sane = sane && (absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                      c == '-' || c == '_' || c == '.');
    }
    if (sane) return std::string(it->second.data(), it->second.size());
  }
  absl::BitGen random;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(random),
                         absl::Uniform<uint64_t>(random));
}

ClerkOutcome Failed(absl::Status status) {
  ClerkOutcome outcome;
  outcome.user = std::move(status);
  return outcome;
}

}  // namespace

UploadReactor::UploadReactor(grpc::CallbackServerContext* context,
                             grpc::ByteBuffer* response,
                             const UploadEnvironment& env)
    : context_(context),
      response_(response),
      env_(env),
      started_(env.clock->Now()),
      request_id_(RequestId(*context)),
      trace_(CallTrace(*context, *env.random)),
      assembler_(env.max_image_bytes, *env.memory, env.image_policy),
      last_progress_(started_) {
  context_->AddInitialMetadata("x-request-id", request_id_);
  absl::StatusOr<std::string> caller =
      AuthorizeCall(*env_.authorizer, *context_, "UploadProfileImage");
  if (!caller.ok()) {
    env_.in_flight->fetch_add(1);  // Balanced when the call is answered.
    FinishOnce(Failed(caller.status()));
    return;
  }
  caller_ = *std::move(caller);
  if (env_.in_flight->fetch_add(1) >= env_.max_in_flight) {
    absl::Status status = absl::ResourceExhaustedError(
        absl::StrCat("the service is handling its maximum of ",
                     env_.max_in_flight, " uploads; retry shortly"));
    SetRetryDelay(status, absl::Seconds(1));
    FinishOnce(Failed(std::move(status)));
    return;
  }
  Read();
}

void UploadReactor::Read() {
  const absl::Time idle_due = env_.idle_timeout > absl::ZeroDuration()
                                  ? last_progress_ + env_.idle_timeout
                                  : absl::InfiniteFuture();
  const absl::Time due = std::min(idle_due, upload_deadline_);
  if (due != absl::InfiniteFuture()) {
    const bool whole_upload = upload_deadline_ <= idle_due;
    const Timers::Id timer = env_.timers->Schedule(
        due, [this, whole_upload] { OnStreamTimer(whole_upload); });
    absl::MutexLock lock(&mu_);
    // A timer that fired before its id was recorded has finished the call:
    // nothing more may touch it.
    if (finished_) return;
    idle_timer_ = timer;
  }
  StartRead(&request_);
}

// The stream timer fired, so OnReadDone() could not cancel it: this path
// owns the finish.
void UploadReactor::OnStreamTimer(bool whole_upload) {
  FinishOnce(Failed(absl::DeadlineExceededError(
      whole_upload
          ? absl::StrCat("the upload was still sending ",
                         absl::FormatDuration(env_.max_upload_duration),
                         " after its metadata (--max_upload_duration) and "
                         "was abandoned: send the whole image faster")
          : absl::StrCat("no image bytes arrived for ",
                         absl::FormatDuration(env_.idle_timeout),
                         " (empty chunks do not count); the upload was "
                         "abandoned: send chunks without long pauses"))));
}

void UploadReactor::NoteProgress(bool had_metadata, uint64_t had_bytes) {
  const bool metadata_now = !had_metadata && !assembler_.user_id().empty();
  if (!metadata_now && assembler_.received_bytes() == had_bytes) return;
  last_progress_ = env_.clock->Now();
  if (metadata_now && env_.max_upload_duration > absl::ZeroDuration()) {
    upload_deadline_ = last_progress_ + env_.max_upload_duration;
  }
}

void UploadReactor::OnReadDone(bool ok) {
  Timers::Id timer;
  {
    absl::MutexLock lock(&mu_);
    timer = std::exchange(idle_timer_, 0);
  }
  // Already fired: the timer finishes the call (or has), and the read that
  // raced it is dropped.
  if (timer != 0 && !env_.timers->Cancel(timer)) {
    Hook(UploadHookPoint::kReadLostToIdleTimer);
    return;
  }
  if (!ok) {
    // Either the caller half-closed (the image is complete) or the call
    // was cancelled or broke midway: then nothing may be sent.
    if (context_->IsCancelled()) {
      FinishOnce(Failed(absl::CancelledError(
          "the call was cancelled before the image was complete; nothing was "
          "sent to Clerk")));
      return;
    }
    StartUpload();
    return;
  }
  const bool had_metadata = !assembler_.user_id().empty();
  const uint64_t had_bytes = assembler_.received_bytes();
  absl::Status status;
  {
    grpc::ProtoBufferReader reader(&request_);
    status = assembler_.AddSerialized(reader, request_.Length());
  }
  request_.Clear();
  if (!status.ok()) {
    FinishOnce(Failed(std::move(status)));
    return;
  }
  NoteProgress(had_metadata, had_bytes);
  if (!had_metadata && !assembler_.user_id().empty() && !AcceptMetadata()) {
    return;
  }
  Read();
}

bool UploadReactor::AcceptMetadata() {
  absl::StatusOr<ResponseFields::Mask> mask = env_.response_fields->For(
      caller_, assembler_.read_mask(), "metadata.read_mask");
  if (!mask.ok()) {
    FinishOnce(Failed(mask.status()));
    return false;
  }
  absl::StatusOr<Priority> priority =
      RequestPriority(assembler_.priority(), "metadata.priority");
  if (!priority.ok()) {
    FinishOnce(Failed(priority.status()));
    return false;
  }
  response_mask_ = *std::move(mask);
  priority_ = *priority;
  return true;
}

void UploadReactor::StartUpload() {
  absl::StatusOr<AssembledImage> image = assembler_.Finish();
  if (!image.ok()) {
    FinishOnce(Failed(image.status()));
    return;
  }
  if (!image->needs_normalization) {
    SendToClerk(*std::move(image));
    return;
  }
  // The assembler asks for normalization only when the policy says the
  // pool is there. `done` runs on a pool thread, or before Submit returns;
  // gRPC keeps the reactor alive until it is finished.
  auto ticket =
      env_.normalizer->Submit(std::move(image->bytes), image->keep_type,
                              [this](absl::StatusOr<NormalizedBytes> result) {
                                OnNormalized(std::move(result));
                              });
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    normalize_ticket_ = ticket;
    cancelled = cancelled_;
  }
  // OnCancel() came before the ticket was known: cancel it here.
  if (cancelled) env_.normalizer->Cancel(ticket);
}

void UploadReactor::OnNormalized(absl::StatusOr<NormalizedBytes> result) {
  Hook(UploadHookPoint::kNormalized);
  if (!result.ok()) {
    FinishOnce(Failed(result.status()));
    return;
  }
  bool cancelled;
  {
    absl::MutexLock lock(&mu_);
    cancelled = cancelled_;
  }
  if (cancelled) {
    // The converted bytes (and their reservation) go before the answer.
    result = absl::CancelledError(
        "the call was cancelled while its image was converted; nothing was "
        "sent to Clerk");
    FinishOnce(Failed(result.status()));
    return;
  }
  AssembledImage image;
  image.user_id = assembler_.user_id();
  image.filename = SafeFilename(assembler_.filename(), result->type);
  image.content_type = std::string(MimeType(result->type));
  image.bytes = std::move(result->bytes);
  // A cancel from here on is passed to the operation by SendToClerk().
  SendToClerk(std::move(image));
}

void UploadReactor::SendToClerk(AssembledImage image) {
  content_type_ = image.content_type;
  // `done` may run before this returns (an immediate refusal), or on
  // another thread at any time; gRPC keeps the reactor alive until this
  // reaction returns.
  auto operation = env_.clerk->UploadProfileImage(
      std::move(image), absl::FromChrono(context_->deadline()),
      [this](ClerkOutcome outcome) { OnClerkOutcome(std::move(outcome)); },
      {.sender = {.caller = caller_, .priority = priority_}, .trace = trace_});
  Hook(UploadHookPoint::kOperationStarted);
  bool cancelled;
  std::optional<ClerkOutcome> parked;
  {
    absl::MutexLock lock(&mu_);
    operation_ = operation;
    operation_recorded_ = true;
    cancelled = cancelled_;
    parked.swap(parked_outcome_);
  }
  // The outcome came while this ran: finish with it (nothing after that
  // may touch the reactor).
  if (parked) {
    FinishOnce(*std::move(parked));
    return;
  }
  // OnCancel() came before the operation was known: cancel it here.
  if (cancelled) operation->Cancel();
}

void UploadReactor::OnClerkOutcome(ClerkOutcome outcome) {
  Hook(UploadHookPoint::kClerkAnswered);
  {
    absl::MutexLock lock(&mu_);
    // SendToClerk() is still running, maybe on a pool thread gRPC does not
    // wait for: it finishes the call with this once it is done.
    if (!operation_recorded_) {
      parked_outcome_ = std::move(outcome);
      return;
    }
  }
  FinishOnce(std::move(outcome));
}

void UploadReactor::Hook(UploadHookPoint point) {
  if (env_.test_hook) env_.test_hook(point);
}

void UploadReactor::OnCancel() {
  std::shared_ptr<RetryingClerkClient::Operation> operation;
  std::shared_ptr<NormalizerPool::Ticket> ticket;
  {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    operation = operation_;
    ticket = normalize_ticket_;
  }
  if (ticket != nullptr) env_.normalizer->Cancel(ticket);
  if (operation != nullptr) operation->Cancel();
  Hook(UploadHookPoint::kCancelled);
}

bool UploadReactor::TryClaimFinish() {
  absl::MutexLock lock(&mu_);
  if (finished_) return false;
  finished_ = true;
  return true;
}

void UploadReactor::FinishOnce(ClerkOutcome outcome) {
  if (TryClaimFinish()) AnswerAndRecord(std::move(outcome));
}

void UploadReactor::AnswerAndRecord(ClerkOutcome outcome) {
  const absl::Status status = outcome.user.status();
  const absl::Duration latency = env_.clock->Now() - started_;
  // Counted until answered, so a caller that got its answer can start the
  // next upload at once.
  env_.in_flight->fetch_sub(1);
  if (outcome.user.ok()) {
    ResponseFields::Apply(response_mask_, *outcome.user);
    grpc::Slice slice(outcome.user->SerializeAsString());
    *response_ = grpc::ByteBuffer(&slice, 1);
  }
  env_.metrics->RecordUpload(status.code(), assembler_.received_bytes(),
                             latency);
  LogEvent(status.ok() || status.code() == absl::StatusCode::kInvalidArgument ||
                   status.code() == absl::StatusCode::kNotFound ||
                   status.code() == absl::StatusCode::kCancelled
               ? LogLevel::kInfo
               : LogLevel::kWarning,
           "upload_finished",
           {{"request_id", LogString(request_id_)},
            {"peer", LogString(context_->peer())},
            {"caller", LogString(caller_)},
            {"trace_id", LogString(trace_.trace_id)},
            {"span_id", LogString(trace_.span_id)},
            {"user_id", LogString(assembler_.user_id())},
            {"bytes", LogNumber(assembler_.received_bytes())},
            {"content_type", LogString(content_type_)},
            {"attempts", LogNumber(outcome.attempts)},
            {"clerk_status", LogNumber(outcome.http_status)},
            {"clerk_trace_id", LogString(outcome.trace_id)},
            {"code", LogString(absl::StatusCodeToString(status.code()))},
            {"message", LogString(status.message())},
            {"latency_ms", LogNumber(absl::ToDoubleMilliseconds(latency))}});
  Finish(ToGrpcStatus(status));
}

void UploadReactor::OnDone() {
  // Every finisher but the idle timer cancels the timer before finishing,
  // so none is pending here.
  delete this;
}

}  // namespace userimage
