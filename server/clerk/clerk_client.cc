#include "server/clerk/clerk_client.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "server/clerk/clerk_error.h"
#include "server/clerk/user_id.h"
#include "server/json/json_to_message.h"
#include "server/log/json_log.h"
#include "server/retry/retry_after.h"
#include "server/status/status_details.h"

namespace userimage {

using ::clerk::userimage::v1::User;

ClerkClient::ClerkClient(ClerkClientOptions options, HttpClient& http,
                         Clock& clock, Metrics& metrics)
    : key_(options.secret_key),
      options_(std::move(options)),
      http_(http),
      clock_(clock),
      metrics_(metrics) {
  Wipe(options_.secret_key);
}

absl::StatusOr<std::string> ClerkClient::ProfileImageUrl(
    absl::string_view user_id) const {
  // The id goes into the URL's path unescaped: only its checked shape may.
  if (absl::Status s = ValidateUserId(user_id, "user_id"); !s.ok()) return s;
  return absl::StrCat(options_.api_url, "/v1/users/", user_id,
                      "/profile_image");
}

void ClerkClient::UploadProfileImage(const AssembledImage& image,
                                     absl::Time deadline, Callback done,
                                     std::shared_ptr<AbortSignal> abort,
                                     const TraceContext* trace) {
  absl::StatusOr<std::string> url = ProfileImageUrl(image.user_id);
  if (!url.ok()) {
    std::move(done)(ClerkOutcome{url.status(), ClerkFailure::kNotSent});
    return;
  }
  HttpRequest request;
  request.method = "POST";
  request.url = *std::move(url);
  request.multipart_file =
      MultipartFile{"file", image.filename, image.content_type, image.bytes};
  Send(std::move(request), deadline, "upload the profile image",
       std::move(abort), trace, std::move(done));
}

void ClerkClient::DeleteProfileImage(absl::string_view user_id,
                                     absl::Time deadline, Callback done,
                                     std::shared_ptr<AbortSignal> abort,
                                     const TraceContext* trace) {
  absl::StatusOr<std::string> url = ProfileImageUrl(user_id);
  if (!url.ok()) {
    std::move(done)(ClerkOutcome{url.status(), ClerkFailure::kNotSent});
    return;
  }
  HttpRequest request;
  request.method = "DELETE";
  request.url = *std::move(url);
  Send(std::move(request), deadline, "delete the profile image",
       std::move(abort), trace, std::move(done));
}

absl::Status ClerkClient::ResponseTooLarge(absl::string_view action) const {
  absl::Status status = absl::InternalError(absl::StrCat(
      "Clerk's answer to the request to ", action, " was larger than ",
      options_.max_response_bytes,
      " bytes (--clerk_max_response_bytes) and was dropped; Clerk may have "
      "applied the change"));
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(kClerkResponseTooLarge));
  info.set_domain(std::string(kServiceErrorDomain));
  SetDetail(status, info);
  return status;
}

void ClerkClient::Send(HttpRequest request, absl::Time deadline,
                       std::string action, std::shared_ptr<AbortSignal> abort,
                       const TraceContext* trace, Callback done) {
  const absl::Duration left = deadline - clock_.Now();
  if (left <= absl::ZeroDuration()) {
    std::move(done)(ClerkOutcome{
        absl::DeadlineExceededError(absl::StrCat(
            "the call's deadline passed before Clerk was asked to ", action)),
        ClerkFailure::kNotSent});
    return;
  }
  const uint64_t body_bytes =
      request.multipart_file ? request.multipart_file->data->size() : 0;
  const absl::Time sent = clock_.Now();
  request.headers = {
      {"Authorization", absl::StrCat("Bearer ", key_.view())},
      {"Clerk-API-Version", options_.api_version},
      {"Accept", "application/json"},
  };
  if (trace != nullptr) {
    request.headers.emplace_back("traceparent", trace->Traceparent());
    if (!trace->tracestate.empty()) {
      request.headers.emplace_back("tracestate", trace->tracestate);
    }
  }
  request.timeout = std::min(options_.request_timeout, left);
  request.connect_timeout = std::min(options_.connect_timeout, request.timeout);
  request.abort = std::move(abort);
  request.max_response_bytes = options_.max_response_bytes;
  http_.Send(std::move(request), [this, action = std::move(action),
                                  done = std::move(done), body_bytes,
                                  sent](HttpResult result) mutable {
    const HttpResponse* response =
        result.response.ok() ? &*result.response : nullptr;
    metrics_.RecordClerkRequest(response != nullptr ? response->status : 0,
                                clock_.Now() - sent, body_bytes);
    std::move(done)(OutcomeOf(std::move(result), action));
  });
}

