#ifndef SERVER_STATUS_STATUS_TO_GRPC_H_
#define SERVER_STATUS_STATUS_TO_GRPC_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace userimage {

// The one conversion from the absl::Status used inside the service to the
// grpc::Status sent to callers. The code and message carry over unchanged;
// payloads set by SetDetail() become the details of a google.rpc.Status in
// the `grpc-status-details-bin` trailer. Pure; thread-safe.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace userimage

#endif  // SERVER_STATUS_STATUS_TO_GRPC_H_
