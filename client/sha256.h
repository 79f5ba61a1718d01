#ifndef CLIENT_SHA256_H_
#define CLIENT_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace clerk::userimage::client {

// Returns the SHA-256 digest of `data` as 64 lowercase hex characters.
std::string Sha256Hex(absl::string_view data);

}  // namespace clerk::userimage::client

#endif  // CLIENT_SHA256_H_
