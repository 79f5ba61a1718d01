#ifndef SERVER_HTTP_HTTP_URL_H_
#define SERVER_HTTP_HTTP_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace userimage {

// An absolute http(s) URL as libcurl's URL parser (curl_url) reads it: the
// parser the transport itself uses, so the host checked here is the host
// connected to.
struct HttpUrl {
  std::string scheme;  // "http" or "https", lower-case
  std::string host;    // as parsed; an IPv6 address without brackets
  // The host is literally this machine (IsLoopbackHost).
  bool loopback = false;
};

// Parses `url`, which must be absolute http:// or https:// with a host and
// no user-info (a "user@" before the host is refused outright: it makes
// "http://127.0.0.1@evil.example" look local), query or fragment.
// INVALID_ARGUMENT, saying what is wrong, otherwise. Pure; thread-safe.
absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url);

// Whether `host` is literally loopback: an IPv4 address in 127.0.0.0/8 in
// dotted-quad form, the IPv6 address ::1 (with or without brackets), or
// "localhost" (any case). A name that merely starts with "127." is not.
bool IsLoopbackHost(absl::string_view host);

// Whether a gRPC listen address ("host:port", "[v6]:port", "unix:path")
// accepts connections only from this machine: a loopback host, or a Unix
// domain socket.
bool IsLoopbackListenAddress(absl::string_view address);

}  // namespace userimage

#endif  // SERVER_HTTP_HTTP_URL_H_
