#include "client/user_image_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "client/sha256.h"
#include "client/status_from_grpc.h"

namespace clerk::userimage::client {
namespace {

absl::Status CheckTimeout(absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "timeout must be positive, got ", absl::FormatDuration(timeout)));
  }
  return absl::OkStatus();
}

}  // namespace

UserImageClient::UserImageClient(std::shared_ptr<grpc::Channel> channel,
                                 std::string bearer_token)
    : stub_(v1::UserImageService::NewStub(std::move(channel))),
      bearer_token_(std::move(bearer_token)) {}

void UserImageClient::Prepare(absl::Duration timeout,
                              grpc::ClientContext& context) const {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  if (!bearer_token_.empty()) {
    context.AddMetadata("authorization", "Bearer " + bearer_token_);
  }
}

absl::StatusOr<v1::User> UserImageClient::UploadProfileImage(
    const UploadOptions& options, absl::string_view image) {
  if (options.chunk_size == 0 || options.chunk_size > kMaxChunkSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("chunk_size must be between 1 and ", kMaxChunkSize,
                     " bytes, got ", options.chunk_size));
  }
  if (absl::Status status = CheckTimeout(options.timeout); !status.ok()) {
    return status;
  }

  v1::UploadProfileImageRequest request;
  v1::ImageMetadata& metadata = *request.mutable_metadata();
  metadata.set_user_id(options.user_id);
  metadata.set_priority(options.priority);
  metadata.set_filename(options.filename);
  metadata.set_content_type(options.content_type);
  metadata.set_total_size(image.size());
  if (options.send_digest) metadata.set_sha256(Sha256Hex(image));

  grpc::ClientContext context;
  Prepare(options.timeout, context);
  v1::User user;
  std::unique_ptr<grpc::ClientWriter<v1::UploadProfileImageRequest>> writer =
      stub_->UploadProfileImage(&context, &user);

  // A failed Write means the call is over; Finish then reports why.
  bool stream_open = writer->Write(request);
  for (size_t sent = 0; stream_open && sent < image.size();) {
    absl::string_view chunk = image.substr(sent, options.chunk_size);
    request.set_chunk(chunk.data(), chunk.size());
    stream_open = writer->Write(request);
    if (!stream_open) break;
    sent += chunk.size();
    if (options.progress) options.progress(sent, image.size());
  }
  if (stream_open) writer->WritesDone();

  absl::Status status = FromGrpcStatus(writer->Finish());
  if (!status.ok()) return status;
  return user;
}

absl::StatusOr<v1::User> UserImageClient::DeleteProfileImage(
    absl::string_view user_id, absl::Duration timeout) {
  if (absl::Status status = CheckTimeout(timeout); !status.ok()) return status;

  v1::DeleteProfileImageRequest request;
  request.set_user_id(std::string(user_id));
  grpc::ClientContext context;
  Prepare(timeout, context);
  v1::User user;
  absl::Status status =
      FromGrpcStatus(stub_->DeleteProfileImage(&context, request, &user));
  if (!status.ok()) return status;
  return user;
}

}  // namespace clerk::userimage::client
