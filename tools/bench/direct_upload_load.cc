#include "tools/bench/direct_upload_load.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace clerk::userimage::bench {
namespace {

// One request: its easy handle, headers, MIME body and answer.
struct Request {
  absl::Time scheduled;
  std::shared_ptr<const std::string> image;
  size_t offset = 0;  // read position in `image`
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_mime* mime = nullptr;
  char error[CURL_ERROR_SIZE] = {0};

  ~Request() {
    curl_mime_free(mime);
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
  }

  static size_t Read(char* buffer, size_t size, size_t count, void* user) {
    auto* r = static_cast<Request*>(user);
    const size_t n = std::min(size * count, r->image->size() - r->offset);
    std::copy_n(r->image->data() + r->offset, n, buffer);
    r->offset += n;
    return n;
  }

  static int Seek(void* user, curl_off_t offset, int origin) {
    auto* r = static_cast<Request*>(user);
    if (origin != SEEK_SET || offset < 0 ||
        static_cast<size_t>(offset) > r->image->size()) {
      return CURL_SEEKFUNC_FAIL;
    }
    r->offset = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  // The answer's body is not needed: a 200 is success.
  static size_t Discard(char*, size_t size, size_t count, void*) {
    return size * count;
  }
};

class DirectDriver {
 public:
  DirectDriver(const LoadPlan& plan, const DirectLoadOptions& options)
      : plan_(plan), options_(options) {
    static absl::once_flag once;
    absl::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                      options.max_cached_connections);
    authorization_ = absl::StrCat("Authorization: Bearer ", options.secret_key);
    api_version_ = absl::StrCat("Clerk-API-Version: ", options.api_version);
  }
  ~DirectDriver() { curl_multi_cleanup(multi_); }

  LoadRecords Run() {
    start_ = absl::Now();
    end_ = start_ + plan_.duration;
    const int64_t arrivals =
        plan_.shape == LoadShape::kOpen ? plan_.OpenArrivals() : 0;
    int64_t next_arrival = 0;
    if (plan_.shape != LoadShape::kOpen) {
      for (int i = 0; i < plan_.concurrency; ++i) Add(start_);
    }
    while (true) {
      absl::Time now = absl::Now();
      // Open loop: start every request that is due, however late.
      while (next_arrival < arrivals &&
             start_ + plan_.OpenArrival(next_arrival) <= now) {
        Add(start_ + plan_.OpenArrival(next_arrival++));
      }
      int running = 0;
      curl_multi_perform(multi_, &running);
      int remaining = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &remaining)) {
        if (msg->msg == CURLMSG_DONE)
          Complete(msg->easy_handle, msg->data.result);
      }
      if (in_flight_ == 0 && next_arrival >= arrivals) break;
      absl::Duration wait = absl::Milliseconds(100);
      if (next_arrival < arrivals) {
        wait = std::min(wait,
                        start_ + plan_.OpenArrival(next_arrival) - absl::Now());
      }
      const int timeout_ms = static_cast<int>(std::max<int64_t>(
          0,
          absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)))));
      curl_multi_poll(multi_, nullptr, 0, timeout_ms, nullptr);
    }
    return std::move(records_);
  }

 private:
  void Add(absl::Time scheduled) {
    const int64_t index = next_index_++;
    auto request = std::make_unique<Request>();
    Request* r = request.get();
    r->scheduled = scheduled;
    r->image = options_.images[index % options_.images.size()];
    r->easy = curl_easy_init();
    CURL* easy = r->easy;
    const std::string url = absl::StrCat(
        options_.api_url, "/v1/users/",
        options_.users[index % options_.users.size()], "/profile_image");
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, r);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    const absl::Duration left = scheduled + options_.deadline - absl::Now();
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(
                         1, absl::ToInt64Milliseconds(left))));
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "direct-upload-bench");
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, Request::Discard);
    r->headers = curl_slist_append(r->headers, "Expect:");
    r->headers = curl_slist_append(r->headers, authorization_.c_str());
    r->headers = curl_slist_append(r->headers, api_version_.c_str());
    r->headers = curl_slist_append(r->headers, "Accept: application/json");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, r->headers);
    r->mime = curl_mime_init(easy);
    curl_mimepart* part = curl_mime_addpart(r->mime);
    curl_mime_name(part, "file");
    curl_mime_filename(part, absl::StrCat("bench-", index, ".png").c_str());
    curl_mime_type(part, absl::StartsWith(*r->image, "\xFF\xD8") ? "image/jpeg"
                                                                 : "image/png");
    curl_mime_data_cb(part, static_cast<curl_off_t>(r->image->size()),
                      Request::Read, Request::Seek, nullptr, r);
    curl_easy_setopt(easy, CURLOPT_MIMEPOST, r->mime);
    if (curl_multi_add_handle(multi_, easy) != CURLM_OK) {
      records_.calls.push_back(
          {scheduled - start_, absl::Now() - start_, false});
      records_.AddError("curl_multi_add_handle failed");
      return;
    }
    request.release();  // Freed by Complete().
    ++in_flight_;
    records_.max_in_flight = std::max(records_.max_in_flight, in_flight_);
  }

  void Complete(CURL* easy, CURLcode result) {
    Request* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    std::unique_ptr<Request> r(raw);
    curl_multi_remove_handle(multi_, easy);
    --in_flight_;
    const absl::Time now = absl::Now();
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    const bool ok = result == CURLE_OK && status == 200;
    records_.calls.push_back({r->scheduled - start_, now - start_, ok});
    if (result != CURLE_OK) {
      records_.AddError(
          absl::StrCat(curl_easy_strerror(result), ": ", r->error));
    } else if (!ok) {
      records_.AddError(absl::StrCat("HTTP ", status));
    }
    // A closed-loop worker goes on until the run's duration is over.
    if (plan_.shape == LoadShape::kClosed && now < end_) Add(now);
  }

  const LoadPlan plan_;
  const DirectLoadOptions& options_;
  CURLM* multi_ = nullptr;
  std::string authorization_;
  std::string api_version_;
  absl::Time start_;
  absl::Time end_;
  int64_t next_index_ = 0;
  int in_flight_ = 0;
  LoadRecords records_;
};

}  // namespace

LoadRecords RunDirectLoad(const LoadPlan& plan,
                          const DirectLoadOptions& options) {
  DirectDriver driver(plan, options);
  return driver.Run();
}

}  // namespace clerk::userimage::bench
