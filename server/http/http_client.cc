#include "server/http/http_client.h"

namespace userimage {
namespace {

constexpr absl::string_view kRequestSentUrl =
    "type.googleapis.com/userimage.http.RequestSent";

}  // namespace

bool RequestWasSent(const absl::Status& failure) {
  return failure.GetPayload(kRequestSentUrl).has_value();
}

void MarkRequestSent(absl::Status& failure) {
  if (!failure.ok()) failure.SetPayload(kRequestSentUrl, absl::Cord("1"));
}

std::optional<absl::string_view> HttpResponse::Header(
    absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace userimage
