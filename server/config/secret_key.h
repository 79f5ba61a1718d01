#ifndef SERVER_CONFIG_SECRET_KEY_H_
#define SERVER_CONFIG_SECRET_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// Returns the Clerk secret key: the contents of `key_file` (surrounding
// whitespace trimmed) when a path is given, else `env_value` (the
// CLERK_SECRET_KEY environment variable; nullptr when unset). A missing or
// empty key, or one with characters that cannot go in an HTTP header, is a
// FAILED_PRECONDITION error. Error messages never contain the key. Pure
// apart from reading the file; thread-safe.
absl::StatusOr<std::string> LoadSecretKey(const char* env_value,
                                          absl::string_view key_file);

}  // namespace userimage

#endif  // SERVER_CONFIG_SECRET_KEY_H_
