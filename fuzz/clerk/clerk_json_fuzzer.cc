// Fuzzes what comes back from Clerk: a 200 body through ParseUser (Clerk
// JSON -> User via protobuf's JSON parser) and an error body through
// ClerkErrorToStatus.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "server/clerk/clerk_client.h"
#include "server/clerk/clerk_error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  userimage::HttpResponse response;
  response.status = 200;
  response.headers = {{"content-type", "application/json"}};
  response.body.assign(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<clerk::userimage::v1::User> user = userimage::ParseUser(response);
  if (user.ok() && (user->object() != "user" || user->id().empty())) std::abort();

  for (int status : {400, 401, 404, 429, 503}) {
    response.status = status;
    absl::Status error = userimage::ClerkErrorToStatus(response, "upload");
    if (error.ok()) std::abort();
    userimage::ClerkTraceId(response);
  }
  return 0;
}
