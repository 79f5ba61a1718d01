#ifndef TOOLS_CLERK_EMULATOR_CLERK_ERRORS_H_
#define TOOLS_CLERK_EMULATOR_CLERK_ERRORS_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace clerk::emulator {

// One Clerk API error (`ClerkError` in Clerk's OpenAPI spec) together with
// the HTTP status it is sent with.
struct ClerkError {
  int http_status = 500;
  std::string code;
  std::string message;
  std::string long_message;
  std::map<std::string, std::string> meta;
};

// The errors the emulator answers with, worded as in Clerk's error catalog.
ClerkError TooManyRequests();
ClerkError InternalClerkError();
ClerkError ServiceUnavailable();
ClerkError GatewayTimeout();
ClerkError AuthorizationHeaderFormatInvalid();
ClerkError ClerkKeyInvalid();
ClerkError ApiVersionInvalid(absl::string_view reason);
ClerkError ResourceNotFound();
ClerkError FormParamMissing(absl::string_view param_name);
ClerkError ImageTooLarge();
ClerkError ImageDecodeError();
ClerkError FormParamValueInvalid(absl::string_view param_name);

// Renders `{"errors":[error],"clerk_trace_id":trace_id}` (Clerk's
// `ClerkErrors` body); `meta` is always present, possibly empty.
std::string RenderClerkErrors(const ClerkError& error,
                              absl::string_view trace_id);

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_CLERK_ERRORS_H_
