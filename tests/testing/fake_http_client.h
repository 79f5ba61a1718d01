#ifndef TESTS_TESTING_FAKE_HTTP_CLIENT_H_
#define TESTS_TESTING_FAKE_HTTP_CLIENT_H_

#include <deque>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "server/http/http_client.h"

namespace userimage {

// An HttpClient that records requests and answers each with the next
// scripted result, synchronously on the calling thread. With nothing
// scripted it answers UNAVAILABLE. Thread-safe.
class FakeHttpClient : public HttpClient {
 public:
  void Push(HttpResult result) {
    absl::MutexLock lock(&mu_);
    results_.push_back(std::move(result));
  }

  void Send(HttpRequest request, Callback done) override {
    HttpResult result = absl::UnavailableError("nothing scripted");
    {
      absl::MutexLock lock(&mu_);
      requests_.push_back(request);
      if (!results_.empty()) {
        result = std::move(results_.front());
        results_.pop_front();
      }
    }
    std::move(done)(std::move(result));
  }

  // Forgets the recorded requests (and the bodies they share).
  void ClearRequests() {
    absl::MutexLock lock(&mu_);
    requests_.clear();
  }

  std::vector<HttpRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  absl::Mutex mu_;
  std::deque<HttpResult> results_ ABSL_GUARDED_BY(mu_);
  std::vector<HttpRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // TESTS_TESTING_FAKE_HTTP_CLIENT_H_
