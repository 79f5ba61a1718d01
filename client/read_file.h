#ifndef CLIENT_READ_FILE_H_
#define CLIENT_READ_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace clerk::userimage::client {

// Returns the whole contents of the file at `path`. Errors carry the code
// that matches the system error (e.g. NOT_FOUND, PERMISSION_DENIED) and name
// the path.
absl::StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace clerk::userimage::client

#endif  // CLIENT_READ_FILE_H_
