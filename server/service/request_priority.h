#ifndef SERVER_SERVICE_REQUEST_PRIORITY_H_
#define SERVER_SERVICE_REQUEST_PRIORITY_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "clerk/userimage/v1/user_image_service.pb.h"
#include "server/ratelimit/fair_queue.h"

namespace userimage {

// The gate's priority for a request's `priority` field (named `field` in
// errors): unset and PRIORITY_INTERACTIVE are interactive. A value the
// service does not know (a newer client's) is INVALID_ARGUMENT with a
// BadRequest violation of `field` and reason UNKNOWN_PRIORITY, rather than
// a guess. Thread-safe.
absl::StatusOr<Priority> RequestPriority(
    clerk::userimage::v1::Priority priority, absl::string_view field);

}  // namespace userimage

#endif  // SERVER_SERVICE_REQUEST_PRIORITY_H_