ClerkOutcome ClerkClient::OutcomeOf(HttpResult result,
                                    absl::string_view action) const {
  if (!result.response.ok()) {
    if (result.response.status().code() == absl::StatusCode::kOutOfRange) {
      ClerkOutcome outcome{ResponseTooLarge(action),
                           ClerkFailure::kInvalidAnswer};
      outcome.attempts = 1;
      return outcome;
    }
    if (result.response.status().code() ==
        absl::StatusCode::kFailedPrecondition) {
      return TlsUnverified(result.response.status(), action);
    }
    return Unreached(result, action);
  }
  if (result.response->status != 200) {
    return Answered(*result.response, action);
  }
  ClerkOutcome outcome{ParseUser(*result.response), ClerkFailure::kNone};
  outcome.attempts = 1;
  outcome.http_status = 200;
  outcome.trace_id = ClerkTraceId(*result.response);
  if (!outcome.user.ok()) outcome.failure = ClerkFailure::kInvalidAnswer;
  return outcome;
}

// No HTTP answer: a transport failure, or the request was aborted.
ClerkOutcome ClerkClient::Unreached(const HttpResult& result,
                                    absl::string_view action) const {
  const absl::Status& failure = result.response.status();
  absl::Status status(failure.code(),
                      absl::StrCat("could not reach Clerk to ", action, ": ",
                                   failure.message()));
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(kClerkUnreachable));
  info.set_domain(std::string(kServiceErrorDomain));
  SetDetail(status, info);
  ClerkOutcome outcome{std::move(status),
                       failure.code() == absl::StatusCode::kCancelled
                           ? ClerkFailure::kAborted
                           : ClerkFailure::kUnreachable};
  outcome.attempts = 1;
  outcome.maybe_applied = result.request_sent;
  return outcome;
}

// TLS to Clerk failed before anything was sent: the peer's certificate
// does not verify or TLS cannot be set up. Waiting will not fix it, so it
// is not an outage: operators are told at error level.
ClerkOutcome ClerkClient::TlsUnverified(const absl::Status& failure,
                                        absl::string_view action) const {
  absl::Status status = absl::FailedPreconditionError(
      absl::StrCat("could not verify Clerk's TLS certificate or set up TLS to ",
                   options_.api_url, " to ", action, ": ", failure.message(),
                   ". This is the service's configuration, not the call: check "
                   "--clerk_api_url and the system's CA certificates"));
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(kClerkTlsUnverified));
  info.set_domain(std::string(kServiceErrorDomain));
  SetDetail(status, info);
  LogEvent(LogLevel::kError, "clerk_tls_unverified",
           {{"clerk_api_url", LogString(options_.api_url)},
            {"message", LogString(failure.message())}});
  ClerkOutcome outcome{std::move(status), ClerkFailure::kTlsUnverified};
  outcome.attempts = 1;
  return outcome;
}

// An HTTP answer other than 200: Clerk's error, typed.
ClerkOutcome ClerkClient::Answered(const HttpResponse& response,
                                   absl::string_view action) const {
  absl::Status status = ClerkErrorToStatus(response, action);
  if (response.status == 401 || response.status == 403) {
    // Not the caller's fault: this service is misconfigured.
    LogEvent(LogLevel::kError, "clerk_rejected_secret_key",
             {{"http_status", LogNumber(response.status)},
              {"message", LogString(status.message())}});
  }
  ClerkOutcome outcome{std::move(status), ClerkFailure::kAnswered};
  outcome.attempts = 1;
  outcome.http_status = response.status;
  outcome.maybe_applied = response.status == 502 || response.status == 504;
  outcome.trace_id = ClerkTraceId(response);
  if (auto header = response.Header("retry-after")) {
    outcome.retry_after = ParseRetryAfter(*header, clock_.Now());
  }
  return outcome;
}

absl::StatusOr<User> ParseUser(const HttpResponse& response) {
  const absl::string_view content_type =
      response.Header("content-type").value_or("");
  if (!absl::StartsWithIgnoreCase(content_type, "application/json")) {
    return absl::InternalError(
        absl::StrCat("Clerk answered 200 with Content-Type \"", content_type,
                     "\" instead of a User in JSON"));
  }
  User user;
  const absl::Status parsed = JsonToMessage(response.body, &user);
  if (!parsed.ok()) {
    return absl::InternalError(absl::StrCat(
        "Clerk answered 200 with JSON that is not a User: ", parsed.message()));
  }
  if (user.object() != "user" || user.id().empty()) {
    return absl::InternalError(absl::StrCat(
        "Clerk answered 200 with an object that is not a User (object \"",
        user.object(), "\")"));
  }
  return user;
}

}  // namespace userimage
