#include "server/http/curl_handle.h"

#include <string.h>

#include "absl/status/statusor.h"

namespace userimage {

absl::StatusOr<CurlHandle> CurlHandle::Create() {
  CURL* easy = curl_easy_init();
  if (easy == nullptr) return absl::InternalError("curl_easy_init failed");
  return CurlHandle(easy);
}

void WipeSlist(curl_slist* list) {
  for (; list != nullptr; list = list->next) {
    if (list->data != nullptr) explicit_bzero(list->data, strlen(list->data));
  }
}

}  // namespace userimage
