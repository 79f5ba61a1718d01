#ifndef SERVER_HTTP_CURL_HTTP_CLIENT_H_
#define SERVER_HTTP_CURL_HTTP_CLIENT_H_

#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "curl/curl.h"
#include "server/exec/serial_executor.h"
#include "server/http/curl_event_loop.h"
#include "server/http/http_client.h"
#include "server/time/clock.h"
#include "server/time/timer_queue.h"

namespace userimage {

// HttpClient on libcurl's multi interface: one I/O thread drives every
// transfer through a CurlEventLoop (curl_multi_socket_action over epoll),
// so thousands of requests can be in flight without a thread each and a
// turn of the loop costs only what happened in it, and connections (HTTP/1.1
// keep-alive, or HTTP/2 when the server offers it over TLS) are reused from the
// multi handle's cache.
//
// Each request sets connect and transfer timeouts, suppresses
// `Expect: 100-continue`, and streams a multipart file part straight from
// the caller's shared buffer (curl_mime_data_cb), with a fixed
// Content-Length.
//
// A request whose HttpRequest::abort fires is removed from the multi handle
// at once and completes with CANCELLED; AbortInFlight() does that to every
// request (the end of a shutdown grace).
//
// Its I/O loop also drives the process's timer queue (timers(), a
// TimerQueue), so waiting costs no thread at all.
//
// The I/O thread only moves bytes and keeps time: it never runs a caller's
// code. Every completion (`done`) and every timer callback is posted to one
// SerialExecutor owned by the client (the "callback thread"), one at a
// time, in the order they became due.
//
// Thread-safe. The destructor stops the I/O thread, completes every
// unfinished request with CANCELLED, drops pending timers without running
// them (Cancel() then reports false for them: destroy the client only when
// nothing still waits for a timer), then runs the callbacks already posted
// and joins the callback thread. A Transfer is freed, and with it the body
// it shares, before its `done` can run.
class CurlHttpClient : public HttpClient {
 public:
  struct Options {
    // Value of the User-Agent header unless a request sets its own.
    std::string user_agent;
    // Upper bound on cached idle connections.
    long max_cached_connections = 64;
  };

  // libcurl's upload buffer, which each transfer holds until it ends, is
  // as large as its body needs (up to kMaxUploadBuffer, so a big image
  // leaves in a few sends) while the buffers of the transfers in flight
  // stay within kUploadBuffersBytes, and libcurl's minimum beyond that, so
  // thousands of transfers waiting for answers hold little. 4 MiB: at 64
  // concurrent 1 MiB uploads, 32 MiB cost 25-35 MiB more peak RSS for no
  // CPU measurably saved (docs/benchmarks.md); a lone upload still leaves
  // in one send.
  static constexpr size_t kUploadBuffersBytes = 4 << 20;
  static constexpr size_t kMinUploadBuffer = 16 << 10;  // libcurl's minimum.
  static constexpr size_t kMaxUploadBuffer = 1 << 20;
  // libcurl's receive buffer (CURLOPT_BUFFERSIZE; 16 KiB by default), which
  // each transfer holds from its connection until it ends: an answer is a
  // User of a few KB. 2,000 transfers waiting on Clerk hold 24 MB less in
  // these buffers than at the default; the burst's peak RSS fell by about
  // 12 MiB (docs/benchmarks.md step 18). Relies on CurlEventLoop acting
  // only after its wait: large answers are read in several turns.
  static constexpr long kReceiveBufferBytes = 4 << 10;

  explicit CurlHttpClient(Options options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  // OK, or why the client could not make its event loop (descriptors
  // exhausted): then it sends nothing, every request fails with this, and
  // its timers never fire, so the owner must not serve.
  const absl::Status& status() const { return broken_; }

  void Send(HttpRequest request, Callback done) override;
  // Aborts every request queued or in flight now: each completes with
  // CANCELLED. Later requests are sent as usual.
  void AbortInFlight();
  // The timers its I/O loop drives; their callbacks run on the callback
  // thread, like completions.
  Timers& timers() { return timers_; }

 private:
  struct Transfer;
  using TransferId = uint64_t;

  void Run();
  // Ends the I/O loop's wait (CurlEventLoop::Wake()).
  void Wake();
  // Completes every transfer libcurl reports done.
  void CompleteFinished();
  // Posts the timers that are due; returns the time until the next one.
  absl::Duration PostDueTimers();
  // Makes `t`'s easy handle and sets every option, with
  // `upload_buffers_in_use` bytes of upload buffers held by the transfers
  // in flight; the first option libcurl refuses fails the request.
  absl::Status Configure(Transfer& t, size_t upload_buffers_in_use) const;
  void Start(std::unique_ptr<Transfer> transfer);
  void Complete(CURL* easy, CURLcode result);
  // Asks the I/O thread to abort transfer `id` (a signal's hook).
  void RequestAbort(TransferId id);
  // On the I/O thread: removes a started transfer and reports CANCELLED.
  void Abort(TransferId id);
  // Posts `done(result)` to the callback thread.
  void Deliver(Callback done, HttpResult result);

  const Options options_;
  CURLM* const multi_;
  // Drives multi_ on the I/O thread. Null, and broken_ says why, if it could
  // not be made: then every request fails with broken_.
  std::unique_ptr<CurlEventLoop> loop_;
  absl::Status broken_;
  SerialExecutor callbacks_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queued_ ABSL_GUARDED_BY(mu_);
  std::vector<TransferId> aborting_ ABSL_GUARDED_BY(mu_);
  bool abort_all_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  TransferId next_transfer_ ABSL_GUARDED_BY(mu_) = 1;
  TimerQueue timers_{[this] { Wake(); }, CurlEventLoop::kMaxWait};
  // Started transfers by id; touched only by the I/O thread.
  std::unordered_map<TransferId, Transfer*> in_flight_;
  // Their upload buffers' bytes (CURLOPT_UPLOAD_BUFFERSIZE); I/O thread.
  size_t upload_buffers_in_use_ = 0;
  std::thread thread_;
};

// The upload buffer for a body of `body_bytes` when the transfers in flight
// hold `buffers_in_use` bytes of them (see CurlHttpClient).
size_t UploadBufferBytes(size_t body_bytes, size_t buffers_in_use);

}  // namespace userimage

#endif  // SERVER_HTTP_CURL_HTTP_CLIENT_H_
