#ifndef TOOLS_CLERK_EMULATOR_EMULATOR_H_
#define TOOLS_CLERK_EMULATOR_EMULATOR_H_

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/clerk_emulator/clerk_errors.h"
#include "tools/clerk_emulator/clock.h"
#include "tools/clerk_emulator/fault_queue.h"
#include "tools/clerk_emulator/image_store.h"
#include "tools/clerk_emulator/rate_limiter.h"
#include "tools/clerk_emulator/request_log.h"
#include "tools/clerk_emulator/user_store.h"

namespace clerk::emulator {

struct EmulatorOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: a free port chosen by the OS
  // The only secret key accepted as `Authorization: Bearer <key>`.
  std::string secret_key;
  // Added before answering each Backend API request.
  absl::Duration latency = absl::ZeroDuration();
  // Backend API requests allowed per rate_window; 0 disables the limit.
  int rate_limit = 0;
  absl::Duration rate_window = absl::Seconds(10);
  // Largest accepted `file` part; larger ones get 413 image_too_large.
  int64_t max_image_bytes = 10'000'000;
  // Base of the image URLs handed out; empty means http://<host>:<port>.
  std::string public_url;
  int threads = 64;  // HTTP worker threads
  // Users besides the seed ones, with ids GeneratedUserId(0 .. n - 1).
  int generated_users = 0;
};

// A local stand-in for Clerk's Backend API (BAPI) user profile-image
// endpoints, over HTTP:
//   POST   /v1/users/{id}/profile_image   multipart `file` -> 200 User JSON
//   DELETE /v1/users/{id}/profile_image   -> 200 User JSON
//   GET    /v1/users/{id}                 -> 200 User JSON
//   GET    /images/{image_id}             uploaded bytes (no auth, a CDN)
// Backend API requests pass, in order: the rate limit, a scripted fault,
// authentication, the Clerk-API-Version check, the user lookup and, for
// uploads, the form and image checks; each failure is answered with Clerk's
// status code and error body. The control API under /_emulator/ (no auth)
// scripts faults, changes latency and rate limit, lists the requests
// received and resets all state.
//
// Owns its HTTP server and listening thread; does not own the clock, which
// must outlive it. Handlers run concurrently on the server's worker threads;
// Start() and Stop() must be called from one thread.
class Emulator {
 public:
  // Fails on invalid options or seed users.
  static absl::StatusOr<std::unique_ptr<Emulator>> Create(
      EmulatorOptions options, absl::string_view seed_users_json,
      const Clock* clock);
  ~Emulator();

  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Binds the port and serves on a background thread until Stop().
  absl::Status Start();
  // Stops serving and waits for the background thread; idempotent.
  void Stop();

  // The bound port; valid after Start().
  int port() const { return port_; }
  // http://<host>:<port>; valid after Start().
  std::string base_url() const;
  // Base of the image URLs handed out; valid after Start().
  const std::string& public_url() const { return public_url_; }

 private:
  enum class Endpoint { kGetUser, kSetImage, kDeleteImage, kUnknown };
  struct Body;
  struct Reply;

  Emulator(EmulatorOptions options, std::unique_ptr<UserStore> users,
           const Clock* clock);

  // Reads a request body through `reader`, keeping multipart parts.
  static Body ReadBody(const httplib::Request& req,
                       const httplib::ContentReader& reader);
  void RegisterRoutes();
  void ServeBapi(Endpoint endpoint, const httplib::Request& req,
                 httplib::Response& res, Body body);
  Reply Answer(Endpoint endpoint, const httplib::Request& req,
               const std::optional<ClerkError>& auth_error, Body& body,
               RequestRecord& record);
  // Answer() once the rate limit and any scripted fault are passed.
  Reply AnswerUnscripted(Endpoint endpoint, const httplib::Request& req,
                         const std::optional<ClerkError>& auth_error,
                         Body& body);
  Reply UploadImage(absl::string_view user_id, Body& body);
  std::optional<ClerkError> CheckAuthorization(
      const httplib::Request& req) const;
  void Reset();
  absl::Duration latency() const;

  const EmulatorOptions options_;
  const Clock& clock_;
  const std::unique_ptr<UserStore> users_;
  ImageStore images_;
  RateLimiter limiter_;
  FaultQueue faults_;
  RequestLog log_;

  mutable absl::Mutex config_mu_;
  absl::Duration latency_ ABSL_GUARDED_BY(config_mu_);
  int rate_limit_ ABSL_GUARDED_BY(config_mu_);
  absl::Duration rate_window_ ABSL_GUARDED_BY(config_mu_);

  httplib::Server server_;
  std::thread listener_;
  std::atomic<bool> listener_done_{false};
  // The listening socket, once bound; owned by `server_`.
  int listen_fd_ = -1;
  int port_ = -1;
  std::string public_url_;
};

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_EMULATOR_H_
