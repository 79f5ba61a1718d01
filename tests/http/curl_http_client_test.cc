#include "server/http/curl_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/testing/local_http_server.h"

namespace userimage {
namespace {

HttpResult SendAndWait(HttpClient& client, HttpRequest request) {
  absl::Notification done;
  std::optional<HttpResult> result;
  client.Send(std::move(request), [&](HttpResult r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return *std::move(result);
}

struct SeenRequest {
  std::string method, path, content_length, transfer_encoding, expect;
  std::string user_agent, custom, content_type;
  std::string filename, file_type, file_bytes;
  bool has_file = false;
  int remote_port = 0;
};

class CurlHttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto record = [this](const httplib::Request& req, httplib::Response& res) {
      absl::MutexLock lock(&mu_);
      SeenRequest seen;
      seen.method = req.method;
      seen.path = req.path;
      seen.content_length = req.get_header_value("Content-Length");
      seen.transfer_encoding = req.get_header_value("Transfer-Encoding");
      seen.expect = req.get_header_value("Expect");
      seen.user_agent = req.get_header_value("User-Agent");
      seen.custom = req.get_header_value("X-Custom");
      seen.content_type = req.get_header_value("Content-Type");
      seen.remote_port = req.remote_port;
      if (req.has_file("file")) {
        const httplib::MultipartFormData file = req.get_file_value("file");
        seen.has_file = true;
        seen.filename = file.filename;
        seen.file_type = file.content_type;
        seen.file_bytes = file.content;
      }
      seen_.push_back(seen);
      res.status = req.path == "/missing" ? 404 : 200;
      res.set_header("X-Answer", "42");
      res.set_content(
          req.path == "/huge" ? std::string(3 << 20, 'x') : R"({"ok":true})",
          "application/json");
    };
    server_.server().Post(".*", record);
    server_.server().Get(".*", record);
    server_.server().Delete(".*", record);
  }

  std::vector<SeenRequest> Seen() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

  LocalHttpServer server_;
  CurlHttpClient client_{{.user_agent = "test-agent/1.0"}};
  absl::Mutex mu_;
  std::vector<SeenRequest> seen_;
};

TEST_F(CurlHttpClientTest, PostsMultipartFileWithFixedLengthAndNoExpect) {
  // 2 MiB of every byte value: large enough that libcurl would otherwise
  // send Expect: 100-continue.
  auto data = std::make_shared<std::string>();
  for (int i = 0; i < 2 * 1024 * 1024; ++i)
    data->push_back(static_cast<char>(i % 251));
  HttpRequest request;
  request.method = "POST";
  request.url = server_.Url("/v1/users/user_1/profile_image");
  request.headers = {{"X-Custom", "yes"}};
  request.multipart_file =
      MultipartFile{"file", "avatar \"1\".png", "image/png", data};
  absl::StatusOr<HttpResponse> response =
      SendAndWait(client_, request).response;
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(response->Header("x-answer"), "42");
  EXPECT_EQ(response->Header("content-type"), "application/json");

  std::vector<SeenRequest> seen = Seen();
  ASSERT_EQ(seen.size(), 1);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v1/users/user_1/profile_image");
  EXPECT_FALSE(seen[0].content_length.empty());
  EXPECT_GT(std::stoul(seen[0].content_length), data->size());
  EXPECT_EQ(seen[0].transfer_encoding, "");
  EXPECT_EQ(seen[0].expect, "");
  EXPECT_EQ(seen[0].user_agent, "test-agent/1.0");
  EXPECT_EQ(seen[0].custom, "yes");
  EXPECT_TRUE(
      absl::StartsWith(seen[0].content_type, "multipart/form-data; boundary="));
  ASSERT_TRUE(seen[0].has_file);
  EXPECT_EQ(seen[0].file_type, "image/png");
  EXPECT_EQ(seen[0].file_bytes, *data);
  // The quote is percent-encoded as browsers (and Clerk's JS SDK) do.
  EXPECT_EQ(seen[0].filename, "avatar %221%22.png");
}

TEST_F(CurlHttpClientTest, ErrorStatusIsAResponseAndMethodsAreKept) {
  HttpRequest get;
  get.url = server_.Url("/missing");
  absl::StatusOr<HttpResponse> response = SendAndWait(client_, get).response;
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 404);

