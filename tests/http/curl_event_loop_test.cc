#include "server/http/curl_event_loop.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "curl/curl.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/http/curl_handle.h"
#include "tests/testing/local_http_server.h"

namespace userimage {
namespace {

// Answers GET /n with n bytes.
void ServeBytes(LocalHttpServer& server) {
  server.server().Get(R"(/(\d+))", [](const httplib::Request& request,
                                      httplib::Response& response) {
    response.set_content(std::string(std::stoul(request.matches[1]), 'x'),
                         "text/plain");
  });
}

std::string Url(const LocalHttpServer& server, size_t bytes) {
  return server.Url(absl::StrCat("/", bytes));
}

size_t Collect(char* data, size_t size, size_t count, void* body) {
  static_cast<std::string*>(body)->append(data, size * count);
  return size * count;
}

struct Get {
  CurlHandle easy;
  std::string body;
};

std::unique_ptr<Get> StartGet(CURLM* multi, const std::string& url) {
  absl::StatusOr<CurlHandle> easy = CurlHandle::Create();
  EXPECT_TRUE(easy.ok());
  auto get = std::make_unique<Get>(Get{*std::move(easy), ""});
  EXPECT_TRUE(get->easy.SetOption(CURLOPT_URL, url.c_str()).ok());
  EXPECT_TRUE(get->easy.SetOption(CURLOPT_WRITEFUNCTION, &Collect).ok());
  EXPECT_TRUE(get->easy.SetOption(CURLOPT_WRITEDATA, &get->body).ok());
  EXPECT_EQ(curl_multi_add_handle(multi, get->easy.get()), CURLM_OK);
  return get;
}

// Runs `loop` until `count` transfers completed (each CURLE_OK), or fails
// after a minute.
void RunUntilDone(CURLM* multi, CurlEventLoop& loop, int count) {
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  int done = 0;
  while (done < count && absl::Now() < give_up) {
    loop.RunOnce(absl::Seconds(1));
    int remaining = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &remaining)) {
      ASSERT_EQ(msg->msg, CURLMSG_DONE);
      EXPECT_EQ(msg->data.result, CURLE_OK);
      curl_multi_remove_handle(multi, msg->easy_handle);
      ++done;
    }
  }
  EXPECT_EQ(done, count);
}

class CurlEventLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServeBytes(server_);
    multi_ = curl_multi_init();
    absl::StatusOr<std::unique_ptr<CurlEventLoop>> loop =
        CurlEventLoop::Create(multi_);
    ASSERT_TRUE(loop.ok()) << loop.status();
    loop_ = *std::move(loop);
  }
  void TearDown() override {
    loop_.reset();
    curl_multi_cleanup(multi_);
  }

  LocalHttpServer server_;
  CURLM* multi_ = nullptr;
  std::unique_ptr<CurlEventLoop> loop_;
};

TEST_F(CurlEventLoopTest, DrivesATransferToCompletion) {
  std::unique_ptr<Get> get = StartGet(multi_, Url(server_, 200000));
  RunUntilDone(multi_, *loop_, 1);
  EXPECT_EQ(get->body, std::string(200000, 'x'));
}

TEST_F(CurlEventLoopTest, DrivesManyTransfersAtOnce) {
  std::vector<std::unique_ptr<Get>> gets;
  for (int i = 0; i < 100; ++i) {
    gets.push_back(StartGet(multi_, Url(server_, 1000 + i)));
  }
  RunUntilDone(multi_, *loop_, 100);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(gets[i]->body.size(), 1000 + i);
}

TEST_F(CurlEventLoopTest, ReusesConnectionsAcrossTransfers) {
  for (int i = 0; i < 3; ++i) {
    std::unique_ptr<Get> get = StartGet(multi_, Url(server_, 10));
    RunUntilDone(multi_, *loop_, 1);
    long connects = -1;
    curl_easy_getinfo(get->easy.get(), CURLINFO_NUM_CONNECTS, &connects);
    EXPECT_EQ(connects, i == 0 ? 1 : 0) << "transfer " << i;
  }
}

TEST_F(CurlEventLoopTest, WakeEndsTheWaitFromAnotherThread) {
  std::thread waker([this] { loop_->Wake(); });
  // Returns once woken; without the wake-up it would wait its second.
  loop_->RunOnce(absl::Hours(1));
  waker.join();
}

TEST_F(CurlEventLoopTest, WakeBeforeTheWaitMakesItReturnAtOnce) {
  loop_->Wake();
  loop_->Wake();  // Two wake-ups end one wait, and are both consumed.
  loop_->RunOnce(absl::Hours(1));
  const absl::Time before = absl::Now();
  loop_->RunOnce(absl::Milliseconds(20));
  EXPECT_GE(absl::Now() - before, absl::Milliseconds(19));
}

// A transfer libcurl finishes when its due timeout is acted on (here one
// that fails at once: adding it asks for a timeout due now) is reported when
// that RunOnce() returns, not after a wait that nothing would end.
TEST_F(CurlEventLoopTest, ATransferFinishedOnADueTimeoutIsReportedAtOnce) {
  // The fixture's loop gives way to one whose wait is uncapped (the old one
  // first, as its destructor uninstalls the callbacks).
  loop_.reset();
  absl::StatusOr<std::unique_ptr<CurlEventLoop>> loop =
      CurlEventLoop::Create(multi_, absl::InfiniteDuration());
  ASSERT_TRUE(loop.ok()) << loop.status();
  loop_ = *std::move(loop);
  absl::StatusOr<CurlHandle> easy = CurlHandle::Create();
  ASSERT_TRUE(easy.ok());
  ASSERT_TRUE(easy->SetOption(CURLOPT_URL, "unsupported-scheme://x/").ok());
  ASSERT_EQ(curl_multi_add_handle(multi_, easy->get()), CURLM_OK);
  // Ends a wait that would otherwise never end, so that the test fails
  // rather than hangs.
  absl::Notification returned;
  bool watchdog_woke = false;
  std::thread watchdog([&] {
    if (!returned.WaitForNotificationWithTimeout(absl::Seconds(30))) {
      watchdog_woke = true;
      loop_->Wake();
    }
  });
  loop_->RunOnce(absl::InfiniteDuration());
  returned.Notify();
  watchdog.join();
  EXPECT_FALSE(watchdog_woke) << "RunOnce() waited with a transfer finished";
  int remaining = 0;
  CURLMsg* msg = curl_multi_info_read(multi_, &remaining);
  ASSERT_NE(msg, nullptr);
  EXPECT_EQ(msg->msg, CURLMSG_DONE);
  EXPECT_EQ(msg->data.result, CURLE_UNSUPPORTED_PROTOCOL);
  curl_multi_remove_handle(multi_, easy->get());
}

}  // namespace
}  // namespace userimage
