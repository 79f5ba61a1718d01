#include "server/app/server_app.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/health_check_service_interface.h"
#include "proto/clerk/userimage/v1/user_image_service.pb.h"
#include "server/config/secret_memory.h"
#include "server/log/json_log.h"
#include "server/ratelimit/token_bucket.h"
#include "server/service/response_fields.h"
#include "server/service/server_reflection.h"
#include "server/version.h"

namespace userimage {
namespace {

int Millis(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d),
                                            std::numeric_limits<int>::max()));
}

// What one caller connection may do (ServerConfig::GrpcLimits).
void AddConnectionLimits(const ServerConfig::GrpcLimits& limits,
                         grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             Millis(limits.keepalive_time));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Millis(limits.keepalive_timeout));
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      Millis(limits.min_client_ping_interval));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             Millis(limits.max_connection_idle));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             Millis(limits.max_connection_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             Millis(limits.max_connection_age_grace));
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE,
                             limits.max_metadata_bytes);
}

// The RPCs callers may be allowed, read from the service's descriptor.
CallerAuthorizer::Options::Service ServedRpcs() {
  return CallerAuthorizer::Options::Service::Of(
      *clerk::userimage::v1::ImageMetadata::descriptor()
           ->file()
           ->FindServiceByName("UserImageService"));
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          absl::string_view flag) {
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", flag, " ", path));
  }
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

absl::Status CannotWrite(absl::string_view flag, const std::string& path) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot write ", flag, " ", path));
}

