#ifndef SERVER_HTTP_HTTP_CLIENT_H_
#define SERVER_HTTP_HTTP_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/http/abort_signal.h"

namespace userimage {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// A multipart/form-data body with one file part. The bytes are shared, not
// copied: the transport streams them straight from `data`.
struct MultipartFile {
  std::string field_name;
  std::string filename;
  std::string content_type;
  std::shared_ptr<const std::string> data;
};

struct HttpRequest {
  std::string method = "GET";  // GET, POST or DELETE.
  std::string url;
  HttpHeaders headers;
  // When set, the body is multipart/form-data with this one part and a
  // fixed Content-Length.
  std::optional<MultipartFile> multipart_file;
  // Whole-transfer and connect timeouts.
  absl::Duration timeout = absl::Seconds(30);
  absl::Duration connect_timeout = absl::Seconds(5);
  // When set and aborted (before or while the request is in flight), the
  // transfer stops at once and completes with CANCELLED. A request whose
  // body was already sent may still have been applied by the server.
  std::shared_ptr<AbortSignal> abort;
  // A response body larger than this is not kept: the transfer stops as
  // soon as it is crossed and completes with OUT_OF_RANGE.
  size_t max_response_bytes = 1 << 20;
};

// Any HTTP answer, whatever its status: a 4xx/5xx is a response, not an
// error.
struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // Names lower-cased, in wire order.
  std::string body;

  // The first value of header `name` (lower-case), if present.
  std::optional<absl::string_view> Header(absl::string_view name) const;
};

// How a request ended: the response, or the transport failure and whether
// it came after the whole request, body included, had been written to the
// connection (the server may then have applied it).
struct HttpResult {
  HttpResult(HttpResponse r) : response(std::move(r)) {}  // NOLINT
  HttpResult(absl::Status failure, bool sent = false)     // NOLINT
      : response(std::move(failure)), request_sent(sent) {}
  HttpResult(absl::StatusOr<HttpResponse> r, bool sent = false)  // NOLINT
      : response(std::move(r)), request_sent(sent) {}

  absl::StatusOr<HttpResponse> response;
  // For a failure: whether the whole request had been sent. A failure
  // without it was not sent in full.
  bool request_sent = false;
};

// Sends HTTP requests asynchronously. Transport failures (connection
// refused or reset, timeouts, TLS errors) complete with an error status:
// DEADLINE_EXCEEDED for a timeout, FAILED_PRECONDITION when the peer's
// certificate cannot be verified or TLS cannot be set up (a CA file, a
// protocol: configuration, not an outage), UNAVAILABLE otherwise, CANCELLED
// when the
// request is aborted (HttpRequest::abort) or the client shuts down first,
// OUT_OF_RANGE when the body outgrows HttpRequest::max_response_bytes.
// Implementations are thread-safe: Send() may be called from any thread. `done`
// runs exactly once, on a thread of the implementation's choosing, and must not
// block.
class HttpClient {
 public:
  using Callback = absl::AnyInvocable<void(HttpResult) &&>;

  virtual ~HttpClient() = default;
  virtual void Send(HttpRequest request, Callback done) = 0;
};

}  // namespace userimage

#endif  // SERVER_HTTP_HTTP_CLIENT_H_
