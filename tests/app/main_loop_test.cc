#include "server/app/main_loop.h"

#include <event2/event.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

// SIGUSR1 and SIGUSR2 blocked in this thread; the signals are raised at
// this thread alone (raise(), pthread_kill()), so no other thread of the
// test can take them.
class MainLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGUSR1);
    sigaddset(&signals_, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    auto loop = MainLoop::Create(signals_);
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
  }
  void TearDown() override {
    loop_.reset();
    // Nothing may stay pending once the signals are unblocked again.
    timespec none{};
    while (sigtimedwait(&signals_, nullptr, &none) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

  sigset_t signals_;
  sigset_t previous_;
  std::unique_ptr<MainLoop> loop_;
};

TEST_F(MainLoopTest, RunUntilSignalReturnsTheSignalThatArrived) {
  raise(SIGUSR2);
  EXPECT_EQ(loop_->RunUntilSignal(), SIGUSR2);
}

TEST_F(MainLoopTest, ServesEventsUntilTheSignal) {
  // A timer on the base runs, then raises the signal from within the loop.
  int fired = 0;
  struct Context {
    int* fired;
  } context{&fired};
  event* timer = evtimer_new(
      loop_->base(),
      [](int, short, void* arg) {
        ++*static_cast<Context*>(arg)->fired;
        raise(SIGUSR1);
      },
      &context);
  const timeval soon{0, 1000};
  evtimer_add(timer, &soon);
  EXPECT_EQ(loop_->RunUntilSignal(), SIGUSR1);
  EXPECT_EQ(fired, 1);
  event_free(timer);
}

TEST_F(MainLoopTest, RunBesideServesTheLoopWhileTheWorkRuns) {
  // The work waits for an event the loop can only deliver while it runs
  // beside it.
  absl::Notification served;
  event* timer = evtimer_new(
      loop_->base(),
      [](int, short, void* arg) {
        static_cast<absl::Notification*>(arg)->Notify();
      },
      &served);
  const timeval soon{0, 1000};
  evtimer_add(timer, &soon);
  bool worked = false;
  loop_->RunBeside([&] {
    served.WaitForNotification();
    worked = true;
  });
  EXPECT_TRUE(worked);
  event_free(timer);
}

TEST_F(MainLoopTest, SignalsDuringRunBesideAreIgnored) {
  // The work signals the loop's thread, then waits for a timer that only
  // a loop still running can fire: a signal that ended the loop would
  // leave the work (and so the test) waiting.
  const pthread_t main_thread = pthread_self();
  absl::Notification signalled;
  absl::Notification served;
  struct Context {
    absl::Notification* signalled;
    absl::Notification* served;
    event* timer;
  } context{&signalled, &served, nullptr};
  // A poll every millisecond: once the signal is sent, the next one fires
  // the notification.
  context.timer = event_new(
      loop_->base(), -1, EV_PERSIST,
      [](int, short, void* arg) {
        auto* c = static_cast<Context*>(arg);
        if (c->signalled->HasBeenNotified() && !c->served->HasBeenNotified()) {
          c->served->Notify();
        }
      },
      &context);
  const timeval every{0, 1000};
  event_add(context.timer, &every);
  loop_->RunBeside([&] {
    pthread_kill(main_thread, SIGUSR1);
    signalled.Notify();
    served.WaitForNotification();
  });
  event_free(context.timer);
  // The signal was read (and dropped) while the work ran; a later one is
  // what ends the next wait.
  raise(SIGUSR2);
  EXPECT_EQ(loop_->RunUntilSignal(), SIGUSR2);
}

TEST_F(MainLoopTest, TheFirstOfTwoSignalsIsReported) {
  raise(SIGUSR2);
  raise(SIGUSR1);
  const int first = loop_->RunUntilSignal();
  // Both were pending at once; signalfd reads the lower number first.
  EXPECT_EQ(first, SIGUSR1);
}

}  // namespace
}  // namespace userimage
