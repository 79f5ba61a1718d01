#ifndef SERVER_HTTP_CURL_EVENT_LOOP_H_
#define SERVER_HTTP_CURL_EVENT_LOOP_H_

#include <chrono>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "curl/curl.h"

namespace userimage {

// Drives a libcurl multi handle with curl_multi_socket_action() over epoll,
// as libcurl's ephiperfifo example does: libcurl says which sockets to
// watch for what (CURLMOPT_SOCKETFUNCTION) and when its next timeout falls
// (CURLMOPT_TIMERFUNCTION), and each turn lets it act only on the sockets
// that are ready and on its timeout once due. A turn thus costs in
// proportion to what happened, not to the transfers in flight:
// curl_multi_perform() visits every transfer, polling each one's socket, on
// every wake-up, which with thousands waiting on a slow answer made each
// new request or timer cost thousands of system calls.
//
// Wake() ends the current wait early, through an eventfd.
//
// Owns its epoll and eventfd descriptors, not the multi handle, which must
// outlive it. Not thread-safe except Wake(): one thread (its owner's I/O
// thread) calls RunOnce(), and libcurl's callbacks run inside it.
class CurlEventLoop {
 public:
  // The longest wait of RunOnce() by default: libcurl's timeouts (and its
  // owner's timers) are acted on at least this often.
  static constexpr absl::Duration kMaxWait = absl::Seconds(1);

  // Installs the callbacks on `multi`; INTERNAL if the descriptors cannot
  // be made. No wait of RunOnce() is longer than `max_wait`.
  static absl::StatusOr<std::unique_ptr<CurlEventLoop>> Create(
      CURLM* multi, absl::Duration max_wait = kMaxWait);
  ~CurlEventLoop();
  CurlEventLoop(const CurlEventLoop&) = delete;
  CurlEventLoop& operator=(const CurlEventLoop&) = delete;

  // Waits up to `max_wait` (rounded up to a millisecond; shortened to
  // libcurl's own timeout, and to Create()'s `max_wait`, so that libcurl's
  // timeouts are acted on even if a wake-up were lost) for a ready socket
  // or Wake(), then tells libcurl about every ready socket and, if due, its
  // timeout. libcurl acts only after the wait, so every transfer it
  // completed in a turn is in curl_multi_info_read() when RunOnce()
  // returns, before the next wait.
  void RunOnce(absl::Duration max_wait);

  // Thread-safe: ends the wait of the RunOnce() in progress, or makes the
  // next one return at once.
  void Wake();

 private:
  CurlEventLoop(CURLM* multi, absl::Duration max_wait, int epoll_fd,
                int wake_fd);

  static int OnSocket(CURL* easy, curl_socket_t socket, int what, void* loop,
                      void* socket_data);
  static int OnTimer(CURLM* multi, long timeout_ms, void* loop);
  // Makes epoll watch `socket` for libcurl's `what` (CURL_POLL_*).
  void Watch(curl_socket_t socket, int what);
  // Tells libcurl its timeout has come, if it has.
  void ActOnTimeout();

  CURLM* const multi_;
  const absl::Duration max_wait_;
  const int epoll_fd_;
  const int wake_fd_;
  // When libcurl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT), on
  // the monotonic clock (a wall-clock step must not delay its timeouts);
  // nullopt when it does not.
  std::optional<std::chrono::steady_clock::time_point> timeout_due_;
};

}  // namespace userimage

#endif  // SERVER_HTTP_CURL_EVENT_LOOP_H_
