#include "server/status/status_details.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace userimage {

void SetDetail(absl::Status& status, const google::protobuf::Message& detail) {
  status.SetPayload(
      absl::StrCat("type.googleapis.com/", detail.GetDescriptor()->full_name()),
      absl::Cord(detail.SerializeAsString()));
}

absl::Status InvalidFieldError(absl::string_view field,
                               absl::string_view reason,
                               absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  google::rpc::BadRequest bad_request;
  auto* violation = bad_request.add_field_violations();
  violation->set_field(std::string(field));
  violation->set_description(std::string(message));
  SetDetail(status, bad_request);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kServiceErrorDomain));
  SetDetail(status, info);
  return status;
}

}  // namespace userimage
