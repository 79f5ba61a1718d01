#include "server/http/http_url.h"

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(HttpUrlTest, ReadsSchemeAndHost) {
  absl::StatusOr<HttpUrl> url = ParseHttpUrl("https://api.clerk.com");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "api.clerk.com");
  EXPECT_FALSE(url->loopback);
  url = ParseHttpUrl("HTTP://[::1]:8080/prefix");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->scheme, "http");
  EXPECT_EQ(url->host, "::1");
  EXPECT_TRUE(url->loopback);
}

TEST(HttpUrlTest, LoopbackOnlyForLiteralLocalHosts) {
  for (const char* local :
       {"http://127.0.0.1", "http://127.3.4.5:9000/", "http://localhost:8080",
        "http://LOCALHOST", "http://[::1]"}) {
    absl::StatusOr<HttpUrl> url = ParseHttpUrl(local);
    ASSERT_TRUE(url.ok()) << local << ": " << url.status();
    EXPECT_TRUE(url->loopback) << local;
  }
  for (const char* remote :
       {"http://127.evil.example", "http://127.0.0.1.evil.example",
        "http://localhost.evil.example", "http://128.0.0.1", "http://[::2]",
        "http://10.0.0.1"}) {
    absl::StatusOr<HttpUrl> url = ParseHttpUrl(remote);
    ASSERT_TRUE(url.ok()) << remote << ": " << url.status();
    EXPECT_FALSE(url->loopback) << remote;
  }
}

TEST(HttpUrlTest, RefusesUserInfoOutright) {
  for (const char* url :
       {"http://127.0.0.1@evil.example", "http://user:pw@localhost",
        "https://sk_live@api.clerk.com"}) {
    absl::StatusOr<HttpUrl> parsed = ParseHttpUrl(url);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
        << url;
    EXPECT_NE(parsed.status().message().find("user-info"), std::string::npos)
        << parsed.status();
  }
}

TEST(HttpUrlTest, RefusesWhatIsNotAnAbsoluteHttpUrl) {
  for (const char* url : {"ftp://example.com", "api.clerk.com", "https://", "",
                          "https://api.clerk.com/?x=1",
                          "https://api.clerk.com/#f", "file:///etc/passwd"}) {
    EXPECT_EQ(ParseHttpUrl(url).status().code(),
              absl::StatusCode::kInvalidArgument)
        << url;
  }
}

TEST(HttpUrlTest, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.255.255.254"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("[::1]"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("127.1"));  // Not dotted-quad.
  EXPECT_FALSE(IsLoopbackHost("127.evil.example"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost(""));
}

TEST(HttpUrlTest, LoopbackListenAddresses) {
  EXPECT_TRUE(IsLoopbackListenAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackListenAddress("localhost:0"));
  EXPECT_TRUE(IsLoopbackListenAddress("[::1]:50051"));
  EXPECT_TRUE(IsLoopbackListenAddress("unix:/run/userimage.sock"));
  EXPECT_FALSE(IsLoopbackListenAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackListenAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackListenAddress(":50051"));
  EXPECT_FALSE(IsLoopbackListenAddress("10.1.2.3:50051"));
  EXPECT_FALSE(IsLoopbackListenAddress("50051"));
}

}  // namespace
}  // namespace userimage