// Server credentials from the TLS settings; plaintext when none is given.
// With bearer tokens as well, a client certificate is optional (but
// verified when presented); otherwise mutual TLS requires it.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const ServerConfig& config, bool tokens_configured) {
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto cert_pem = ReadWholeFile(config.tls_cert_file, "--tls_cert_file");
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadWholeFile(config.tls_key_file, "--tls_key_file");
  if (!key_pem.ok()) return key_pem.status();
  pair.cert_chain = *std::move(cert_pem);
  pair.private_key = *std::move(key_pem);
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!config.tls_client_ca_file.empty()) {
    auto ca_pem =
        ReadWholeFile(config.tls_client_ca_file, "--tls_client_ca_file");
    if (!ca_pem.ok()) return ca_pem.status();
    ssl.pem_root_certs = *std::move(ca_pem);
    ssl.client_certificate_request =
        tokens_configured
            ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<RedisOptions> RedisOptionsFor(const ServerConfig& config) {
  RedisOptions redis;
  if (absl::Status s = ParseRedisAddress(config.redis_address, redis);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--redis_address: ", s.message()));
  }
  redis.username = config.redis_username;
  if (!config.redis_password_file.empty()) {
    auto password =
        ReadWholeFile(config.redis_password_file, "--redis_password_file");
    if (!password.ok()) return password.status();
    redis.password = std::string(absl::StripAsciiWhitespace(*password));
    if (redis.password.empty()) {
      return absl::InvalidArgumentError("--redis_password_file is empty");
    }
  }
  redis.tls = config.redis_tls;
  redis.tls_ca_file = config.redis_tls_ca_file;
  redis.tls_cert_file = config.redis_tls_cert_file;
  redis.tls_key_file = config.redis_tls_key_file;
  redis.tls_server_name = config.redis_tls_server_name;
  redis.connect_timeout = config.redis_connect_timeout;
  redis.command_timeout = config.redis_timeout;
  return redis;
}

constexpr char kHealthService[] = "grpc.health.v1.Health";

// `services` and the two reflection services, as reflection lists them.
std::vector<std::string> WithReflection(std::vector<std::string> services) {
  services.push_back(
      grpc::reflection::v1::ServerReflection::service_full_name());
  services.push_back(
      grpc::reflection::v1alpha::ServerReflection::service_full_name());
  return services;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerApp>> ServerApp::Start(
    const ServerConfig& config, std::string secret_key,
    event_base* metrics_loop) {
  // On every path: a short key's bytes stay behind a move, too.
  absl::Cleanup wipe = [&secret_key] { Wipe(secret_key); };
  std::unique_ptr<ServerApp> app(new ServerApp());
  if (absl::Status s = app->LoadCallers(config); !s.ok()) return s;
  if (absl::Status s = app->WireRedis(config, secret_key); !s.ok()) return s;
  app->WireDelivery(config, std::move(secret_key));
  // Without its event loop the HTTP client sends nothing and drives no
  // timer: the server must not start.
  if (absl::Status s = app->http_->status(); !s.ok()) return s;
  if (absl::Status s = app->WireService(config); !s.ok()) return s;
  app->AddGauges();
  if (absl::Status s = app->StartMetrics(config, metrics_loop); !s.ok())
    return s;
  if (absl::Status s = app->StartHealthServer(config); !s.ok()) return s;
  if (absl::Status s = app->StartServer(config); !s.ok()) return s;
  app->LogServing(config);
  return app;
}

ServerApp::~ServerApp() {
  // The servers' health services must not be told anything once they go.
  shared_state_.DetachAll();
  if (redis_ != nullptr) redis_->Shutdown();
}

absl::Status ServerApp::LoadCallers(const ServerConfig& config) {
  std::string tokens, allowlist;
  if (!config.bearer_tokens_file.empty()) {
    auto contents =
        ReadWholeFile(config.bearer_tokens_file, "--bearer_tokens_file");
    if (!contents.ok()) return contents.status();
    tokens = *std::move(contents);
  }
  if (!config.caller_allowlist_file.empty()) {
    auto contents =
        ReadWholeFile(config.caller_allowlist_file, "--caller_allowlist_file");
    if (!contents.ok()) return contents.status();
    allowlist = *std::move(contents);
  }
  absl::StatusOr<CallerAuthorizer> authorizer = CallerAuthorizer::Create(
      {.tokens_file_contents = tokens,
       .allowlist_file_contents = allowlist,
       .service = ServedRpcs(),
       .allow_unauthenticated = config.allow_unauthenticated});
  if (!authorizer.ok()) return authorizer.status();
  authorizer_.emplace(*std::move(authorizer));
  if (!config.caller_weights_file.empty()) {
    auto contents =
        ReadWholeFile(config.caller_weights_file, "--caller_weights_file");
    if (!contents.ok()) return contents.status();
    absl::StatusOr<CallerWeights> weights = CallerWeights::Parse(*contents);
    if (!weights.ok()) return weights.status();
    caller_weights_ = *std::move(weights);
  }
  // Callers the configuration names get metrics labels of their own.
  std::vector<std::string> known = authorizer_->identities();
  known.insert(known.end(), caller_weights_.identities().begin(),
               caller_weights_.identities().end());
  metrics_.SetKnownCallers(known);
  if (config.tls_client_ca_file.empty() && !authorizer_->has_tokens() &&
      !config.allow_unauthenticated) {
    return absl::InvalidArgumentError(
        "callers must authenticate: set --tls_client_ca_file (mutual TLS) "
        "and/or --bearer_tokens_file, or --allow_unauthenticated for "
        "development");
  }
  if (config.allow_unauthenticated) {
    LogEvent(
        LogLevel::kWarning, "unauthenticated_calls_allowed",
        {{"message", LogString("--allow_unauthenticated: anyone who can "
                               "reach the port may change profile images")}});
  }
  auto credentials = ServerCredentials(config, authorizer_->has_tokens());
  if (!credentials.ok()) return credentials.status();
  credentials_ = *std::move(credentials);
  return absl::OkStatus();
}

absl::Status ServerApp::WireRedis(const ServerConfig& config,
                                  const std::string& secret_key) {
  if (!config.uses_redis()) return absl::OkStatus();
  if (config.clerk_rate_limit_replicas == 1) {
    LogEvent(
        LogLevel::kWarning, "fallback_share_is_the_whole_quota",
        {{"message",
          LogString("--redis_address with --clerk_rate_limit_replicas=1: "
                    "while Redis is unreachable every replica paces to the "
                    "whole quota; set it to the most replicas that can run")}});
  }
  absl::StatusOr<RedisOptions> options = RedisOptionsFor(config);
  if (!options.ok()) return options.status();
  redis_ = std::make_unique<RedisWorker>(
      RedisWorkerOptions{.redis = *std::move(options)}, clock_);
  redis_quota_ = std::make_unique<RedisQuota>(
      RedisQuotaOptions{.key_prefix = config.redis_key_prefix,
                        .key_id = QuotaKeyId(secret_key),
                        .pacing = PacingFor(config.clerk_rate_limit,
                                            config.clerk_rate_window)},
      *redis_);
  user_order_ = std::make_unique<RedisUserOrder>(
      RedisUserOrderOptions{.key_prefix = config.redis_key_prefix,
                            .key_id = QuotaKeyId(secret_key)},
      *redis_);
  return absl::OkStatus();
}

void ServerApp::WireDelivery(const ServerConfig& config,
                             std::string secret_key) {
  http_ = std::make_unique<CurlHttpClient>(CurlHttpClient::Options{
      .user_agent = absl::StrCat(kServiceName, "/", kVersion)});
  ClerkDeliveryOptions options{
      .clerk = {.api_url = config.ClerkApiUrl(),
                .secret_key = std::move(secret_key),
                .api_version = config.clerk_api_version,
                .request_timeout = config.clerk_request_timeout,
                .connect_timeout = config.clerk_connect_timeout,
                .max_response_bytes =
                    static_cast<size_t>(config.clerk_max_response_bytes)},
      .gate = {.quota = config.clerk_rate_limit,
               .window = config.clerk_rate_window,
               .pacing = config.clerk_rate_limit > 0,
               .replicas = config.clerk_rate_limit_replicas,
               .shared = redis_quota_.get(),
               .shared_retry_interval = config.redis_retry_interval,
               // Connecting and one command, with room for scheduling.
               .shared_answer_timeout = config.redis_connect_timeout +
                                        config.redis_timeout +
                                        absl::Milliseconds(100),
               .max_pause = config.clerk_max_retry_after,
               .on_shared_state =
                   [this](uint64_t change, bool in_use,
                          const absl::Status& why) {
                     shared_state_.Set(change, in_use, why);
                   },
               .weights = &caller_weights_,
               .max_queued_per_caller =
                   static_cast<size_t>(config.max_queued_per_caller)},
      .budget = config.retry_budget,
      .retry = {.max_attempts = config.clerk_max_attempts,
                .backoff = {.base = config.clerk_backoff_base,
                            .cap = config.clerk_backoff_cap,
                            .max_retry_after = config.clerk_max_retry_after},
                .shared_pause = config.clerk_shared_pause,
                .shared_order = user_order_.get(),
                .lease = {.ttl = config.user_lease_ttl}}};
  delivery_ = std::make_unique<ClerkDelivery>(
      std::move(options), *http_, clock_, http_->timers(), random_, metrics_);
}

absl::Status ServerApp::WireService(const ServerConfig& config) {
  ResponseFields response_fields;
  if (!config.response_fields_file.empty()) {
    auto contents =
        ReadWholeFile(config.response_fields_file, "--response_fields_file");
    if (!contents.ok()) return contents.status();
    absl::StatusOr<ResponseFields> parsed = ResponseFields::Parse(*contents);
    if (!parsed.ok()) return parsed.status();
    response_fields = *std::move(parsed);
  }
  memory_ = std::make_unique<MemoryBudget>(config.memory_budget_bytes);
  if (absl::Status s = StartNormalizer(config); !s.ok()) return s;
  service_ = std::make_unique<UserImageServiceImpl>(
      UserImageServiceOptions{
          .max_image_bytes = config.max_image_bytes,
          .idle_timeout = config.upload_idle_timeout,
          .max_upload_duration = config.max_upload_duration,
          .max_concurrent_uploads = config.max_concurrent_uploads,
          .image_policy = {.limits = {.max_side = config.max_image_side_px,
                                      .max_pixels = config.max_image_pixels},
                           .strip_metadata = config.strip_image_metadata,
                           .convert = normalizer_ != nullptr,
                           .max_side_px = config.normalize_max_side_px},
          .normalizer = normalizer_.get(),
          .response_fields = std::move(response_fields)},
      delivery_->client(), *memory_, clock_, http_->timers(), random_, metrics_,
      *authorizer_);
  return absl::OkStatus();
}

// A normalize worker is replaced after this much CPU, half its RLIMIT_CPU.
constexpr int kWorkerRetireCpuSeconds = 300;

absl::Status ServerApp::StartNormalizer(const ServerConfig& config) {
  if (config.normalize_workers == 0) return absl::OkStatus();
  std::string binary = config.normalize_worker_binary;
  if (binary.empty()) {
    // Beside the server's binary (the container image), or where Bazel
    // builds it beside that.
    std::error_code error;
    const std::filesystem::path dir =
        std::filesystem::read_symlink("/proc/self/exe", error).parent_path();
    binary = (dir / "normalize_worker").string();
    if (!std::filesystem::exists(binary, error)) {
      binary = (dir / "normalize" / "normalize_worker").string();
    }
  }
  normalizer_ = std::make_unique<NormalizerPool>(NormalizerOptions{
      .worker_argv = {binary,
                      absl::StrCat("--address_space_mb=",
                                   config.normalize_worker_memory_mb),
                      absl::StrCat("--cpu_seconds=",
                                   2 * kWorkerRetireCpuSeconds),
                      absl::StrCat("--max_request_bytes=",
                                   config.max_image_bytes + 4096)},
      .workers = config.normalize_workers,
      .max_queue = static_cast<size_t>(config.normalize_queue),
      .timeout = config.normalize_timeout,
      .retire_after_cpu = absl::Seconds(kWorkerRetireCpuSeconds),
      .max_side_px = config.normalize_max_side_px,
      .limits = {.max_side = config.max_image_side_px,
                 .max_pixels = config.max_image_pixels},
      .max_output_bytes = config.max_image_bytes,
      .budget = memory_.get()});
  if (absl::Status s = normalizer_->Start(); !s.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        s.message(),
        " (set --normalize_worker_binary, or --normalize_workers=0 to turn "
        "conversion off)"));
  }
  return absl::OkStatus();
}

