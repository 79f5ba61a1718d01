#ifndef SERVER_CLERK_USER_ID_H_
#define SERVER_CLERK_USER_ID_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace userimage {

// The longest user id accepted. Clerk's ids are "user_" plus 27 base62
// characters; the bound leaves room for other lengths without letting a
// caller send arbitrary text into a URL.
inline constexpr size_t kMaxUserIdLength = 64;

// Checks that `user_id` has the shape of a Clerk user id: "user_" followed
// by 1 or more ASCII letters and digits, at most kMaxUserIdLength in all.
// Anything else (empty, "..", "/", "%", spaces, control characters) is an
// INVALID_ARGUMENT error about `field`, so the id is always safe to place
// in a URL path unescaped. Pure; thread-safe.
absl::Status ValidateUserId(absl::string_view user_id, absl::string_view field);

}  // namespace userimage

#endif  // SERVER_CLERK_USER_ID_H_