  HttpRequest del;
  del.method = "DELETE";
  del.url = server_.Url("/v1/users/user_1/profile_image");
  response = SendAndWait(client_, del).response;
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  std::vector<SeenRequest> seen = Seen();
  ASSERT_EQ(seen.size(), 2);
  EXPECT_EQ(seen[0].method, "GET");
  EXPECT_EQ(seen[1].method, "DELETE");
  // The second request reused the first one's connection.
  EXPECT_EQ(seen[0].remote_port, seen[1].remote_port);
}

TEST_F(CurlHttpClientTest, ABodyPastTheLimitStopsTheTransfer) {
  HttpRequest get;
  get.url = server_.Url("/huge");
  get.max_response_bytes = 1 << 20;
  absl::StatusOr<HttpResponse> response = SendAndWait(client_, get).response;
  EXPECT_EQ(response.status().code(), absl::StatusCode::kOutOfRange)
      << response.status();
  // Within the limit the same body is kept whole.
  get.max_response_bytes = 4 << 20;
  response = SendAndWait(client_, get).response;
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body.size(), 3u << 20);
}

TEST(CurlHttpClientErrorsTest, ConnectionRefusedIsUnavailable) {
  // Take a free port from the OS and close it again: nothing listens there.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  const int port = ntohs(addr.sin_port);
  CurlHttpClient client({.user_agent = "t"});
  HttpRequest request;
  request.url = absl::StrCat("http://127.0.0.1:", port, "/");
  const HttpResult result = SendAndWait(client, request);
  EXPECT_EQ(result.response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(result.request_sent);  // Nothing went out.
}

// Accepts one connection on 127.0.0.1, reads until `enough` says the bytes
// so far suffice, then resets the connection (SO_LINGER 0).
class CuttingServer {
 public:
  explicit CuttingServer(std::function<bool(const std::string&)> enough)
      : listener_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(listener_, 1);
    thread_ = std::thread([this, enough = std::move(enough)] {
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::string seen;
      char buffer[65536];
      while (!enough(seen)) {
        const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        seen.append(buffer, static_cast<size_t>(n));
      }
      linger reset{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
      close(fd);
    });
  }
  ~CuttingServer() {
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  const int listener_;
  int port_ = 0;
  std::thread thread_;
};

HttpRequest Upload(const std::string& url, size_t bytes) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.multipart_file =
      MultipartFile{"file", "a.png", "image/png",
                    std::make_shared<const std::string>(bytes, 'x')};
  return request;
}

TEST(CurlHttpClientErrorsTest, AResetAfterTheWholeRequestMaySinceHaveApplied) {
  // The multipart body's closing boundary is the request's last line.
  CuttingServer server(
      [](const std::string& seen) { return absl::EndsWith(seen, "--\r\n"); });
  CurlHttpClient client({.user_agent = "t"});
  const HttpResult result = SendAndWait(client, Upload(server.Url(), 100000));
  ASSERT_FALSE(result.response.ok());
  EXPECT_EQ(result.response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(result.request_sent) << result.response.status();
}

TEST(CurlHttpClientErrorsTest, AResetBeforeTheBodyWasSentWasNotApplied) {
  // Cut off once the headers are in, with most of 32 MB still to send.
  CuttingServer server([](const std::string& seen) {
    return absl::StrContains(seen, "\r\n\r\n");
  });
  CurlHttpClient client({.user_agent = "t"});
  const HttpResult result = SendAndWait(client, Upload(server.Url(), 32 << 20));
  ASSERT_FALSE(result.response.ok());
  EXPECT_FALSE(result.request_sent) << result.response.status();
}

TEST(CurlHttpClientErrorsTest, TimeoutIsDeadlineExceeded) {
  LocalHttpServer server;
  absl::Notification release;
  server.server().Get(
      "/slow", [&](const httplib::Request&, httplib::Response& res) {
        release.WaitForNotificationWithTimeout(absl::Seconds(30));
        res.set_content("late", "text/plain");
      });
  CurlHttpClient client({.user_agent = "t"});
  HttpRequest request;
  request.url = server.Url("/slow");
  request.timeout = absl::Milliseconds(50);
  absl::StatusOr<HttpResponse> response = SendAndWait(client, request).response;
  release.Notify();
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(CurlHttpClientErrorsTest, ShutdownCancelsTransfersInFlight) {
  LocalHttpServer server;
  absl::Notification arrived, release;
  server.server().Get(
      "/hang", [&](const httplib::Request&, httplib::Response& res) {
        arrived.Notify();
        release.WaitForNotificationWithTimeout(absl::Seconds(30));
        res.set_content("late", "text/plain");
      });
  absl::Notification done;
  absl::Status status;
  {
    CurlHttpClient client({.user_agent = "t"});
    HttpRequest request;
    request.url = server.Url("/hang");
    client.Send(request, [&](HttpResult r) {
      status = r.response.status();
      done.Notify();
    });
    arrived.WaitForNotification();
  }  // Destroyed with the request in flight.
  ASSERT_TRUE(done.HasBeenNotified());
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  release.Notify();
}

// A server whose /hang handler holds each request until released.
class HangingServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hang = [this](const httplib::Request&, httplib::Response& res) {
      {
        absl::MutexLock lock(&mu_);
        ++arrived_;
      }
      release_.WaitForNotificationWithTimeout(absl::Seconds(60));
      res.set_content("late", "text/plain");
    };
    auto fast = [](const httplib::Request&, httplib::Response& res) {
      res.set_content("fast", "text/plain");
    };
    server_.server().Get("/hang", hang);
    server_.server().Post("/hang", hang);
    server_.server().Get("/fast", fast);
    server_.server().Post("/fast", fast);
  }
  void TearDown() override { release_.Notify(); }

  bool WaitForArrivals(int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return arrived_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(30));
  }

  HttpRequest Hanging(std::shared_ptr<AbortSignal> abort = nullptr) {
    HttpRequest request;
    request.url = server_.Url("/hang");
    request.timeout = absl::Seconds(60);  // The abort must not wait for it.
    request.abort = std::move(abort);
    return request;
  }

  absl::Mutex mu_;
  int arrived_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Notification release_;
  LocalHttpServer server_;
  CurlHttpClient client_{{.user_agent = "t"}};
};