void ServerApp::AddGauges() {
  UserImageServiceImpl& service = *service_;
  RateGate& gate = delivery_->gate();
  MemoryBudget& memory = *memory_;
  RetryBudget& budget = delivery_->budget();
  metrics_.AddGauge("userimage_uploads_in_flight",
                    "Uploads received and not yet answered.",
                    [&service] { return service.uploads_in_flight(); });
  metrics_.AddGauge("userimage_rate_gate_waiting_requests",
                    "Requests waiting at the rate gate for their turn.",
                    [&gate] { return static_cast<double>(gate.waiting()); });
  if (redis_quota_ != nullptr) {
    metrics_.AddGauge("userimage_shared_quota_in_use",
                      "1 while the replicas pace to the quota shared through "
                      "Redis, 0 while this one paces to its own share.",
                      [&gate] { return gate.shared_in_use() ? 1.0 : 0.0; });
  }
  if (normalizer_ != nullptr) {
    NormalizerPool& pool = *normalizer_;
    metrics_.AddGauge(
        "userimage_normalize_queued_images",
        "Images waiting for a normalize worker (at most --normalize_queue).",
        [&pool] { return static_cast<double>(pool.queued()); });
    metrics_.AddSampledCounter(
        "userimage_normalize_workers_replaced_total",
        "Normalize workers that crashed, timed out or broke the protocol "
        "and were replaced (each failed one upload).",
        [&pool] { return static_cast<double>(pool.replaced()); });
  }
  metrics_.AddSampledCounter(
      "userimage_log_lines_dropped_total",
      "Log lines dropped because stderr did not keep up (the queue of "
      "--log_queue_lines was full).",
      [] { return static_cast<double>(DroppedLogLines()); });
  metrics_.AddGauge("userimage_memory_budget_used_bytes",
                    "Image bytes held in memory, against the budget.",
                    [&memory] { return static_cast<double>(memory.in_use()); });
  metrics_.AddGauge(
      "userimage_memory_budget_limit_bytes",
      "The memory budget for image bytes (--memory_budget_bytes).",
      [&memory] { return static_cast<double>(memory.limit()); });
  metrics_.AddGauge("userimage_retry_budget_balance",
                    "Retries the retry budget would allow now.",
                    [&budget] { return budget.Balance(); });
}

