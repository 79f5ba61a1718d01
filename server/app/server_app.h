#ifndef SERVER_APP_SERVER_APP_H_
#define SERVER_APP_SERVER_APP_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/resource_quota.h"
#include "server/app/clerk_delivery.h"
#include "server/app/server_config.h"
#include "server/auth/caller_authorizer.h"
#include "server/clerk/redis_user_order.h"
#include "server/http/curl_http_client.h"
#include "server/metrics/metrics.h"
#include "server/metrics/metrics_endpoint.h"
#include "server/normalize/normalizer_pool.h"
#include "server/ratelimit/caller_weights.h"
#include "server/ratelimit/redis_quota.h"
#include "server/ratelimit/shared_quota_state.h"
#include "server/redis/redis_worker.h"
#include "server/service/server_reflection.h"
#include "server/service/user_image_service.h"
#include "server/time/absl_random.h"
#include "server/upload/memory_budget.h"

namespace userimage {

// The running server: the object graph a ServerConfig describes (Redis,
// Clerk's delivery path, the service, metrics, health) and its gRPC
// servers. main.cc only reads the flags into a ServerConfig, starts one,
// and drains it on a signal.
//
// Owns everything; members are declared in the order they are built, so
// they are destroyed users first. Start() and the destructor are for the
// thread that runs the metrics loop (main), while that loop is not running;
// Drain() may run on another thread while the loop serves scrapes
// (MainLoop::RunBeside). The servers run on their own threads meanwhile.
class ServerApp {
 public:
  // Builds the graph from `config`, which must be valid (Validate()), and
  // starts serving. Errors (FAILED_PRECONDITION for a file that cannot be
  // read or a port that cannot be bound, INVALID_ARGUMENT for credentials
  // that do not fit together) say what to fix.
  // Metrics are served on `metrics_loop` (main's MainLoop), which the
  // caller runs on this thread and keeps until the app is gone; without a
  // loop, config.metrics_listen_address must be empty.
  static absl::StatusOr<std::unique_ptr<ServerApp>> Start(
      const ServerConfig& config, std::string secret_key,
      event_base* metrics_loop = nullptr);
  // Stops Redis's thread before anything it calls back into is destroyed.
  ~ServerApp();
  ServerApp(const ServerApp&) = delete;
  ServerApp& operator=(const ServerApp&) = delete;

  int port() const { return port_; }

  // Every service reports NOT_SERVING; calls in flight may finish for
  // `grace`, then gRPC cancels them and every request still sending to
  // Clerk is aborted, so the drain never outlives the grace.
  void Drain(absl::Duration grace);

 private:
  ServerApp() = default;

  absl::Status LoadCallers(const ServerConfig& config);
  absl::Status WireRedis(const ServerConfig& config,
                         const std::string& secret_key);
  void WireDelivery(const ServerConfig& config, std::string secret_key);
  absl::Status WireService(const ServerConfig& config);
  // Starts the normalize workers (when configured).
  absl::Status StartNormalizer(const ServerConfig& config);
  void AddGauges();
  absl::Status StartMetrics(const ServerConfig& config, event_base* loop);
  absl::Status StartHealthServer(const ServerConfig& config);
  absl::Status StartServer(const ServerConfig& config);
  void LogServing(const ServerConfig& config) const;

  RealClock clock_;
  AbslRandomSource random_;
  Metrics metrics_;
  SharedQuotaState shared_state_{metrics_};
  std::optional<CallerAuthorizer> authorizer_;
  // Each caller's share at the rate gate (which borrows it).
  CallerWeights caller_weights_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;
  // One thread and connection for everything kept in Redis.
  std::unique_ptr<RedisWorker> redis_;
  std::unique_ptr<RedisQuota> redis_quota_;
  std::unique_ptr<RedisUserOrder> user_order_;
  // One I/O thread for every request to Clerk and every timer.
  std::unique_ptr<CurlHttpClient> http_;
  std::unique_ptr<ClerkDelivery> delivery_;
  std::unique_ptr<MemoryBudget> memory_;
  // Destroyed after the server has drained (no image is waiting for it)
  // and before the budget its images count against.
  std::unique_ptr<NormalizerPool> normalizer_;
  std::unique_ptr<UserImageServiceImpl> service_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  grpc::ResourceQuota grpc_memory_{"userimage-grpc-buffers"};
  // Reflection of the health port (which lists only what it serves).
  std::unique_ptr<ServerReflection> health_reflection_;
  std::unique_ptr<grpc::Server> health_server_;
  // Reflection (both versions) for the main server.
  std::unique_ptr<ServerReflection> reflection_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  int health_port_ = 0;
};

}  // namespace userimage

#endif  // SERVER_APP_SERVER_APP_H_
