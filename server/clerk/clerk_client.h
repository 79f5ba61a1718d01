#ifndef SERVER_CLERK_CLERK_CLIENT_H_
#define SERVER_CLERK_CLERK_CLIENT_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clerk/userimage/v1/user.pb.h"
#include "server/config/secret_memory.h"
#include "server/http/http_client.h"
#include "server/image/assembled_image.h"
#include "server/metrics/metrics.h"
#include "server/time/clock.h"
#include "server/trace/trace_context.h"

namespace userimage {

// How an attempt failed, for the retry decision.
enum class ClerkFailure {
  kNone,           // it succeeded
  kNotSent,        // the deadline had passed: nothing was sent
  kAnswered,       // Clerk (or a gateway) answered an error status
  kUnreachable,    // no answer: refused, reset, timed out
  kTlsUnverified,  // Clerk's certificate or TLS setup failed: configuration
  kAborted,        // this service aborted it (a cancel, the drain's end)
  kInvalidAnswer,  // a 200 that is not a User, or too large to read
};

// What a request to Clerk (or a delivery with retries) came to.
struct ClerkOutcome {
  absl::StatusOr<clerk::userimage::v1::User> user;
  // The (last) attempt's failure; kNone if it succeeded or none was made.
  ClerkFailure failure = ClerkFailure::kNone;
  // HTTP status of Clerk's last answer; 0 if none came.
  int http_status = 0;
  // Clerk's Retry-After on that answer (either form), uncapped.
  std::optional<absl::Duration> retry_after;
  // Clerk's trace id for the last answer, if it gave one.
  std::string trace_id;
  // Requests sent to Clerk.
  int attempts = 0;
  // The failure is one Clerk may nevertheless have applied: a timeout or a
  // reset after the whole request was sent, a 502 or a 504 (a gateway
  // between us and Clerk gave up; Clerk may have finished the work).
  bool maybe_applied = false;
};

struct ClerkClientOptions {
  // Scheme, host and optional port, no trailing slash, e.g.
  // "https://api.clerk.com".
  std::string api_url = "https://api.clerk.com";
  std::string secret_key;
  // Value of the Clerk-API-Version header.
  std::string api_version = "2026-05-12";
  // Upper bound for one request to Clerk (the caller's deadline may cut it
  // shorter).
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration connect_timeout = absl::Seconds(5);
  // Clerk's answer is dropped past this size (a User is a few KiB): the
  // call fails INTERNAL, reason CLERK_RESPONSE_TOO_LARGE, not retried.
  size_t max_response_bytes = 1 << 20;
};

// Calls Clerk's Backend API user profile-image endpoints, sending what
// Clerk's official JavaScript SDK sends (Authorization: Bearer,
// Clerk-API-Version, multipart/form-data with one part named "file"), and
// maps the answer: a 200 in JSON into a User through protobuf's JSON parser
// (unknown fields ignored), anything else through ClerkErrorToStatus(),
// with Clerk's Retry-After parsed into the outcome. Transport failures keep
// their code and carry ErrorInfo reason CLERK_UNREACHABLE. The user id is
// checked (ValidateUserId) where it is put into the URL: a malformed one is
// INVALID_ARGUMENT and nothing is sent.
//
// Makes one attempt (recorded in `metrics`): retries are
// RetryingClerkClient's. Borrows `http`, `clock` and `metrics`, which must
// outlive it. Thread-safe. Callbacks run on the HttpClient's thread, or on
// the caller's when nothing is sent, and must not block.
class ClerkClient {
 public:
  using Callback = absl::AnyInvocable<void(ClerkOutcome) &&>;

  ClerkClient(ClerkClientOptions options, HttpClient& http, Clock& clock,
              Metrics& metrics);

  // POST /v1/users/{user_id}/profile_image. `deadline` is the caller's;
  // absl::InfiniteFuture() for none. Aborting `abort` stops the request at
  // once (`done` then gets CANCELLED, unless Clerk answered first). With a
  // `trace` (read during the call only), the request carries its
  // traceparent and tracestate headers.
  void UploadProfileImage(const AssembledImage& image, absl::Time deadline,
                          Callback done,
                          std::shared_ptr<AbortSignal> abort = nullptr,
                          const TraceContext* trace = nullptr);

  // DELETE /v1/users/{user_id}/profile_image.
  void DeleteProfileImage(absl::string_view user_id, absl::Time deadline,
                          Callback done,
                          std::shared_ptr<AbortSignal> abort = nullptr,
                          const TraceContext* trace = nullptr);

 private:
  // The endpoint for `user_id`, once its shape is checked.
  absl::StatusOr<std::string> ProfileImageUrl(absl::string_view user_id) const;
  absl::Status ResponseTooLarge(absl::string_view action) const;
  void Send(HttpRequest request, absl::Time deadline, std::string action,
            std::shared_ptr<AbortSignal> abort, const TraceContext* trace,
            Callback done);
  // What the transport's `result` means for a request to `action`.
  ClerkOutcome OutcomeOf(HttpResult result, absl::string_view action) const;
  ClerkOutcome Unreached(const HttpResult& result,
                         absl::string_view action) const;
  ClerkOutcome TlsUnverified(const absl::Status& failure,
                             absl::string_view action) const;
  ClerkOutcome Answered(const HttpResponse& response,
                        absl::string_view action) const;

  // The secret key, out of core dumps (declared first: it is taken from
  // the options before they are moved in, and wiped there).
  const SecretString key_;
  ClerkClientOptions options_;  // Immutable; secret_key is wiped.
  HttpClient& http_;
  Clock& clock_;
  Metrics& metrics_;
};

// Parses a 200 response body into a User. Exposed for tests.
absl::StatusOr<clerk::userimage::v1::User> ParseUser(
    const HttpResponse& response);

// ErrorInfo reason of a failure to get any HTTP answer from Clerk.
inline constexpr absl::string_view kClerkUnreachable = "CLERK_UNREACHABLE";
// ErrorInfo reason of a Clerk whose certificate could not be verified, or
// of TLS that could not be set up (FAILED_PRECONDITION, not retried).
inline constexpr absl::string_view kClerkTlsUnverified = "CLERK_TLS_UNVERIFIED";
// ErrorInfo reason of an answer larger than max_response_bytes.
inline constexpr absl::string_view kClerkResponseTooLarge =
    "CLERK_RESPONSE_TOO_LARGE";

}  // namespace userimage

#endif  // SERVER_CLERK_CLERK_CLIENT_H_
