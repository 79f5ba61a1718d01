#ifndef SERVER_STATUS_STATUS_DETAILS_H_
#define SERVER_STATUS_STATUS_DETAILS_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "google/rpc/error_details.pb.h"

namespace userimage {

// Rich error details travel inside absl::Status as payloads: each payload
// is a serialized google.rpc detail message keyed by its type URL
// ("type.googleapis.com/google.rpc.ErrorInfo"). At the RPC edge they become
// the `details` of a google.rpc.Status (see status_to_grpc.h). Pure functions;
// thread-compatible.

// The error domain of errors this service raises itself.
inline constexpr absl::string_view kServiceErrorDomain = "userimage.clerk.v1";
// The error domain of errors Clerk reported.
inline constexpr absl::string_view kClerkErrorDomain = "api.clerk.com";

// Attaches `detail` to `status` (replacing a detail of the same type).
void SetDetail(absl::Status& status, const google::protobuf::Message& detail);

// Reads back a detail of type `T` if `status` carries one.
template <typename T>
std::optional<T> GetDetail(const absl::Status& status) {
  auto payload = status.GetPayload(
      absl::StrCat("type.googleapis.com/", T::descriptor()->full_name()));
  if (!payload) return std::nullopt;
  T detail;
  if (!detail.ParseFromString(std::string(*payload))) return std::nullopt;
  return detail;
}

// Attaches a google.rpc.RetryInfo saying a retry can succeed after `delay`
// (rounded up to whole milliseconds).
void SetRetryDelay(absl::Status& status, absl::Duration delay);

// An INVALID_ARGUMENT error about one request field, with a
// google.rpc.BadRequest field violation and an ErrorInfo whose reason is
// `reason` (UPPER_SNAKE_CASE) in this service's domain.
absl::Status InvalidFieldError(absl::string_view field,
                               absl::string_view reason,
                               absl::string_view message);

}  // namespace userimage

#endif  // SERVER_STATUS_STATUS_DETAILS_H_
