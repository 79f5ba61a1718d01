#include "server/clerk/user_id.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "server/status/status_details.h"

namespace userimage {

absl::Status ValidateUserId(absl::string_view user_id,
                            absl::string_view field) {
  constexpr absl::string_view kPrefix = "user_";
  if (user_id.empty()) {
    return InvalidFieldError(
        field, "MISSING_USER_ID",
        absl::StrFormat("%s is required: set it to the Clerk user id, "
                        "e.g. user_2NNEqL2nrIRdJ194ndJqAHwEfxC",
                        field));
  }
  bool ok = user_id.size() > kPrefix.size() &&
            user_id.size() <= kMaxUserIdLength &&
            absl::StartsWith(user_id, kPrefix);
  for (char c : user_id.substr(std::min(user_id.size(), kPrefix.size()))) {
    ok = ok && absl::ascii_isalnum(static_cast<unsigned char>(c));
  }
  if (!ok) {
    return InvalidFieldError(
        field, "INVALID_USER_ID",
        absl::StrFormat("%s must be a Clerk user id: \"user_\" followed by "
                        "letters and digits, at most %d characters in all",
                        field, kMaxUserIdLength));
  }
  return absl::OkStatus();
}

}  // namespace userimage
