#include "server/metrics/metrics_endpoint.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <sys/socket.h>

#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/text_serializer.h"

namespace userimage {
namespace {

constexpr int kIdleTimeoutSeconds = 10;

// Each live endpoint by its listener, for the listener's error callback.
absl::Mutex endpoints_mu(absl::kConstInit);
auto* const endpoints ABSL_PT_GUARDED_BY(endpoints_mu) =
    new absl::flat_hash_map<const evconnlistener*, MetricsEndpoint*>();
constexpr size_t kMaxHeadersBytes = 16 << 10;
constexpr size_t kMaxBodyBytes = 4 << 10;

struct HostPort {
  std::string host;
  uint16_t port = 0;
};

// "host:port" or "[v6]:port" into its parts; false if it is neither.
bool SplitHostPort(absl::string_view address, HostPort* out) {
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  absl::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  uint32_t port = 0;
  if (host.empty() || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port > 65535) {
    return false;
  }
  out->host = std::string(host);
  out->port = static_cast<uint16_t>(port);
  return true;
}

int BoundPort(evhttp_bound_socket* socket) {
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (getsockname(evhttp_bound_socket_get_fd(socket),
                  reinterpret_cast<sockaddr*>(&bound), &length) != 0) {
    return 0;
  }
  if (bound.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
}

void Reply(evhttp_request* request, int code, const char* reason,
           absl::string_view body) {
  evbuffer* out = evbuffer_new();
  evbuffer_add(out, body.data(), body.size());
  evhttp_send_reply(request, code, reason, out);
  evbuffer_free(out);
}

absl::Status CannotServe(absl::string_view address, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot serve metrics on ", address, ": ", why));
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables)
    : collectables_(std::move(collectables)) {}

MetricsEndpoint::~MetricsEndpoint() {
  if (listener_ != nullptr) {
    absl::MutexLock lock(&endpoints_mu);
    endpoints->erase(listener_);
  }
  if (resume_ != nullptr) event_free(resume_);
  if (http_ != nullptr) evhttp_free(http_);
}

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    event_base* base, absl::string_view address,
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables) {
  HostPort where;
  if (!SplitHostPort(address, &where)) {
    return CannotServe(address,
                       "expected host:port (0.0.0.0:9464 for every IPv4 "
                       "address)");
  }
  std::unique_ptr<MetricsEndpoint> endpoint(
      new MetricsEndpoint(std::move(collectables)));
  endpoint->http_ = evhttp_new(base);
  if (endpoint->http_ == nullptr) return CannotServe(address, "evhttp_new");
  evhttp* http = endpoint->http_;
  evhttp_set_timeout(http, kIdleTimeoutSeconds);
  evhttp_set_max_headers_size(http, kMaxHeadersBytes);
  evhttp_set_max_body_size(http, kMaxBodyBytes);
  // Every method reaches OnRequest, which answers 405 (evhttp's own
  // refusal of a method it was not told of is a 501).
  evhttp_set_allowed_methods(
      http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
  evhttp_set_gencb(http, &MetricsEndpoint::OnRequest, endpoint.get());
  evhttp_bound_socket* socket =
      evhttp_bind_socket_with_handle(http, where.host.c_str(), where.port);
  if (socket == nullptr) {
    return CannotServe(address,
                       "the address cannot be bound (in use, or "
                       "not an address of this host)");
  }
  endpoint->port_ = BoundPort(socket);
  endpoint->listener_ = evhttp_bound_socket_get_listener(socket);
  endpoint->resume_ =
      evtimer_new(base, &MetricsEndpoint::OnResume, endpoint.get());
  if (endpoint->resume_ == nullptr) return CannotServe(address, "evtimer_new");
  {
    absl::MutexLock lock(&endpoints_mu);
    (*endpoints)[endpoint->listener_] = endpoint.get();
  }
  evconnlistener_set_error_cb(endpoint->listener_,
                              &MetricsEndpoint::OnAcceptError);
  return endpoint;
}

void MetricsEndpoint::OnRequest(evhttp_request* request, void* self) {
  const auto* endpoint = static_cast<const MetricsEndpoint*>(self);
  const char* path =
      evhttp_uri_get_path(evhttp_request_get_evhttp_uri(request));
  if (path == nullptr || absl::string_view(path) != "/metrics") {
    Reply(request, HTTP_NOTFOUND, "Not Found", "only /metrics is served\n");
    return;
  }
  const evhttp_cmd_type method = evhttp_request_get_command(request);
  if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
    evhttp_add_header(evhttp_request_get_output_headers(request), "Allow",
                      "GET, HEAD");
    Reply(request, 405, "Method Not Allowed", "use GET\n");
    return;
  }
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(headers, "Content-Type",
                    "text/plain; version=0.0.4; charset=utf-8");
  const std::string body = endpoint->Render();
  if (method == EVHTTP_REQ_HEAD) {
    // evhttp would send a HEAD reply's body too: the length alone.
    evhttp_add_header(headers, "Content-Length",
                      std::to_string(body.size()).c_str());
    Reply(request, HTTP_OK, "OK", "");
    return;
  }
  Reply(request, HTTP_OK, "OK", body);
}

void MetricsEndpoint::OnAcceptError(evconnlistener* listener, void* /*http*/) {
  // Out of file descriptors, say: the listener would be ready again at
  // once and spin. Pause accepting for a second instead. (The callback's
  // argument is evhttp's own, hence the look-up.)
  MetricsEndpoint* endpoint = nullptr;
  {
    absl::MutexLock lock(&endpoints_mu);
    const auto it = endpoints->find(listener);
    if (it != endpoints->end()) endpoint = it->second;
  }
  if (endpoint == nullptr) return;
  evconnlistener_disable(listener);
  const timeval pause{1, 0};
  evtimer_add(endpoint->resume_, &pause);
}

void MetricsEndpoint::OnResume(int /*fd*/, short /*what*/, void* self) {
  evconnlistener_enable(static_cast<MetricsEndpoint*>(self)->listener_);
}

std::string MetricsEndpoint::Render() const {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& weak : collectables_) {
    if (const auto collectable = weak.lock()) {
      for (auto& family : collectable->Collect()) {
        families.push_back(std::move(family));
      }
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace userimage
