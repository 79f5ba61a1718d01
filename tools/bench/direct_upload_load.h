#ifndef TOOLS_BENCH_DIRECT_UPLOAD_LOAD_H_
#define TOOLS_BENCH_DIRECT_UPLOAD_LOAD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tools/bench/load_plan.h"

namespace clerk::userimage::bench {

struct DirectLoadOptions {
  // Clerk Backend API base URL, e.g. http://127.0.0.1:8787.
  std::string api_url;
  std::string secret_key;
  std::string api_version = "2026-05-12";
  // Upload i sends images[i % size] to users[i % size]; neither empty.
  std::vector<std::shared_ptr<const std::string>> images;
  std::vector<std::string> users;
  // Timeout of each request, from its scheduled start.
  absl::Duration deadline = absl::Seconds(60);
  // Idle connections kept for reuse (CURLMOPT_MAXCONNECTS); more are closed
  // as their requests finish. 64 is what the service's HTTP client keeps.
  long max_cached_connections = 64;
};

// Runs `plan` as POST /v1/users/{id}/profile_image requests straight to
// Clerk (multipart/form-data, part `file`, `Authorization: Bearer <key>`),
// the request the service sends, from one thread with libcurl's multi
// interface: a new easy handle per request, connections reused, the file
// part streamed from the shared image buffer. A request succeeds on HTTP
// 200. Returns once every request has finished; records carry no CPU
// figure. Runs on the calling thread; runs are independent.
LoadRecords RunDirectLoad(const LoadPlan& plan,
                          const DirectLoadOptions& options);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_DIRECT_UPLOAD_LOAD_H_
