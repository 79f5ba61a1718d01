#ifndef SERVER_HTTP_CURL_HTTP_CLIENT_H_
#define SERVER_HTTP_CURL_HTTP_CLIENT_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "curl/curl.h"
#include "server/http/http_client.h"
#include "server/time/clock.h"

namespace userimage {

// HttpClient on libcurl's multi interface: one I/O thread drives every
// transfer, so thousands of requests can be in flight without a thread
// each, and connections (HTTP/1.1 keep-alive, or HTTP/2 when the server
// offers it over TLS) are reused from the multi handle's cache.
//
// Each request sets connect and transfer timeouts, suppresses
// `Expect: 100-continue`, and streams a multipart file part straight from
// the caller's shared buffer (curl_mime_data_cb), with a fixed
// Content-Length.
//
// It is also the process's Timers: timer callbacks (backoff, rate-gate and
// idle waits) run on the same I/O thread, between transfers, so waiting
// costs no thread at all.
//
// Thread-safe. Callbacks run on the I/O thread. The destructor stops the
// thread, completes every unfinished request with CANCELLED and drops
// pending timers without running them.
class CurlHttpClient : public HttpClient, public Timers {
 public:
  struct Options {
    // Value of the User-Agent header unless a request sets its own.
    std::string user_agent;
    // Upper bound on cached idle connections.
    long max_cached_connections = 64;
  };

  explicit CurlHttpClient(Options options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  void Send(HttpRequest request, Callback done) override;
  Timers::Id Schedule(absl::Time when,
                      absl::AnyInvocable<void() &&> callback) override;
  bool Cancel(Timers::Id id) override;

 private:
  struct Transfer;

  void Run();
  // Runs the timers that are due; returns the time until the next one.
  absl::Duration RunDueTimers();
  void Start(std::unique_ptr<Transfer> transfer);
  void Complete(CURL* easy, CURLcode result);

  const Options options_;
  CURLM* const multi_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queued_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Pending timers by (due time, id), and each id's due time.
  std::map<std::pair<absl::Time, Timers::Id>, absl::AnyInvocable<void() &&>>
      timers_ ABSL_GUARDED_BY(mu_);
  std::map<Timers::Id, absl::Time> timer_due_ ABSL_GUARDED_BY(mu_);
  Timers::Id next_timer_ ABSL_GUARDED_BY(mu_) = 1;
  // Started transfers; touched only by the I/O thread.
  std::unordered_set<Transfer*> in_flight_;
  std::thread thread_;
};

}  // namespace userimage

#endif  // SERVER_HTTP_CURL_HTTP_CLIENT_H_
