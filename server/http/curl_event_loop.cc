#include "server/http/curl_event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace userimage {
namespace {

constexpr int kMaxEvents = 256;

uint32_t EpollEvents(int what) {
  uint32_t events = 0;
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= EPOLLIN;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= EPOLLOUT;
  return events;
}

int CurlEvents(uint32_t events) {
  int mask = 0;
  if (events & EPOLLIN) mask |= CURL_CSELECT_IN;
  if (events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
  if (events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
  return mask;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CurlEventLoop>> CurlEventLoop::Create(
    CURLM* multi, absl::Duration max_wait) {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    return absl::InternalError(
        absl::StrCat("epoll_create1: ", std::strerror(errno)));
  }
  const int wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_fd;
  if (wake_fd < 0 || epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &event) != 0) {
    const int error = errno;
    if (wake_fd >= 0) close(wake_fd);
    close(epoll_fd);
    return absl::InternalError(
        absl::StrCat("eventfd for the HTTP client: ", std::strerror(error)));
  }
  return std::unique_ptr<CurlEventLoop>(
      new CurlEventLoop(multi, max_wait, epoll_fd, wake_fd));
}

CurlEventLoop::CurlEventLoop(CURLM* multi, absl::Duration max_wait,
                             int epoll_fd, int wake_fd)
    : multi_(multi),
      max_wait_(max_wait),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd) {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlEventLoop::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlEventLoop::OnTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
}

CurlEventLoop::~CurlEventLoop() {
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, nullptr);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, nullptr);
  close(wake_fd_);
  close(epoll_fd_);
}

int CurlEventLoop::OnSocket(CURL*, curl_socket_t socket, int what, void* loop,
                            void*) {
  auto* self = static_cast<CurlEventLoop*>(loop);
  if (what == CURL_POLL_REMOVE) {
    // libcurl says so before it closes the socket; ENOENT (never added) and
    // EBADF (already closed) leave nothing to remove.
    epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, socket, nullptr);
  } else {
    self->Watch(socket, what);
  }
  return 0;
}

void CurlEventLoop::Watch(curl_socket_t socket, int what) {
  epoll_event event{};
  event.events = EpollEvents(what);
  event.data.fd = socket;
  // A socket libcurl asks about again is modified; a new one (or one whose
  // number was reused after a close) is added.
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, socket, &event) != 0 &&
      errno == ENOENT) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, socket, &event);
  }
}

int CurlEventLoop::OnTimer(CURLM*, long timeout_ms, void* loop) {
  auto* self = static_cast<CurlEventLoop*>(loop);
  if (timeout_ms < 0) {
    self->timeout_due_.reset();
  } else {
    self->timeout_due_ = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

void CurlEventLoop::ActOnTimeout() {
  if (!timeout_due_.has_value() ||
      std::chrono::steady_clock::now() < *timeout_due_) {
    return;
  }
  timeout_due_.reset();
  int running = 0;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
}

void CurlEventLoop::RunOnce(absl::Duration max_wait) {
  // libcurl is told nothing before the wait: a transfer it finished then
  // would sit in curl_multi_info_read() until the wait ended. A timeout
  // already due makes the wait zero instead, and is acted on after it.
  absl::Duration wait = std::min(max_wait, max_wait_);
  if (timeout_due_.has_value()) {
    wait = std::min(
        wait, std::max(absl::ZeroDuration(),
                       absl::FromChrono(*timeout_due_ -
                                        std::chrono::steady_clock::now())));
  }
  const int timeout_ms = static_cast<int>(std::clamp<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))), 0,
      INT32_MAX));
  epoll_event events[kMaxEvents];
  const int ready = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
  for (int i = 0; i < ready; ++i) {
    const int fd = events[i].data.fd;
    if (fd == wake_fd_) {
      uint64_t count;
      while (read(wake_fd_, &count, sizeof(count)) > 0) {
      }
      continue;
    }
    int running = 0;
    curl_multi_socket_action(multi_, fd, CurlEvents(events[i].events),
                             &running);
  }
  ActOnTimeout();
}

void CurlEventLoop::Wake() {
  const uint64_t one = 1;
  // Fails only when the counter is at its maximum: a wake-up is pending.
  [[maybe_unused]] const ssize_t written = write(wake_fd_, &one, sizeof(one));
}

}  // namespace userimage
