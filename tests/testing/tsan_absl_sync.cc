// ThreadSanitizer only sees synchronization it instruments, and Debian's
// abseil libraries are not built with -fsanitize=thread: to TSan, every
// absl::Mutex would be invisible and every guarded access a race. Under
// TSan (and only then) this file interposes the exported absl::Mutex,
// absl::CondVar and absl::Notification entry points: each calls the real
// one (dlsym(RTLD_NEXT)) and tells TSan about the acquire or release it
// performs (__tsan_acquire / __tsan_release on the object's address), so
// that happens-before through abseil is exact. (Notification's inline
// HasBeenNotified() cannot be interposed: a test must not rely on it alone
// to order memory.) Linked into every test by tests/testing:gtest_main; an
// empty file in other builds.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define USERIMAGE_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(USERIMAGE_TSAN)

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

namespace {

template <typename F>
F Real(const char* mangled) {
  void* f = dlsym(RTLD_NEXT, mangled);
  if (f == nullptr) {
    fprintf(stderr, "tsan_absl_sync: %s not found\n", mangled);
    abort();
  }
  return reinterpret_cast<F>(f);
}

#define REAL(type, mangled) static const auto real = Real<type>(mangled)

void Acquire(const void* p) { __tsan_acquire(const_cast<void*>(p)); }
void Release(const void* p) { __tsan_release(const_cast<void*>(p)); }

// A Condition bracketed by an acquire and a release of the mutex for TSan:
// abseil evaluates a waiter's condition with the mutex held, inside its own
// code (on the waiter's thread or the unlocker's), and may then unlock
// internally, none of which reaches our interposed entry points.
struct Guarded {
  const absl::Mutex* mu;
  const absl::Condition* condition;
  static bool Eval(Guarded* g) {
    Acquire(g->mu);
    const bool met = g->condition->Eval();
    Release(g->mu);
    return met;
  }
};

}  // namespace

namespace absl {
inline namespace debian3 {

using MutexFn = void (*)(Mutex*);
using MutexBoolFn = bool (*)(Mutex*);
using MutexCondFn = void (*)(Mutex*, const Condition&);
using MutexCondDurationFn = bool (*)(Mutex*, const Condition&, Duration);
using MutexCondTimeFn = bool (*)(Mutex*, const Condition&, Time);

void Mutex::Lock() {
  REAL(MutexFn, "_ZN4absl7debian35Mutex4LockEv");
  real(this);
  Acquire(this);
}
void Mutex::Unlock() {
  REAL(MutexFn, "_ZN4absl7debian35Mutex6UnlockEv");
  Release(this);
  real(this);
}
bool Mutex::TryLock() {
  REAL(MutexBoolFn, "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}
void Mutex::ReaderLock() {
  REAL(MutexFn, "_ZN4absl7debian35Mutex10ReaderLockEv");
  real(this);
  Acquire(this);
}
void Mutex::ReaderUnlock() {
  REAL(MutexFn, "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  Release(this);
  real(this);
}
bool Mutex::ReaderTryLock() {
  REAL(MutexBoolFn, "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}
void Mutex::LockWhen(const Condition& cond) {
  REAL(MutexCondFn, "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  Guarded g{this, &cond};
  real(this, Condition(&Guarded::Eval, &g));
  Acquire(this);
}
void Mutex::ReaderLockWhen(const Condition& cond) {
  REAL(MutexCondFn, "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Guarded g{this, &cond};
  real(this, Condition(&Guarded::Eval, &g));
  Acquire(this);
}
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  REAL(MutexCondDurationFn,
       "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_"
       "8DurationE");
  Guarded g{this, &cond};
  const bool met = real(this, Condition(&Guarded::Eval, &g), timeout);
  Acquire(this);  // Held either way.
  return met;
}
bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  REAL(MutexCondTimeFn,
       "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_"
       "4TimeE");
  Guarded g{this, &cond};
  const bool met = real(this, Condition(&Guarded::Eval, &g), deadline);
  Acquire(this);
  return met;
}
void Mutex::Await(const Condition& cond) {
  REAL(MutexCondFn, "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  Release(this);
  Guarded g{this, &cond};
  real(this, Condition(&Guarded::Eval, &g));
  Acquire(this);
}
bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  REAL(MutexCondDurationFn,
       "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_"
       "8DurationE");
  Release(this);
  Guarded g{this, &cond};
  const bool met = real(this, Condition(&Guarded::Eval, &g), timeout);
  Acquire(this);
  return met;
}
bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  REAL(MutexCondTimeFn,
       "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_"
       "4TimeE");
  Release(this);
  Guarded g{this, &cond};
  const bool met = real(this, Condition(&Guarded::Eval, &g), deadline);
  Acquire(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  using Fn = void (*)(CondVar*, Mutex*);
  REAL(Fn, "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  real(this, mu);
  Acquire(mu);
}
bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  using Fn = bool (*)(CondVar*, Mutex*, Duration);
  REAL(Fn,
       "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Release(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquire(mu);
  return timed_out;
}
bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  using Fn = bool (*)(CondVar*, Mutex*, Time);
  REAL(Fn, "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

void Notification::Notify() {
  using Fn = void (*)(Notification*);
  REAL(Fn, "_ZN4absl7debian312Notification6NotifyEv");
  Release(this);
  real(this);
}
void Notification::WaitForNotification() const {
  using Fn = void (*)(const Notification*);
  REAL(Fn, "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  real(this);
  Acquire(this);
}
bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  using Fn = bool (*)(const Notification*, Duration);
  REAL(Fn,
       "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_"
       "8DurationE");
  const bool notified = real(this, timeout);
  if (notified) Acquire(this);
  return notified;
}
}  // namespace debian3
}  // namespace absl

#endif  // __SANITIZE_THREAD__
