#include "server/status/status_details.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace userimage {

void SetDetail(absl::Status& status, const google::protobuf::Message& detail) {
  status.SetPayload(
      absl::StrCat("type.googleapis.com/", detail.GetDescriptor()->full_name()),
      absl::Cord(detail.SerializeAsString()));
}

void SetRetryDelay(absl::Status& status, absl::Duration delay) {
  delay =
      absl::Ceil(std::max(delay, absl::ZeroDuration()), absl::Milliseconds(1));
  const int64_t seconds = absl::ToInt64Seconds(delay);
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(seconds);
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(
      absl::ToInt64Nanoseconds(delay - absl::Seconds(seconds))));
  SetDetail(status, retry);
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
