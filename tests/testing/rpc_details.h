#ifndef TESTS_TESTING_RPC_DETAILS_H_
#define TESTS_TESTING_RPC_DETAILS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "client/status_from_grpc.h"
#include "google/rpc/status.pb.h"

namespace userimage {

// The rich detail of type T the server attached to a failed call, as the
// client library keeps it (the kRpcStatusTypeUrl payload); nullopt if none.
template <typename T>
std::optional<T> RpcDetail(const absl::Status& status) {
  auto payload = status.GetPayload(clerk::userimage::client::kRpcStatusTypeUrl);
  if (!payload) return std::nullopt;
  google::rpc::Status rpc;
  if (!rpc.ParseFromString(std::string(*payload))) return std::nullopt;
  for (const auto& any : rpc.details()) {
    T detail;
    if (any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

}  // namespace userimage

#endif  // TESTS_TESTING_RPC_DETAILS_H_