TEST_F(HangingServerTest, AbortRemovesATransferInFlightAtOnce) {
  auto signal = std::make_shared<AbortSignal>();
  absl::Notification done;
  absl::Status status;
  client_.Send(Hanging(signal), [&](HttpResult r) {
    status = r.response.status();
    done.Notify();
  });
  ASSERT_TRUE(WaitForArrivals(1));
  EXPECT_FALSE(done.HasBeenNotified());
  signal->Abort();
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  // The client goes on serving.
  HttpRequest fast;
  fast.url = server_.Url("/fast");
  EXPECT_EQ(SendAndWait(client_, fast).response->body, "fast");
}

TEST_F(HangingServerTest, TheBodyIsReleasedBeforeDoneRuns) {
  // The memory budget is returned with the last reference to the image:
  // the transfer's is gone by the time the caller hears back.
  for (bool abort : {false, true}) {
    auto data = std::make_shared<const std::string>(100'000, 'x');
    std::weak_ptr<const std::string> weak = data;
    HttpRequest request;
    request.method = "POST";
    request.url = server_.Url(abort ? "/hang" : "/fast");
    request.multipart_file = MultipartFile{"file", "a.png", "image/png", data};
    data.reset();
    auto signal = std::make_shared<AbortSignal>();
    request.abort = signal;
    absl::Notification done;
    bool released = false;
    client_.Send(std::move(request), [&](HttpResult) {
      released = weak.expired();
      done.Notify();
    });
    if (abort) {
      ASSERT_TRUE(WaitForArrivals(1));
      signal->Abort();
    }
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
    EXPECT_TRUE(released) << (abort ? "aborted" : "completed");
  }
}

TEST_F(HangingServerTest, AbortBeforeSendingNeverSends) {
  auto signal = std::make_shared<AbortSignal>();
  signal->Abort();
  EXPECT_EQ(SendAndWait(client_, Hanging(signal)).response.status().code(),
            absl::StatusCode::kCancelled);
  HttpRequest fast;
  fast.url = server_.Url("/fast");
  EXPECT_EQ(SendAndWait(client_, fast).response->body, "fast");
  absl::MutexLock lock(&mu_);
  EXPECT_EQ(arrived_, 0);
}

TEST_F(HangingServerTest, AbortAfterCompletionChangesNothing) {
  auto signal = std::make_shared<AbortSignal>();
  HttpRequest fast;
  fast.url = server_.Url("/fast");
  fast.abort = signal;
  EXPECT_EQ(SendAndWait(client_, fast).response->body, "fast");
  signal->Abort();  // The transfer is gone: nothing runs twice.
}

TEST_F(HangingServerTest, AbortInFlightEndsEveryTransfer) {
  constexpr int kTransfers = 3;
  absl::Mutex mu;
  int cancelled = 0;
  absl::Notification all_done;
  for (int i = 0; i < kTransfers; ++i) {
    client_.Send(Hanging(), [&](HttpResult r) {
      absl::MutexLock lock(&mu);
      if (r.response.status().code() == absl::StatusCode::kCancelled)
        ++cancelled;
      if (cancelled == kTransfers) all_done.Notify();
    });
  }
  ASSERT_TRUE(WaitForArrivals(kTransfers));
  client_.AbortInFlight();
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

TEST_F(HangingServerTest, ABlockedCallbackDoesNotStallTransfers) {
  // Callbacks run on their own thread: while one waits, the I/O thread
  // still carries other transfers to the server.
  absl::Notification first_done, unblock;
  HttpRequest fast;
  fast.url = server_.Url("/fast");
  client_.Send(fast, [&](HttpResult) {
    first_done.Notify();
    unblock.WaitForNotificationWithTimeout(absl::Seconds(30));
  });
  ASSERT_TRUE(first_done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  client_.Send(Hanging(), [](HttpResult) {});
  EXPECT_TRUE(WaitForArrivals(1));  // Sent while the callback blocks.
  unblock.Notify();
}

}  // namespace
}  // namespace userimage

namespace userimage {
namespace {

TEST(CurlHttpClientTimersTest, RunsTimersInTimeOrderAndSkipsCancelled) {
  CurlHttpClient client({.user_agent = "t"});
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification done;
  const absl::Time now = absl::Now();
  auto record = [&](int id) {
    return [&, id] {
      absl::MutexLock lock(&mu);
      order.push_back(id);
    };
  };
  client.timers().Schedule(now + absl::Milliseconds(30), record(3));
  client.timers().Schedule(now + absl::Milliseconds(10), record(1));
  const Timers::Id cancelled =
      client.timers().Schedule(now + absl::Milliseconds(20), record(99));
  client.timers().Schedule(now + absl::Milliseconds(20), record(2));
  client.timers().Schedule(now + absl::Milliseconds(40),
                           [&] { done.Notify(); });
  EXPECT_TRUE(client.timers().Cancel(cancelled));
  EXPECT_FALSE(client.timers().Cancel(cancelled));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(order, std::vector<int>({1, 2, 3}));
}

TEST(CurlHttpClientTimersTest, AnEarlierTimerWakesTheLoop) {
  CurlHttpClient client({.user_agent = "t"});
  client.timers().Schedule(absl::Now() + absl::Hours(1), [] {});
  absl::Notification done;
  client.timers().Schedule(absl::Now(), [&] { done.Notify(); });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

TEST(CurlHttpClientTimersTest, PendingTimersAreDroppedOnDestruction) {
  bool ran = false;
  {
    CurlHttpClient client({.user_agent = "t"});
    client.timers().Schedule(absl::Now() + absl::Hours(1), [&] { ran = true; });
  }
  EXPECT_FALSE(ran);
}

TEST(UploadBufferBytesTest, AnImageAloneLeavesInAFewSends) {
  EXPECT_EQ(UploadBufferBytes(100000, 0), 101024);
  EXPECT_EQ(UploadBufferBytes(5 << 20, 0), CurlHttpClient::kMaxUploadBuffer);
  // Never below libcurl's minimum, however small the body.
  EXPECT_EQ(UploadBufferBytes(10, 0), CurlHttpClient::kMinUploadBuffer);
}

TEST(UploadBufferBytesTest, TheBuffersInFlightStayWithinTheirBudget) {
  size_t in_use = 0;
  for (int i = 0; i < 2000; ++i) in_use += UploadBufferBytes(102400, in_use);
  // The budget, then libcurl's minimum for each transfer beyond it.
  EXPECT_LE(in_use, CurlHttpClient::kUploadBuffersBytes +
                        2000 * CurlHttpClient::kMinUploadBuffer);
  EXPECT_EQ(UploadBufferBytes(102400, CurlHttpClient::kUploadBuffersBytes),
            CurlHttpClient::kMinUploadBuffer);
  // What is left of the budget, when less than the body needs.
  EXPECT_EQ(
      UploadBufferBytes(1 << 20, CurlHttpClient::kUploadBuffersBytes - 100000),
      100000);
}

}  // namespace
}  // namespace userimage
