#include "server/app/main_loop.h"

#include <event2/event.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/log/json_log.h"

namespace userimage {
namespace {

absl::Status SetupFailed(const char* what) {
  return absl::InternalError(absl::StrCat("cannot set up the main loop: ", what,
                                          ": ", std::strerror(errno)));
}

// libevent's own warnings (a failed accept, say) as JSON log lines.
void LogLibevent(int severity, const char* message) {
  const LogLevel level = severity >= EVENT_LOG_ERR    ? LogLevel::kError
                         : severity >= EVENT_LOG_WARN ? LogLevel::kWarning
                         : severity >= EVENT_LOG_MSG  ? LogLevel::kInfo
                                                      : LogLevel::kDebug;
  LogEvent(level, "libevent", {{"message", LogString(message)}});
}

}  // namespace

absl::StatusOr<std::unique_ptr<MainLoop>> MainLoop::Create(
    const sigset_t& stop_signals) {
  event_set_log_callback(&LogLibevent);
  std::unique_ptr<MainLoop> loop(new MainLoop());
  loop->base_ = event_base_new();
  if (loop->base_ == nullptr) return SetupFailed("event_base_new");
  loop->signal_fd_ = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
  if (loop->signal_fd_ < 0) return SetupFailed("signalfd");
  loop->done_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (loop->done_fd_ < 0) return SetupFailed("eventfd");
  loop->signal_event_ =
      event_new(loop->base_, loop->signal_fd_, EV_READ | EV_PERSIST,
                &MainLoop::OnSignal, loop.get());
  loop->done_event_ = event_new(loop->base_, loop->done_fd_, EV_READ,
                                &MainLoop::OnWorkDone, loop.get());
  if (loop->signal_event_ == nullptr || loop->done_event_ == nullptr ||
      event_add(loop->signal_event_, nullptr) != 0) {
    return SetupFailed("event_new");
  }
  return loop;
}

MainLoop::~MainLoop() {
  if (signal_event_ != nullptr) event_free(signal_event_);
  if (done_event_ != nullptr) event_free(done_event_);
  if (signal_fd_ >= 0) close(signal_fd_);
  if (done_fd_ >= 0) close(done_fd_);
  if (base_ != nullptr) event_base_free(base_);
}

void MainLoop::OnSignal(int fd, short /*what*/, void* self) {
  auto* loop = static_cast<MainLoop*>(self);
  signalfd_siginfo info;
  while (read(fd, &info, sizeof(info)) == sizeof(info)) {
    if (!loop->ignore_signals_ && loop->last_signal_ == 0) {
      loop->last_signal_ = static_cast<int>(info.ssi_signo);
    }
  }
  if (!loop->ignore_signals_ && loop->last_signal_ != 0) {
    event_base_loopbreak(loop->base_);
  }
}

void MainLoop::OnWorkDone(int fd, short /*what*/, void* self) {
  uint64_t count;
  (void)read(fd, &count, sizeof(count));
  event_base_loopbreak(static_cast<MainLoop*>(self)->base_);
}

int MainLoop::RunUntilSignal() {
  last_signal_ = 0;
  ignore_signals_ = false;
  while (last_signal_ == 0) {
    if (event_base_dispatch(base_) < 0) break;
  }
  return last_signal_;
}

void MainLoop::RunBeside(absl::AnyInvocable<void() &&> work) {
  ignore_signals_ = true;
  event_add(done_event_, nullptr);
  std::thread beside([this, &work] {
    std::move(work)();
    const uint64_t one = 1;
    (void)write(done_fd_, &one, sizeof(one));
  });
  event_base_dispatch(base_);
  beside.join();
  ignore_signals_ = false;
}

}  // namespace userimage
