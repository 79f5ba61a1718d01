#ifndef TESTS_TESTING_HOLDING_HTTP_CLIENT_H_
#define TESTS_TESTING_HOLDING_HTTP_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "server/http/http_client.h"

namespace userimage {

// An HttpClient that holds every request until the test answers it with
// Answer(), like a Clerk that takes its time. A request whose
// HttpRequest::abort fires is answered CANCELLED at once, on the aborting
// thread, as CurlHttpClient does. Callbacks never run under its lock.
// Thread-safe.
class HoldingHttpClient final : public HttpClient {
 public:
  void Send(HttpRequest request, Callback done) override {
    std::shared_ptr<AbortSignal> signal = request.abort;
    uint64_t id;
    {
      absl::MutexLock lock(&mu_);
      id = next_id_++;
      ++sent_;
      held_.emplace(id, Held{std::move(request), std::move(done)});
    }
    if (signal != nullptr && !signal->OnAbort([this, id] { Abort(id); })) {
      Abort(id);
    }
  }

  // Answers the oldest request still held; false if none is.
  bool Answer(HttpResult result) {
    Callback done;
    std::shared_ptr<AbortSignal> signal;
    {
      absl::MutexLock lock(&mu_);
      if (held_.empty()) return false;
      auto node = held_.extract(held_.begin());
      done = std::move(node.mapped().done);
      signal = node.mapped().request.abort;
    }
    if (signal != nullptr) signal->Clear();
    std::move(done)(std::move(result));
    return true;
  }

  size_t held() const {
    absl::MutexLock lock(&mu_);
    return held_.size();
  }
  int sent() const {
    absl::MutexLock lock(&mu_);
    return sent_;
  }
  int aborted() const {
    absl::MutexLock lock(&mu_);
    return aborted_;
  }

 private:
  struct Held {
    HttpRequest request;
    Callback done;
  };

  void Abort(uint64_t id) {
    Callback done;
    {
      absl::MutexLock lock(&mu_);
      auto it = held_.find(id);
      if (it == held_.end()) return;  // Answered first.
      done = std::move(it->second.done);
      held_.erase(it);
      ++aborted_;
    }
    std::move(done)(absl::CancelledError("the request was aborted"));
  }

  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Held> held_ ABSL_GUARDED_BY(mu_);
  int sent_ ABSL_GUARDED_BY(mu_) = 0;
  int aborted_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace userimage

#endif  // TESTS_TESTING_HOLDING_HTTP_CLIENT_H_
