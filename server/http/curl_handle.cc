#include "server/http/curl_handle.h"

#include "absl/status/statusor.h"

namespace userimage {

absl::StatusOr<CurlHandle> CurlHandle::Create() {
  CURL* easy = curl_easy_init();
  if (easy == nullptr) return absl::InternalError("curl_easy_init failed");
  return CurlHandle(easy);
}

}  // namespace userimage
