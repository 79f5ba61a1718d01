#include "server/status/status_to_grpc.h"

#include <string>

#include "absl/strings/cord.h"
#include "google/rpc/status.pb.h"

namespace userimage {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering.
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  google::rpc::Status rpc_status;
  status.ForEachPayload(
      [&rpc_status](absl::string_view type_url, const absl::Cord& payload) {
        auto* any = rpc_status.add_details();
        any->set_type_url(std::string(type_url));
        any->set_value(std::string(payload));
      });
  if (rpc_status.details_size() == 0) return grpc::Status(code, message);
  rpc_status.set_code(static_cast<int>(code));
  rpc_status.set_message(message);
  return grpc::Status(code, message, rpc_status.SerializeAsString());
}

}  // namespace userimage