absl::Status ServerApp::StartMetrics(const ServerConfig& config,
                                     event_base* loop) {
  if (config.metrics_listen_address.empty()) return absl::OkStatus();
  if (loop == nullptr) {
    return absl::FailedPreconditionError(
        "metrics need an event loop to be served on; set "
        "--metrics_listen_address empty to turn them off");
  }
  // Served on the main thread's loop: no thread of its own
  // (docs/threading.md).
  absl::StatusOr<std::unique_ptr<MetricsEndpoint>> endpoint =
      MetricsEndpoint::Start(loop, config.metrics_listen_address,
                             metrics_.Collectables());
  if (!endpoint.ok()) return endpoint.status();
  metrics_endpoint_ = *std::move(endpoint);
  if (!config.metrics_port_file.empty() &&
      !WritePortFile(config.metrics_port_file, metrics_endpoint_->port())) {
    return CannotWrite("--metrics_port_file", config.metrics_port_file);
  }
  return absl::OkStatus();
}

// The probe-only port: a server with nothing but the health service (and
// reflection listing only it: gRPC 1.51 adds the default health service
// only once the server starts, and a server with no service of its own
// does not build), NOT_SERVING until the main port serves.
absl::Status ServerApp::StartHealthServer(const ServerConfig& config) {
  grpc::EnableDefaultHealthCheckService(true);
  if (config.health_listen_address.empty()) return absl::OkStatus();
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(config.health_listen_address,
                           grpc::InsecureServerCredentials(), &health_port_);
  health_reflection_ = std::make_unique<ServerReflection>(
      google::protobuf::DescriptorPool::generated_pool(),
      WithReflection({kHealthService}));
  health_reflection_->RegisterWith(builder);
  health_server_ = builder.BuildAndStart();
  if (health_server_ == nullptr || health_port_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on --health_listen_address ",
                     config.health_listen_address));
  }
  if (!config.health_port_file.empty() &&
      !WritePortFile(config.health_port_file, health_port_)) {
    return CannotWrite("--health_port_file", config.health_port_file);
  }
  health_server_->GetHealthCheckService()->SetServingStatus(false);
  return absl::OkStatus();
}

