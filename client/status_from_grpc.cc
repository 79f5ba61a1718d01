#include "client/status_from_grpc.h"

#include "absl/strings/cord.h"

namespace clerk::userimage::client {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // gRPC and absl share the canonical code numbering.
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
  if (!status.error_details().empty()) {
    result.SetPayload(kRpcStatusTypeUrl, absl::Cord(status.error_details()));
  }
  return result;
}

}  // namespace clerk::userimage::client
