#include "server/http/http_client.h"

namespace userimage {
std::optional<absl::string_view> HttpResponse::Header(
    absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

}  // namespace userimage