absl::Status ServerApp::StartServer(const ServerConfig& config) {
  grpc::ServerBuilder builder;
  // gRPC's own buffers are bounded too, in proportion to the image budget.
  grpc_memory_.Resize(
      static_cast<size_t>(GrpcBufferQuotaBytes(config.memory_budget_bytes)));
  builder.SetResourceQuota(grpc_memory_);
  // Without BDP probing each stream's HTTP/2 window stays at its 64 KiB
  // default, so what callers have in flight is bounded per stream.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE,
                             config.http2_bdp_probe ? 1 : 0);
  // gRPC sets SO_REUSEPORT by default: a second server (a stale process, a
  // typo in a port) would then share the port silently instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  AddConnectionLimits(config.grpc, builder);
  builder.AddListeningPort(config.listen_address, credentials_, &port_);
  builder.RegisterService(service_.get());
  // Reflection in both versions, on gRPC's callback threads: no sync
  // service, so no sync-server thread (docs/threading.md).
  reflection_ = std::make_unique<ServerReflection>(
      google::protobuf::DescriptorPool::generated_pool(),
      WithReflection(
          {clerk::userimage::v1::UserImageService::service_full_name(),
           kHealthService}));
  reflection_->RegisterWith(builder);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", config.listen_address));
  }
  const std::string name =
      clerk::userimage::v1::UserImageService::service_full_name();
  server_->GetHealthCheckService()->SetServingStatus(name, true);
  if (health_server_ != nullptr) {
    grpc::HealthCheckServiceInterface* health =
        health_server_->GetHealthCheckService();
    health->SetServingStatus(true);
    health->SetServingStatus(name, true);
    if (redis_quota_ != nullptr) shared_state_.Attach(health);
  }
  if (redis_quota_ != nullptr) {
    shared_state_.Attach(server_->GetHealthCheckService());
  }
  if (!config.port_file.empty() && !WritePortFile(config.port_file, port_)) {
    return CannotWrite("--port_file", config.port_file);
  }
  return absl::OkStatus();
}

void ServerApp::LogServing(const ServerConfig& config) const {
  const bool mtls = !config.tls_client_ca_file.empty();
  LogEvent(LogLevel::kInfo, "serving",
           {{"version", LogString(kVersion)},
            {"listen_address", LogString(config.listen_address)},
            {"port", LogNumber(port_)},
            {"health_port", LogNumber(health_port_)},
            {"metrics_port",
             LogNumber(metrics_endpoint_ ? metrics_endpoint_->port() : 0)},
            {"clerk_api_url", LogString(config.ClerkApiUrl())},
            {"tls", LogString(config.tls_cert_file.empty()
                                  ? "off"
                                  : (mtls ? "mutual" : "server"))},
            {"clerk_rate_limit", LogNumber(config.clerk_rate_limit)},
            {"clerk_rate_limit_replicas",
             LogNumber(config.clerk_rate_limit_replicas)},
            {"redis_address", LogString(config.redis_address)},
            {"max_image_bytes", LogNumber(config.max_image_bytes)},
            {"memory_budget_bytes", LogNumber(config.memory_budget_bytes)}});
}

void ServerApp::Drain(absl::Duration grace) {
  shared_state_.DetachAll();
  server_->GetHealthCheckService()->Shutdown();  // NOT_SERVING from now on.
  if (health_server_ != nullptr) {
    health_server_->GetHealthCheckService()->Shutdown();
  }
  CurlHttpClient& http = *http_;
  const Timers::Id abort_timer =
      http.timers().Schedule(clock_.Now() + grace, [&http] {
        LogEvent(LogLevel::kWarning, "shutdown_grace_over",
                 {{"message", LogString("aborting requests still in flight "
                                        "to Clerk; Clerk may have applied "
                                        "those already fully sent")}});
        http.AbortInFlight();
      });
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(grace));
  http.timers().Cancel(abort_timer);
  if (health_server_ != nullptr) health_server_->Shutdown();
}

}  // namespace userimage
