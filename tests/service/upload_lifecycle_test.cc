// The upload reactor's races, each forced into the order that used to break
// it (test hooks, fake timers; bounded waits for events, no sleeps): the
// call ends exactly once, and its upload slot and memory reservation are
// released every time. absl's deadlock detection aborts on a lock taken
// twice or out of order (tests/testing:gtest_main).
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/app/clerk_delivery.h"
#include "server/service/user_image_service.h"
#include "tests/normalize/test_photos.h"
#include "tests/testing/fake_time.h"
#include "tests/testing/holding_http_client.h"
#include "tests/testing/images.h"
#include "tests/testing/loopback_server.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::UploadProfileImageRequest;
using ::clerk::userimage::v1::User;
using ::clerk::userimage::v1::UserImageService;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
constexpr absl::Duration kEventWait = absl::Seconds(20);
const std::string kPng = TestPng(100);

HttpResponse UserResponse() {
  HttpResponse r;
  r.status = 200;
  r.headers = {{"content-type", "application/json"}};
  r.body = absl::StrCat(R"({"id":")", kUser, R"(","object":"user"})");
  return r;
}

UploadProfileImageRequest Metadata() {
  UploadProfileImageRequest r;
  r.mutable_metadata()->set_user_id(kUser);
  r.mutable_metadata()->set_filename("avatar.png");
  return r;
}

UploadProfileImageRequest Chunk(std::string bytes) {
  UploadProfileImageRequest r;
  r.set_chunk(std::move(bytes));
  return r;
}

// One notification per hook point, and an optional action at each.
class Hooks {
 public:
  void Run(UploadHookPoint point) {
    std::function<void()> act;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = acts_.find(point); it != acts_.end()) {
        act = std::move(it->second);
        acts_.erase(it);
      }
    }
    if (act) act();
    absl::Notification& reached = Reached(point);
    absl::MutexLock lock(&mu_);
    if (!reached.HasBeenNotified()) reached.Notify();
  }
  void At(UploadHookPoint point, std::function<void()> act) {
    absl::MutexLock lock(&mu_);
    acts_[point] = std::move(act);
  }
  bool WaitFor(UploadHookPoint point) {
    return Reached(point).WaitForNotificationWithTimeout(kEventWait);
  }

 private:
  absl::Notification& Reached(UploadHookPoint point) {
    absl::MutexLock lock(&mu_);
    auto& n = reached_[point];
    if (n == nullptr) n = std::make_unique<absl::Notification>();
    return *n;
  }
  absl::Mutex mu_;
  std::map<UploadHookPoint, std::function<void()>> acts_ ABSL_GUARDED_BY(mu_);
  std::map<UploadHookPoint, std::unique_ptr<absl::Notification>> reached_
      ABSL_GUARDED_BY(mu_);
};

