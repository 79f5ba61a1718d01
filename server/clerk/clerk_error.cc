#include "server/clerk/clerk_error.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "clerk/userimage/internal/v1/clerk_errors.pb.h"
#include "clerk/userimage/v1/user.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/error_details.pb.h"
#include "server/status/status_details.h"

namespace userimage {

absl::StatusCode StatusCodeForHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
    case 413:
    case 415:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 404:
      return absl::StatusCode::kNotFound;
    case 401:
    case 403:
      return absl::StatusCode::kInternal;
    case 408:
      return absl::StatusCode::kDeadlineExceeded;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      break;
  }
  if (http_status >= 400 && http_status < 500) {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (http_status >= 500 && http_status < 600) {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kUnknown;
}

namespace {

// Parses a Clerk error body; false if it is not one.
bool ParseClerkErrors(const HttpResponse& response,
                      clerk::userimage::internal::v1::ClerkErrors* errors) {
  if (response.status == 200) return false;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  return google::protobuf::util::JsonStringToMessage(response.body, errors,
                                                     options)
      .ok();
}

std::string HeaderTraceId(const HttpResponse& response) {
  return std::string(response.Header("clerk-trace-id")
                         .value_or(response.Header("cf-ray").value_or("")));
}

}  // namespace

std::string ClerkTraceId(const HttpResponse& response) {
  clerk::userimage::internal::v1::ClerkErrors errors;
  if (ParseClerkErrors(response, &errors) && !errors.clerk_trace_id().empty()) {
    return errors.clerk_trace_id();
  }
  return HeaderTraceId(response);
}

absl::Status ClerkErrorToStatus(const HttpResponse& response,
                                absl::string_view action) {
  clerk::userimage::internal::v1::ClerkErrors errors;
  const bool parsed = ParseClerkErrors(response, &errors);
  std::string trace_id = errors.clerk_trace_id();
  if (trace_id.empty()) trace_id = HeaderTraceId(response);

  google::rpc::ErrorInfo info;
  info.set_domain(std::string(kClerkErrorDomain));
  (*info.mutable_metadata())["http_status"] = absl::StrCat(response.status);
  if (!trace_id.empty())
    (*info.mutable_metadata())["clerk_trace_id"] = trace_id;

  std::string message =
      absl::StrCat("Clerk refused to ", action, " (HTTP ", response.status);
  if (parsed && errors.errors_size() > 0) {
    const clerk::userimage::v1::ClerkError& first = errors.errors(0);
    info.set_reason(first.code());
    absl::StrAppend(
        &message, " ", first.code(), "): ",
        first.long_message().empty() ? first.message() : first.long_message());
    auto param = first.meta().fields().find("param_name");
    if (param != first.meta().fields().end()) {
      (*info.mutable_metadata())["param_name"] = param->second.string_value();
    }
  } else {
    info.set_reason(absl::StrCat("HTTP_", response.status));
    absl::StrAppend(&message, ", no Clerk error body)");
  }
  if (response.status == 401 || response.status == 403) {
    absl::StrAppend(&message,
                    "; this service's Clerk secret key was rejected: its "
                    "operators must fix the configuration");
  }
  if (!trace_id.empty()) {
    absl::StrAppend(&message, " [clerk_trace_id=", trace_id, "]");
  }
  absl::Status status(StatusCodeForHttpStatus(response.status), message);
  SetDetail(status, info);
  return status;
}

}  // namespace userimage
