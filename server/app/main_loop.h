#ifndef SERVER_APP_MAIN_LOOP_H_
#define SERVER_APP_MAIN_LOOP_H_

#include <signal.h>

#include <memory>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"

struct event;
struct event_base;

namespace userimage {

// The main thread's event loop (libevent): it waits for the stop signals
// (through a signalfd) and serves whatever is put on base(), the metrics
// endpoint, so that neither needs a thread of its own.
//
// Create() also sends libevent's own messages to the JSON log.
//
// Not thread-safe: every method is for the thread that created the loop
// (main), and only that thread touches base(). The signals must already be
// blocked in every thread (pthread_sigmask before any thread starts), so
// that they are read here and nowhere else.
class MainLoop {
 public:
  // INTERNAL if libevent or the signalfd cannot be set up.
  static absl::StatusOr<std::unique_ptr<MainLoop>> Create(
      const sigset_t& stop_signals);
  // Everything registered on base() must be gone first.
  ~MainLoop();
  MainLoop(const MainLoop&) = delete;
  MainLoop& operator=(const MainLoop&) = delete;

  // Where to register what the loop serves.
  event_base* base() const { return base_; }

  // Runs the loop until one of the stop signals arrives; returns its number.
  int RunUntilSignal();

  // Runs `work` on a thread of its own while the loop goes on serving, and
  // returns once `work` has returned. Stop signals arriving meanwhile are
  // read and ignored.
  void RunBeside(absl::AnyInvocable<void() &&> work);

 private:
  MainLoop() = default;
  static void OnSignal(int fd, short what, void* self);
  static void OnWorkDone(int fd, short what, void* self);

  event_base* base_ = nullptr;
  int signal_fd_ = -1;
  int done_fd_ = -1;  // eventfd: written once RunBeside's work returns
  event* signal_event_ = nullptr;
  event* done_event_ = nullptr;
  int last_signal_ = 0;
  bool ignore_signals_ = false;
};

}  // namespace userimage

#endif  // SERVER_APP_MAIN_LOOP_H_