// Waits (bounded) for `condition`, which another thread makes true.
bool WaitUntil(const std::function<bool()>& condition) {
  const absl::Time give_up = absl::Now() + kEventWait;
  while (!condition()) {
    if (absl::Now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

class UploadLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    signal(SIGPIPE, SIG_IGN);
    ASSERT_TRUE(normalizer_.Start().ok());
    LoopbackServer loopback = LoopbackServer::Start(service_);
    ASSERT_NE(loopback.server, nullptr);
    server_ = std::move(loopback.server);
    stub_ = UserImageService::NewStub(loopback.channel);
  }

  void TearDown() override {
    server_->Shutdown();
    // Nothing held once every call is answered.
    EXPECT_EQ(service_.uploads_in_flight(), 0);
    EXPECT_EQ(memory_.in_use(), 0u);
    EXPECT_EQ(gate_.waiting(), 0u);
    EXPECT_EQ(http_.held(), 0u);
  }

  // Sends the metadata and the whole image, then half-closes. A cancel the
  // test makes as the half-close arrives may make WritesDone() report false.
  void SendImage(grpc::ClientWriter<UploadProfileImageRequest>& writer,
                 bool cancelled_on_half_close = false) {
    ASSERT_TRUE(writer.Write(Metadata()));
    ASSERT_TRUE(writer.Write(Chunk(kPng)));
    const bool half_closed = writer.WritesDone();
    if (!cancelled_on_half_close) {
      ASSERT_TRUE(half_closed);
    }
  }

  Hooks hooks_;
  HoldingHttpClient http_;
  FakeTime time_;
  FakeRandom random_{{0.5}};
  Metrics metrics_;
  // Pacing on (a burst of one, then one a second), as by default.
  ClerkDelivery delivery_{
      {.clerk = {.api_url = "http://clerk.test", .secret_key = "sk_test_1"},
       .gate = {.quota = 11, .window = absl::Seconds(10)}},
      http_,
      time_,
      time_,
      random_,
      metrics_};
  RateGate& gate_ = delivery_.gate();
  MemoryBudget memory_{1 << 20};
  // One real, sandboxed worker: HEIC/AVIF/TIFF uploads are converted.
  NormalizerPool normalizer_{
      {.worker_argv = {absl::StrCat(
           std::getenv("TEST_SRCDIR"),
           "/clerk_user_image/server/normalize/normalize_worker")},
       .workers = 1,
       .budget = &memory_,
       .test_after_send = [this](pid_t) {
         if (hold_conversion_) {
           conversion_started_.Notify();
           release_conversion_.WaitForNotification();
         }
       }}};
  // Set by a test: the worker's image is held, once sent, until released.
  std::atomic<bool> hold_conversion_{false};
  absl::Notification conversion_started_, release_conversion_;
  CallerAuthorizer authorizer_ =
      *CallerAuthorizer::Create({.allow_unauthenticated = true});
  UserImageServiceImpl service_{
      {.max_image_bytes = 100'000,
       .idle_timeout = absl::Seconds(30),
       .max_concurrent_uploads = 8,
       .image_policy = {.convert = true},
       .normalizer = &normalizer_,
       .upload_test_hook = [this](UploadHookPoint p) { hooks_.Run(p); }},
      delivery_.client(),
      memory_,
      time_,
      time_,
      random_,
      metrics_,
      authorizer_};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<UserImageService::Stub> stub_;
};

TEST_F(UploadLifecycleTest, CancelRightAfterHalfCloseWhileWaitingAtTheGate) {
  gate_.PauseUntil(time_.Now() + absl::Hours(1));  // Every request waits.
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  // The cancel lands after the Clerk operation started and before the
  // reactor recorded it: the reactor must cancel it itself, outside its
  // lock (the operation answers CANCELLED on this very thread).
  bool cancel_seen = false;
  hooks_.At(UploadHookPoint::kOperationStarted, [&] {
    context.TryCancel();
    cancel_seen = hooks_.WaitFor(UploadHookPoint::kCancelled);
  });
  SendImage(*writer, /*cancelled_on_half_close=*/true);
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(hooks_.WaitFor(UploadHookPoint::kClerkAnswered));
  EXPECT_TRUE(cancel_seen) << "the interleaving was not forced";
  EXPECT_EQ(http_.sent(), 0);
}

TEST_F(UploadLifecycleTest, CancelWhileConvertingSendsNothing) {
  const std::string tiff = MakePhoto("tiff", 40, 30);
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  // The cancel lands after the worker answered and before the reactor acts
  // on the answer: the Clerk request must never start.
  bool cancel_seen = false;
  absl::Notification hook_done;
  hooks_.At(UploadHookPoint::kNormalized, [&] {
    context.TryCancel();
    cancel_seen = hooks_.WaitFor(UploadHookPoint::kCancelled);
    hook_done.Notify();
  });
  ASSERT_TRUE(writer->Write(Metadata()));
  ASSERT_TRUE(writer->Write(Chunk(tiff)));
  writer->WritesDone();
  // The client sees its own cancel at once; the server's side is awaited.
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(hook_done.WaitForNotificationWithTimeout(kEventWait));
  EXPECT_TRUE(cancel_seen) << "the interleaving was not forced";
  ASSERT_TRUE(WaitUntil([&] { return service_.uploads_in_flight() == 0; }));
  EXPECT_EQ(http_.sent(), 0);
}

TEST_F(UploadLifecycleTest, CancelDuringTheConversionStopsTheWorker) {
  const std::string tiff = MakePhoto("tiff", 40, 30);
  hold_conversion_ = true;
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  ASSERT_TRUE(writer->Write(Metadata()));
  ASSERT_TRUE(writer->Write(Chunk(tiff)));
  ASSERT_TRUE(writer->WritesDone());
  ASSERT_TRUE(conversion_started_.WaitForNotificationWithTimeout(kEventWait));
  context.TryCancel();
  ASSERT_TRUE(hooks_.WaitFor(UploadHookPoint::kCancelled));
  release_conversion_.Notify();  // The worker was killed meanwhile.
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(hooks_.WaitFor(UploadHookPoint::kNormalized));
  ASSERT_TRUE(WaitUntil([&] { return service_.uploads_in_flight() == 0; }));
  // The pool let go of the image before it answered: nothing is held.
  EXPECT_EQ(memory_.in_use(), 0u);
  EXPECT_EQ(normalizer_.replaced(), 0);  // Killed for the cancel.
  EXPECT_EQ(http_.sent(), 0);
}

TEST_F(UploadLifecycleTest, AnImageTheWorkerCannotDecodeIsRefusedUnsent) {
  const std::string tiff = MakePhoto("tiff", 40, 30);
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  ASSERT_TRUE(writer->Write(Metadata()));
  ASSERT_TRUE(writer->Write(Chunk(tiff.substr(0, tiff.size() / 2))));
  ASSERT_TRUE(writer->WritesDone());
  const grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(status.error_message().empty());
  EXPECT_EQ(http_.sent(), 0);
}

TEST_F(UploadLifecycleTest, CancelWhileWaitingAtTheGate) {
  gate_.PauseUntil(time_.Now() + absl::Hours(1));
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  SendImage(*writer);
  ASSERT_TRUE(hooks_.WaitFor(UploadHookPoint::kOperationStarted));
  context.TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(hooks_.WaitFor(UploadHookPoint::kClerkAnswered));
  EXPECT_EQ(http_.sent(), 0);
}

TEST_F(UploadLifecycleTest, CancelBeforeMetadataAndMidStream) {
  for (int messages : {0, 1}) {
    grpc::ClientContext context;
    User user;
    auto writer = stub_->UploadProfileImage(&context, &user);
    if (messages > 0) {
      ASSERT_TRUE(writer->Write(Metadata()));
    }
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  server_->Shutdown();  // Waits for both reactors to be done.
  EXPECT_EQ(http_.sent(), 0);
}

TEST_F(UploadLifecycleTest, CancelDuringTheHttpAttemptAbortsIt) {
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  SendImage(*writer);
  ASSERT_TRUE(hooks_.WaitFor(UploadHookPoint::kOperationStarted));
  ASSERT_EQ(http_.held(), 1u);  // With Clerk.
  context.TryCancel();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_TRUE(hooks_.WaitFor(UploadHookPoint::kClerkAnswered));
  EXPECT_EQ(http_.aborted(), 1);  // Removed at once, not left to time out.
}

TEST_F(UploadLifecycleTest, CancelAfterClerkAnsweredBeforeFinish) {
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  SendImage(*writer);
  ASSERT_TRUE(hooks_.WaitFor(UploadHookPoint::kOperationStarted));
  bool cancel_seen = false;
  hooks_.At(UploadHookPoint::kClerkAnswered, [&] {
    context.TryCancel();
    cancel_seen = hooks_.WaitFor(UploadHookPoint::kCancelled);
  });
  ASSERT_TRUE(http_.Answer(UserResponse()));
  EXPECT_TRUE(cancel_seen) << "the interleaving was not forced";
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(http_.aborted(), 0);
}

TEST_F(UploadLifecycleTest, ReadThatLosesToTheIdleTimerIsDropped) {
  grpc::ClientContext context;
  User user;
  auto writer = stub_->UploadProfileImage(&context, &user);
  // The call's first idle timer is due at start + 30 s; move the clock on
  // so that the one set after the metadata (due at start + 31 s) can be
  // told from it.
  const absl::Time start = time_.Now();
  ASSERT_TRUE(WaitUntil([&] { return time_.pending() == 1; }));
  time_.Advance(absl::Seconds(1));
  ASSERT_TRUE(writer->Write(Metadata()));
  ASSERT_TRUE(WaitUntil([&] {
    return time_.pending() == 1 && time_.NextDue() == start + absl::Seconds(31);
  }));
  // The idle timer is off the queue; before its callback runs, a chunk
  // arrives. The read must leave the finish to the timer.
  bool read_lost = false;
  time_.SetBeforeRun([&](Timers::Id) {
    if (read_lost) return;
    EXPECT_TRUE(writer->Write(Chunk(kPng.substr(0, 10))));
    read_lost = hooks_.WaitFor(UploadHookPoint::kReadLostToIdleTimer);
  });
  time_.Advance(absl::Seconds(30));
  EXPECT_TRUE(read_lost) << "the interleaving was not forced";
  writer->WritesDone();
  EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(http_.sent(), 0);
}

}  // namespace
}  // namespace userimage
