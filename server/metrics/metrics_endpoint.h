#ifndef SERVER_METRICS_METRICS_ENDPOINT_H_
#define SERVER_METRICS_METRICS_ENDPOINT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"

struct event;
struct event_base;
struct evconnlistener;
struct evhttp;
struct evhttp_request;

namespace userimage {

// Serves the Prometheus text exposition of `collectables` at GET (or HEAD)
// /metrics over HTTP/1.1, with libevent's evhttp on an event loop someone
// else runs (the main thread's MainLoop): a scrape is rendered on that
// loop's thread, so the endpoint needs no thread of its own. Other paths
// answer 404, other methods 405; a connection idle for 10 s, a header block
// over 16 KiB or a request body over 4 KiB is dropped or refused by evhttp.
// When accepting fails (out of file descriptors) it pauses for a second
// rather than spin. There is no cap on open connections (libevent 2.1 has
// none): the port is meant for the monitoring network alone.
//
// Not thread-safe: Start(), the scrapes and the destructor all run on the
// loop's thread (Start() and the destructor while the loop is not running,
// or from within it). The collectables are locked at each scrape, so they
// may go away first; `base` must outlive the endpoint.
class MetricsEndpoint {
 public:
  // Binds `address` ("host:port", "[v6]:port"; port 0: the OS chooses).
  // FAILED_PRECONDITION, saying why, if it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(
      event_base* base, absl::string_view address,
      std::vector<std::weak_ptr<prometheus::Collectable>> collectables);
  // Closes the listener and every open connection.
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // The bound port.
  int port() const { return port_; }

 private:
  explicit MetricsEndpoint(
      std::vector<std::weak_ptr<prometheus::Collectable>> collectables);
  static void OnRequest(evhttp_request* request, void* self);
  static void OnAcceptError(evconnlistener* listener, void* self);
  static void OnResume(int fd, short what, void* self);
  // The exposition of every collectable still alive.
  std::string Render() const;

  std::vector<std::weak_ptr<prometheus::Collectable>> collectables_;
  evhttp* http_ = nullptr;
  evconnlistener* listener_ = nullptr;  // evhttp's
  event* resume_ = nullptr;             // re-enables accepting after an error
  int port_ = 0;
};

}  // namespace userimage

#endif  // SERVER_METRICS_METRICS_ENDPOINT_H_
