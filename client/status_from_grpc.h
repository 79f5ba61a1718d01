#ifndef CLIENT_STATUS_FROM_GRPC_H_
#define CLIENT_STATUS_FROM_GRPC_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace clerk::userimage::client {

// Type URL of the absl::Status payload that holds a call's rich error
// details: the serialized google.rpc.Status sent by the server.
inline constexpr absl::string_view kRpcStatusTypeUrl =
    "type.googleapis.com/google.rpc.Status";

// Converts the status of a gRPC call, keeping its code and message. The
// call's error details, if any, are kept as the payload kRpcStatusTypeUrl.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace clerk::userimage::client

#endif  // CLIENT_STATUS_FROM_GRPC_H_
