#ifndef SERVER_HTTP_CURL_HANDLE_H_
#define SERVER_HTTP_CURL_HANDLE_H_

#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "curl/curl.h"

namespace userimage {

// An owned libcurl easy handle (freed with curl_easy_cleanup()), whose
// options are set through SetOption(), which says which option libcurl
// refused (INTERNAL) instead of letting a refused option pass unnoticed, as
// google-cloud-cpp's CurlHandle does. Not thread-safe: one thread uses a
// handle at a time. Movable.
class CurlHandle {
 public:
  // A fresh handle; INTERNAL if libcurl could not make one.
  static absl::StatusOr<CurlHandle> Create();

  template <typename T>
  absl::Status SetOption(CURLoption option, T value) {
    const CURLcode code = curl_easy_setopt(handle_.get(), option, value);
    if (code == CURLE_OK) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("libcurl refused option ",
                                            static_cast<int>(option), ": ",
                                            curl_easy_strerror(code)));
  }

  CURL* get() const { return handle_.get(); }

 private:
  struct Cleanup {
    void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
  };
  explicit CurlHandle(CURL* easy) : handle_(easy) {}

  std::unique_ptr<CURL, Cleanup> handle_;
};

// Owners of libcurl's other allocations.
struct CurlMimeFree {
  void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};
using CurlMime = std::unique_ptr<curl_mime, CurlMimeFree>;

// Overwrites every string of `list` (headers may carry credentials), in
// place; the list stays allocated.
void WipeSlist(curl_slist* list);

// Frees a header list, wiped first.
struct CurlSlistFree {
  void operator()(curl_slist* list) const {
    WipeSlist(list);
    curl_slist_free_all(list);
  }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistFree>;

}  // namespace userimage

#endif  // SERVER_HTTP_CURL_HANDLE_H_
