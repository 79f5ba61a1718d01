#include "server/metrics/metrics_endpoint.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "server/metrics/metrics.h"

namespace userimage {
namespace {

using ::testing::HasSubstr;

// An endpoint on a loop that one thread runs until the test ends.
class MetricsEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = event_base_new();
    // The base is not thread-safe: the loop is stopped from its own thread,
    // woken through an eventfd.
    stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    stop_ = event_new(
        base_, stop_fd_, EV_READ,
        [](int, short, void* base) {
          event_base_loopbreak(static_cast<event_base*>(base));
        },
        base_);
    event_add(stop_, nullptr);
  }
  void TearDown() override {
    if (loop_.joinable()) {
      const uint64_t one = 1;
      ASSERT_EQ(write(stop_fd_, &one, sizeof(one)), sizeof(one));
      loop_.join();
    }
    endpoint_.reset();
    event_free(stop_);
    close(stop_fd_);
    event_base_free(base_);
  }

  // Starts serving `metrics` on an OS-chosen loopback port.
  void Serve(Metrics& metrics) {
    auto endpoint =
        MetricsEndpoint::Start(base_, "127.0.0.1:0", metrics.Collectables());
    ASSERT_TRUE(endpoint.ok()) << endpoint.status();
    endpoint_ = *std::move(endpoint);
    ASSERT_GT(endpoint_->port(), 0);
    // The loop's thread owns the base from here until TearDown.
    loop_ = std::thread(
        [base = base_] { event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY); });
  }

  // A plain TCP connection to the endpoint.
  int Connect() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(endpoint_->port()));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
    return fd;
  }

  httplib::Client Client() {
    return httplib::Client("127.0.0.1", endpoint_->port());
  }

  event_base* base_ = nullptr;
  int stop_fd_ = -1;
  event* stop_ = nullptr;
  std::unique_ptr<MetricsEndpoint> endpoint_;
  std::thread loop_;
};

TEST_F(MetricsEndpointTest, ServesTheExpositionAtMetrics) {
  Metrics metrics;
  metrics.RecordClerkRequest(200, absl::Milliseconds(5), 1024);
  metrics.AddGauge("userimage_test_gauge", "A gauge of the test.",
                   [] { return 7.0; });
  Serve(metrics);
  auto response = Client().Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->get_header_value("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(response->body,
              HasSubstr("userimage_clerk_requests_total{status=\"200\"} 1"));
  EXPECT_THAT(response->body, HasSubstr("userimage_test_gauge 7"));
}

TEST_F(MetricsEndpointTest, EachScrapeSamplesAgain) {
  Metrics metrics;
  Serve(metrics);
  auto first = Client().Get("/metrics");
  ASSERT_TRUE(first);
  EXPECT_THAT(first->body,
              ::testing::Not(HasSubstr("userimage_clerk_retries_total 1")));
  metrics.RecordRetry();
  auto second = Client().Get("/metrics");
  ASSERT_TRUE(second);
  EXPECT_THAT(second->body, HasSubstr("userimage_clerk_retries_total 1"));
}

TEST_F(MetricsEndpointTest, HeadAnswersWithoutABody) {
  Metrics metrics;
  Serve(metrics);
  auto response = Client().Head("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(response->body.empty());
}

// A HEAD and a GET on one kept-alive connection: the HEAD answer carries
// the length but no body, so the GET's answer is read as its own.
TEST_F(MetricsEndpointTest, HeadSendsNoBodyOnAKeptAliveConnection) {
  Metrics metrics;
  Serve(metrics);
  const int fd = Connect();
  const std::string requests =
      "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(write(fd, requests.data(), requests.size()),
            static_cast<ssize_t>(requests.size()));
  std::string received;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) received.append(buffer, n);
  close(fd);
  // Two status lines; the second right after the first's headers.
  const size_t head_end = received.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << received;
  EXPECT_EQ(received.substr(0, 15), "HTTP/1.1 200 OK") << received;
  EXPECT_THAT(received.substr(0, head_end), HasSubstr("Content-Length: "));
  EXPECT_EQ(received.substr(head_end + 4, 15), "HTTP/1.1 200 OK") << received;
  EXPECT_THAT(received.substr(head_end + 4),
              HasSubstr("userimage_clerk_retries_total"));
}

TEST_F(MetricsEndpointTest, OtherPathsAreNotFound) {
  Metrics metrics;
  Serve(metrics);
  for (const char* path : {"/", "/metrics/", "/metricsx", "/health"}) {
    auto response = Client().Get(path);
    ASSERT_TRUE(response) << path;
    EXPECT_EQ(response->status, 404) << path;
  }
}

TEST_F(MetricsEndpointTest, OtherMethodsAreNotAllowed) {
  Metrics metrics;
  Serve(metrics);
  auto post = Client().Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto del = Client().Delete("/metrics");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
}

TEST_F(MetricsEndpointTest, ABodyOverTheLimitIsRefused) {
  Metrics metrics;
  Serve(metrics);
  auto response =
      Client().Post("/metrics", std::string(64 << 10, 'x'), "text/plain");
  // evhttp answers 413 or drops the connection; either way no scrape.
  if (response) {
    EXPECT_EQ(response->status, 413);
  }
}

TEST_F(MetricsEndpointTest, ServesManyConnectionsAtOnce) {
  Metrics metrics;
  Serve(metrics);
  // Connections that never send a request do not hold up the others.
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(Connect());
  for (int i = 0; i < 20; ++i) {
    auto response = Client().Get("/metrics");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
  }
  for (const int fd : idle) close(fd);
}

TEST_F(MetricsEndpointTest, CollectablesGoneFirstLeaveAnEmptyExposition) {
  auto metrics = std::make_unique<Metrics>();
  Serve(*metrics);
  metrics.reset();
  auto response = Client().Get("/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "");
}

TEST(MetricsEndpointStartTest, RefusesWhatCannotBeBound) {
  event_base* base = event_base_new();
  Metrics metrics;
  for (const char* address : {"9464", "127.0.0.1", ":9464", "127.0.0.1:65536",
                              "127.0.0.1:x", "192.0.2.1:0"}) {
    auto endpoint = MetricsEndpoint::Start(base, address, {});
    ASSERT_FALSE(endpoint.ok()) << address;
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(endpoint.status().message()),
                HasSubstr(absl::StrCat("cannot serve metrics on ", address)));
  }
  event_base_free(base);
}

TEST(MetricsEndpointStartTest, RefusesAPortInUse) {
  event_base* base = event_base_new();
  auto first = MetricsEndpoint::Start(base, "127.0.0.1:0", {});
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string taken = absl::StrCat("127.0.0.1:", (*first)->port());
  auto second = MetricsEndpoint::Start(base, taken, {});
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("bound"));
  first->reset();
  event_base_free(base);
}

TEST(MetricsEndpointStartTest, ServesOnIpv6Loopback) {
  event_base* base = event_base_new();
  auto endpoint = MetricsEndpoint::Start(base, "[::1]:0", {});
  if (!endpoint.ok()) {
    event_base_free(base);
    GTEST_SKIP() << "no IPv6 loopback here: " << endpoint.status();
  }
  EXPECT_GT((*endpoint)->port(), 0);
  endpoint->reset();
  event_base_free(base);
}

}  // namespace
}  // namespace userimage
