#include "tools/clerk_emulator/clerk_errors.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "tools/clerk_emulator/json.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::Struct;

}  // namespace

ClerkError TooManyRequests() {
  return {429, "too_many_requests", "Too many requests",
          "Too many requests, please retry later."};
}

ClerkError InternalClerkError() {
  return {500, "internal_clerk_error", "Oops, an unexpected error occurred",
          "There was an internal error on our servers. We've been notified "
          "and are working on fixing it."};
}

ClerkError ServiceUnavailable() {
  return {503, "service_unavailable", "Service unavailable",
          "Service temporarily unavailable"};
}

ClerkError GatewayTimeout() {
  return {504, "gateway_timeout", "Gateway timeout",
          "A request to a 3rd party service timed out"};
}

ClerkError AuthorizationHeaderFormatInvalid() {
  return {401, "authorization_header_format_invalid",
          "Invalid Authorization header format",
          "Invalid Authorization header format. Must be 'Bearer "
          "<YOUR_API_KEY>'"};
}

ClerkError ClerkKeyInvalid() {
  return {401, "clerk_key_invalid", "Secret Key invalid",
          "The provided Clerk Secret Key is invalid. Make sure that your "
          "Clerk Secret Key is correct."};
}

ClerkError ApiVersionInvalid(absl::string_view reason) {
  return {400, "api_version_invalid", "Invalid Clerk API version",
          absl::StrCat("Invalid Clerk API version: ", reason)};
}

ClerkError ResourceNotFound() {
  return {404, "resource_not_found", "Resource not found",
          "Resource not found"};
}

ClerkError FormParamMissing(absl::string_view param_name) {
  return {400,
          "form_param_missing",
          "Image file missing",
          "There was no image file present in the request",
          {{"param_name", std::string(param_name)}}};
}

ClerkError ImageTooLarge() {
  return {413, "image_too_large", "Image too large",
          "The image being uploaded is more than 10MB. Please choose a "
          "smaller one."};
}

ClerkError ImageDecodeError() {
  return {400, "request_body_invalid", "Image decode error",
          "The image could not be decoded. Please ensure the image is valid "
          "and try again."};
}

ClerkError FormParamValueInvalid(absl::string_view param_name) {
  ClerkError error{
      422, "form_param_value_invalid", "Invalid value",
      absl::StrCat("The value of ", param_name, " could not be processed.")};
  error.meta["param_name"] = std::string(param_name);
  return error;
}

std::string RenderClerkErrors(const ClerkError& error,
                              absl::string_view trace_id) {
  Struct entry;
  auto& fields = *entry.mutable_fields();
  fields["message"].set_string_value(error.message);
  fields["long_message"].set_string_value(error.long_message);
  fields["code"].set_string_value(error.code);
  auto& meta = *fields["meta"].mutable_struct_value()->mutable_fields();
  for (const auto& [key, value] : error.meta) meta[key].set_string_value(value);

  Struct body;
  auto& body_fields = *body.mutable_fields();
  *body_fields["errors"]
       .mutable_list_value()
       ->add_values()
       ->mutable_struct_value() = std::move(entry);
  body_fields["clerk_trace_id"].set_string_value(std::string(trace_id));

  return PrintJson(body);
}

}  // namespace clerk::emulator
