#ifndef SERVER_CLERK_CLERK_ERROR_H_
#define SERVER_CLERK_CLERK_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "server/http/http_client.h"

namespace userimage {

// The gRPC status code for a Clerk HTTP error status. The table, also in
// docs/errors.md:
//
//   400, 413, 415, 422   INVALID_ARGUMENT    the image or request is wrong
//   404                  NOT_FOUND           no such user
//   401, 403             INTERNAL            this service's key is wrong or
//                                            lacks rights: not the caller's
//                                            fault
//   402, 409, 423        FAILED_PRECONDITION the instance or user is in a
//                                            state that forbids the change
//   408                  DEADLINE_EXCEEDED
//   429                  RESOURCE_EXHAUSTED  Clerk's rate limit
//   500, 502, 503, 504   UNAVAILABLE         retrying later may succeed
//   other 4xx            FAILED_PRECONDITION
//   other 5xx            UNAVAILABLE
//   anything else        UNKNOWN
absl::StatusCode StatusCodeForHttpStatus(int http_status);

// Clerk's trace id for a response: the error body's clerk_trace_id, else
// the Clerk-Trace-Id or CF-Ray header; empty if none.
std::string ClerkTraceId(const HttpResponse& response);

// Turns a non-2xx Clerk response into a status carrying the mapped code, a
// message naming Clerk's error code, long message and trace id, and an
// ErrorInfo detail (reason = Clerk's error code, domain api.clerk.com,
// metadata: http_status, clerk_trace_id, param_name when Clerk names one).
// Accepts bodies that are not Clerk JSON (e.g. a proxy's text page). The
// trace id is the body's clerk_trace_id, else the Clerk-Trace-Id or CF-Ray
// header. `action` says what was attempted, e.g. "upload the profile image".
absl::Status ClerkErrorToStatus(const HttpResponse& response,
                                absl::string_view action);

}  // namespace userimage

#endif  // SERVER_CLERK_CLERK_ERROR_H_
