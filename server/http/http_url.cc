#include "server/http/http_url.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace userimage {
namespace {

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlStringDeleter {
  void operator()(char* s) const { curl_free(s); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

// The part, or nullopt-equivalent empty pointer when the URL has none.
std::unique_ptr<char, CurlStringDeleter> Part(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK) value = nullptr;
  return std::unique_ptr<char, CurlStringDeleter>(value);
}

absl::Status Refused(absl::string_view url, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", url, "\" is not a usable http(s) URL: ", why));
}

}  // namespace

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url) {
  UrlHandle handle(curl_url());
  if (handle == nullptr) return absl::ResourceExhaustedError("curl_url");
  const std::string text(url);
  if (CURLUcode rc = curl_url_set(handle.get(), CURLUPART_URL, text.c_str(), 0);
      rc != CURLUE_OK) {
    return Refused(url, curl_url_strerror(rc));
  }
  HttpUrl parsed;
  parsed.scheme =
      absl::AsciiStrToLower(Part(handle.get(), CURLUPART_SCHEME).get());
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return Refused(url, "the scheme must be http or https");
  }
  if (Part(handle.get(), CURLUPART_USER) != nullptr ||
      Part(handle.get(), CURLUPART_PASSWORD) != nullptr ||
      Part(handle.get(), CURLUPART_OPTIONS) != nullptr) {
    return Refused(url, "it has user-info (\"...@\" before the host)");
  }
  if (Part(handle.get(), CURLUPART_QUERY) != nullptr ||
      Part(handle.get(), CURLUPART_FRAGMENT) != nullptr) {
    return Refused(url, "it has a query or a fragment");
  }
  auto host = Part(handle.get(), CURLUPART_HOST);
  if (host == nullptr || *host == '\0') return Refused(url, "it has no host");
  absl::string_view name = host.get();
  absl::ConsumePrefix(&name, "[");
  absl::ConsumeSuffix(&name, "]");
  parsed.host = std::string(name);
  parsed.loopback = IsLoopbackHost(parsed.host);
  return parsed;
}

bool IsLoopbackHost(absl::string_view host) {
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

bool IsLoopbackListenAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") ||
      absl::StartsWith(address, "unix-abstract:")) {
    return true;
  }
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return false;
  return IsLoopbackHost(address.substr(0, colon));
}

}  // namespace userimage
