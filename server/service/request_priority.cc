#include "server/service/request_priority.h"

#include "absl/strings/str_cat.h"
#include "server/status/status_details.h"

namespace userimage {

absl::StatusOr<Priority> RequestPriority(
    clerk::userimage::v1::Priority priority, absl::string_view field) {
  switch (priority) {
    case clerk::userimage::v1::PRIORITY_UNSPECIFIED:
    case clerk::userimage::v1::PRIORITY_INTERACTIVE:
      return Priority::kInteractive;
    case clerk::userimage::v1::PRIORITY_BULK:
      return Priority::kBulk;
    default:
      return InvalidFieldError(
          field, "UNKNOWN_PRIORITY",
          absl::StrCat(field, " ", static_cast<int>(priority),
                       " is not a priority this service knows: use "
                       "PRIORITY_INTERACTIVE (the default) or PRIORITY_BULK"));
  }
}

}  // namespace userimage
