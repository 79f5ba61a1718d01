// NormalizerPool with the real, sandboxed worker binary.
#include "server/normalize/normalizer_pool.h"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/status/status_details.h"
#include "tests/normalize/test_photos.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using Result = absl::StatusOr<NormalizedBytes>;

std::shared_ptr<const std::string> Bytes(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

// Waits until `pid` (a child of this process, all its threads) has exited,
// leaving it to be reaped by its owner.
void AwaitExit(pid_t pid) {
  siginfo_t info;
  while (waitid(P_PID, pid, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
}

std::string Reason(const absl::Status& status) {
  auto info = GetDetail<google::rpc::ErrorInfo>(status);
  return info ? info->reason() : "";
}

class NormalizerPoolTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    signal(SIGPIPE, SIG_IGN);
    heic_ = new std::string(MakePhoto("heic", 400, 300, 6));
  }

  NormalizerOptions Options(int workers = 1) {
    return NormalizerOptions{
        .worker_argv = {Runfile("server/normalize/normalize_worker")},
        .workers = workers,
        .max_queue = 4,
        .max_side_px = 100,
        .budget = &budget_,
        .test_after_send = [this](pid_t pid) { AfterSend(pid); }};
  }

  // Converts `image` and waits for the result.
  static Result Convert(NormalizerPool& pool, std::string image) {
    absl::Notification done;
    Result result = absl::UnknownError("not answered");
    pool.Submit(Bytes(std::move(image)), std::nullopt, [&](Result r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  void AfterSend(pid_t pid) {
    std::function<void(pid_t)> hook;
    {
      absl::MutexLock lock(&mu_);
      pids_.push_back(pid);
      hook = hook_;
    }
    if (hook) hook(pid);
  }

  // Each image sent from now on is held, once `busy` is notified, until
  // `release` is.
  void HoldSentImages(absl::Notification& busy, absl::Notification& release) {
    absl::MutexLock lock(&mu_);
    hook_ = [&busy, &release](pid_t) {
      if (!busy.HasBeenNotified()) busy.Notify();
      release.WaitForNotification();
    };
  }

  std::vector<pid_t> pids() {
    absl::MutexLock lock(&mu_);
    return pids_;
  }

  static std::string* heic_;
  MemoryBudget budget_{64 << 20};
  absl::Mutex mu_;
  std::vector<pid_t> pids_;
  std::function<void(pid_t)> hook_;
};

std::string* NormalizerPoolTest::heic_ = nullptr;

TEST_F(NormalizerPoolTest, ConvertsInAWorkerAndCountsTheResult) {
  NormalizerPool pool(Options());
  ASSERT_TRUE(pool.Start().ok());
  Result result = Convert(pool, *heic_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->type, ImageType::kJpeg);
  EXPECT_EQ(result->width, 75);
  EXPECT_EQ(result->height, 100);
  EXPECT_GE(budget_.in_use(), result->bytes->size());
  result = absl::CancelledError("dropped");
  EXPECT_EQ(budget_.in_use(), 0);
}

int ThreadsOfThisProcess() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST_F(NormalizerPoolTest, ThreadsStartWithTheFirstImage) {
  NormalizerPool pool(Options(2));
  const int before = ThreadsOfThisProcess();
  ASSERT_TRUE(pool.Start().ok());
  EXPECT_EQ(ThreadsOfThisProcess(), before);  // Worker processes only.
  ASSERT_TRUE(Convert(pool, *heic_).ok());
  EXPECT_EQ(ThreadsOfThisProcess(), before + 2);
  pool.Shutdown();
  EXPECT_EQ(ThreadsOfThisProcess(), before);
}

TEST_F(NormalizerPoolTest, AWorkerKilledMidConversionFailsOnlyItsImage) {
  NormalizerPool pool(Options());
  ASSERT_TRUE(pool.Start().ok());
  hook_ = [](pid_t pid) { kill(pid, SIGKILL); };
  Result killed = Convert(pool, *heic_);
  EXPECT_EQ(killed.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(killed.status().message(), "nothing was sent"))
      << killed.status();
  EXPECT_EQ(budget_.in_use(), 0);  // The failed conversion holds nothing.
  {
    absl::MutexLock lock(&mu_);
    hook_ = nullptr;
  }
  EXPECT_EQ(pool.replaced(), 1);
  Result next = Convert(pool, *heic_);
  ASSERT_TRUE(next.ok()) << next.status();
  ASSERT_EQ(pids().size(), 2);
  EXPECT_NE(pids()[0], pids()[1]);  // A new worker.
}

TEST_F(NormalizerPoolTest, AWorkerThatDiedIdleIsReplacedWithoutAFailure) {
  NormalizerPool pool(Options());
  ASSERT_TRUE(pool.Start().ok());
  ASSERT_TRUE(Convert(pool, *heic_).ok());
  const pid_t first = pids()[0];
  kill(first, SIGKILL);
  AwaitExit(first);
  Result result = Convert(pool, *heic_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_NE(pids()[1], first);
}

TEST_F(NormalizerPoolTest, AWorkerPastItsCpuAllowanceIsReplacedAfterItsImage) {
  NormalizerOptions options = Options();
  options.retire_after_cpu = absl::ZeroDuration();
  NormalizerPool pool(options);
  ASSERT_TRUE(pool.Start().ok());
  ASSERT_TRUE(Convert(pool, *heic_).ok());
  ASSERT_TRUE(Convert(pool, *heic_).ok());
  ASSERT_EQ(pids().size(), 2);
  EXPECT_NE(pids()[0], pids()[1]);
}

TEST_F(NormalizerPoolTest, UndecodableInputIsTheCallersError) {
  NormalizerPool pool(Options());
  ASSERT_TRUE(pool.Start().ok());
  Result result = Convert(pool, heic_->substr(0, heic_->size() / 2));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Reason(result.status()), "UNDECODABLE_IMAGE");
  // The worker survives its input's failure.
  ASSERT_TRUE(Convert(pool, *heic_).ok());
  EXPECT_EQ(pids()[0], pids()[1]);
}

TEST_F(NormalizerPoolTest, AConversionOverTheTimeoutFailsAndReplacesTheWorker) {
  NormalizerOptions options = Options();
  options.timeout = absl::Nanoseconds(1);
  NormalizerPool pool(options);
  ASSERT_TRUE(pool.Start().ok());
  Result result = Convert(pool, *heic_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(result.status().message(), "longer than"))
      << result.status();
}

TEST_F(NormalizerPoolTest, AFullQueueRefusesAtOnceWithRetryInfo) {
  NormalizerOptions options = Options();
  options.max_queue = 1;
  NormalizerPool pool(options);
  ASSERT_TRUE(pool.Start().ok());
  absl::Notification busy, release;
  HoldSentImages(busy, release);
  absl::Notification first_done, second_done;
  pool.Submit(Bytes(*heic_), std::nullopt,
              [&](Result) { first_done.Notify(); });
  busy.WaitForNotification();  // The worker has the first image.
  pool.Submit(Bytes(*heic_), std::nullopt,
              [&](Result) { second_done.Notify(); });  // Queued.
  EXPECT_EQ(pool.queued(), 1);
  Result refused = absl::UnknownError("not answered");
  pool.Submit(Bytes(*heic_), std::nullopt,
              [&](Result r) { refused = std::move(r); });  // Inline.
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Reason(refused.status()), "NORMALIZE_QUEUE_FULL");
  EXPECT_TRUE(GetDetail<google::rpc::RetryInfo>(refused.status()).has_value());
  {
    absl::MutexLock lock(&mu_);
    hook_ = nullptr;
  }
  release.Notify();
  first_done.WaitForNotification();
  second_done.WaitForNotification();
}

TEST_F(NormalizerPoolTest, ACancelledImageIsDroppedOrItsWorkerStopped) {
  NormalizerPool pool(Options());
  ASSERT_TRUE(pool.Start().ok());
  absl::Notification busy, release;
  HoldSentImages(busy, release);
  Result busy_result = absl::UnknownError("not answered");
  absl::Notification busy_done;
  auto busy_ticket = pool.Submit(Bytes(*heic_), std::nullopt, [&](Result r) {
    busy_result = std::move(r);
    busy_done.Notify();
  });
  busy.WaitForNotification();
  Result queued_result = absl::UnknownError("not answered");
  auto queued_ticket = pool.Submit(Bytes(*heic_), std::nullopt, [&](Result r) {
    queued_result = std::move(r);
  });
  // Queued: answered at once, on this thread.
  pool.Cancel(queued_ticket);
  EXPECT_EQ(queued_result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(pool.queued(), 0);
  // Busy: its worker is killed; the slot answers CANCELLED.
  pool.Cancel(busy_ticket);
  pool.Cancel(busy_ticket);  // Idempotent.
  {
    absl::MutexLock lock(&mu_);
    hook_ = nullptr;
  }
  release.Notify();
  busy_done.WaitForNotification();
  EXPECT_EQ(busy_result.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(pool.replaced(), 0);  // Not the worker's fault.
  // The pool goes on with a new worker.
  ASSERT_TRUE(Convert(pool, *heic_).ok());
}

TEST_F(NormalizerPoolTest, ShutdownFailsQueuedImagesAndStopsBusyWorkers) {
  NormalizerPool pool(Options());
  ASSERT_TRUE(pool.Start().ok());
  absl::Notification busy, release;
  HoldSentImages(busy, release);
  Result busy_result = absl::UnknownError("not answered");
  Result queued_result = absl::UnknownError("not answered");
  absl::Notification queued_done;
  pool.Submit(Bytes(*heic_), std::nullopt,
              [&](Result r) { busy_result = std::move(r); });
  busy.WaitForNotification();
  pool.Submit(Bytes(*heic_), std::nullopt, [&](Result r) {
    queued_result = std::move(r);
    queued_done.Notify();
  });
  std::thread stopper([&] { pool.Shutdown(); });
  queued_done.WaitForNotification();  // Failed before the busy one ends.
  EXPECT_EQ(queued_result.status().code(), absl::StatusCode::kUnavailable);
  release.Notify();
  stopper.join();
  EXPECT_EQ(busy_result.status().code(), absl::StatusCode::kInternal);
  Result after = absl::UnknownError("not answered");
  pool.Submit(Bytes(*heic_), std::nullopt,
              [&](Result r) { after = std::move(r); });
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(NormalizerPoolTest, AResultOverTheMemoryBudgetIsRefused) {
  MemoryBudget tiny(64);
  NormalizerOptions options = Options();
  options.budget = &tiny;
  NormalizerPool pool(options);
  ASSERT_TRUE(pool.Start().ok());
  Result result = Convert(pool, *heic_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(Reason(result.status()), "MEMORY_BUDGET_EXHAUSTED");
  EXPECT_EQ(tiny.in_use(), 0);
}

TEST_F(NormalizerPoolTest, AWorkerThatCannotStartFailsStartWithTheReason) {
  NormalizerOptions options = Options();
  options.worker_argv = {"/bin/true"};
  NormalizerPool pool(options);
  const absl::Status status = pool.Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(status.message(), "did not start")) << status;
  options.worker_argv = {"/nonexistent/normalize_worker"};
  NormalizerPool missing(options);
  EXPECT_FALSE(missing.Start().ok());
}

}  // namespace
}  // namespace userimage
