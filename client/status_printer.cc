#include "client/status_printer.h"

#include <map>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "client/status_from_grpc.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace clerk::userimage::client {
namespace {

void AppendErrorInfo(const google::rpc::ErrorInfo& info, std::string& out) {
  absl::StrAppend(&out, "  reason: ", info.reason());
  if (!info.domain().empty()) absl::StrAppend(&out, " (", info.domain(), ")");
  absl::StrAppend(&out, "\n");
  // Sorted, so that the output does not depend on map order.
  std::map<std::string, std::string> metadata(info.metadata().begin(),
                                              info.metadata().end());
  for (const auto& [key, value] : metadata) {
    absl::StrAppend(&out, "    ", key, ": ", value, "\n");
  }
}

void AppendRetryInfo(const google::rpc::RetryInfo& info, std::string& out) {
  absl::Duration delay = absl::Seconds(info.retry_delay().seconds()) +
                         absl::Nanoseconds(info.retry_delay().nanos());
  absl::StrAppend(&out, "  retry after: ", absl::ToDoubleSeconds(delay), "s\n");
}

void AppendBadRequest(const google::rpc::BadRequest& request,
                      std::string& out) {
  for (const auto& violation : request.field_violations()) {
    absl::StrAppend(&out, "  invalid field ", violation.field(), ": ",
                    violation.description(), "\n");
  }
}

void AppendDetail(const google::protobuf::Any& detail, std::string& out) {
  google::rpc::ErrorInfo error_info;
  google::rpc::RetryInfo retry_info;
  google::rpc::BadRequest bad_request;
  if (detail.Is<google::rpc::ErrorInfo>() && detail.UnpackTo(&error_info)) {
    AppendErrorInfo(error_info, out);
  } else if (detail.Is<google::rpc::RetryInfo>() &&
             detail.UnpackTo(&retry_info)) {
    AppendRetryInfo(retry_info, out);
  } else if (detail.Is<google::rpc::BadRequest>() &&
             detail.UnpackTo(&bad_request)) {
    AppendBadRequest(bad_request, out);
  } else {
    absl::StrAppend(&out, "  detail: ", detail.type_url(), "\n");
  }
}

}  // namespace

std::string FormatError(const absl::Status& status) {
  std::string out =
      absl::StrCat("error: ", absl::StatusCodeToString(status.code()), ": ",
                   status.message(), "\n");
  absl::optional<absl::Cord> payload = status.GetPayload(kRpcStatusTypeUrl);
  if (!payload.has_value()) return out;
  google::rpc::Status rpc_status;
  if (!rpc_status.ParseFromString(std::string(*payload))) {
    absl::StrAppend(&out, "  (unreadable error details)\n");
    return out;
  }
  for (const google::protobuf::Any& detail : rpc_status.details()) {
    AppendDetail(detail, out);
  }
  return out;
}

}  // namespace clerk::userimage::client
