// The UserImageService server. Reads flags and the environment into the
// object graph and serves until SIGTERM or SIGINT, then drains. See the
// configuration table in README.md.

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "prometheus/exposer.h"
#include "server/auth/caller_authorizer.h"
#include "server/clerk/clerk_client.h"
#include "server/clerk/redis_user_order.h"
#include "server/clerk/retrying_clerk_client.h"
#include "server/config/secret_key.h"
#include "server/http/curl_http_client.h"
#include "server/log/json_log.h"
#include "server/metrics/metrics.h"
#include "server/ratelimit/rate_gate.h"
#include "server/ratelimit/redis_quota.h"
#include "server/redis/redis_worker.h"
#include "server/retry/retry_budget.h"
#include "server/service/user_image_service.h"
#include "server/time/absl_random.h"
#include "server/upload/memory_budget.h"
#include "server/version.h"

ABSL_FLAG(std::string, listen_address, "0.0.0.0:50051",
          "gRPC listen address, host:port (port 0: the OS picks one)");
ABSL_FLAG(std::string, health_listen_address, "",
          "If set, a second, plaintext gRPC port serving only grpc.health.v1 "
          "(for Kubernetes probes when the main port requires mTLS)");
ABSL_FLAG(std::string, health_port_file, "",
          "If set, the bound health port is written to this file");
ABSL_FLAG(std::string, metrics_listen_address, "0.0.0.0:9464",
          "HTTP address serving Prometheus metrics at /metrics; empty: off");
ABSL_FLAG(std::string, metrics_port_file, "",
          "If set, the bound metrics port is written to this file");
ABSL_FLAG(std::string, tls_cert_file, "",
          "Server certificate chain (PEM) for TLS on --listen_address");
ABSL_FLAG(std::string, tls_key_file, "",
          "Private key (PEM) of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "CA bundle (PEM) that callers' client certificates must chain to: "
          "mutual TLS (needs --tls_cert_file)");
ABSL_FLAG(std::string, bearer_tokens_file, "",
          "File of lines \"<identity> <token>\": callers may authenticate with "
          "`authorization: Bearer <token>`");
ABSL_FLAG(std::string, caller_allowlist_file, "",
          "File of lines \"<RPC method or *> <identity>\": who may call what; "
          "unset: any authenticated caller may call every RPC");
ABSL_FLAG(bool, allow_unauthenticated, false,
          "Accept calls without any credentials. For development on loopback "
          "only");
ABSL_FLAG(bool, allow_insecure_clerk_url, false,
          "Allow a plain-http --clerk_api_url that is not a loopback address");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound gRPC port is written to this file once serving");
ABSL_FLAG(std::string, clerk_api_url, "https://api.clerk.com",
          "Clerk Backend API base URL (scheme://host[:port])");
ABSL_FLAG(std::string, clerk_secret_key_file, "",
          "File holding the Clerk secret key; if unset, the CLERK_SECRET_KEY "
          "environment variable is used");
ABSL_FLAG(std::string, clerk_api_version, "2026-05-12",
          "Value of the Clerk-API-Version header");
ABSL_FLAG(absl::Duration, clerk_request_timeout, absl::Seconds(30),
          "Upper bound for one request to Clerk");
ABSL_FLAG(absl::Duration, clerk_connect_timeout, absl::Seconds(5),
          "Upper bound for connecting to Clerk");
ABSL_FLAG(uint64_t, clerk_max_response_bytes, 1 << 20,
          "Largest answer from Clerk kept (a User is a few KiB); a larger one "
          "is dropped as it arrives and fails the call with INTERNAL");
ABSL_FLAG(int, clerk_rate_limit, 100,
          "Clerk's request quota for the secret key per --clerk_rate_window "
          "(100 on development instances, 1000 in production); requests are "
          "paced below it. 0 turns pacing off");
ABSL_FLAG(absl::Duration, clerk_rate_window, absl::Seconds(10),
          "The window of --clerk_rate_limit");
ABSL_FLAG(int, clerk_rate_limit_replicas, 1,
          "Replicas sharing the Clerk secret key. Without --redis_address, or "
          "while Redis is unreachable, each replica paces to "
          "--clerk_rate_limit divided by this: its fair share");
ABSL_FLAG(std::string, redis_address, "",
          "host:port of a Redis that holds the quota shared by every replica "
          "(token bucket and 429 pause); empty: each replica paces alone");
ABSL_FLAG(std::string, redis_username, "",
          "Redis ACL user (with --redis_password_file)");
ABSL_FLAG(std::string, redis_password_file, "",
          "File holding the Redis password (AUTH)");
ABSL_FLAG(bool, redis_tls, false, "Connect to Redis over TLS (verified)");
ABSL_FLAG(std::string, redis_tls_ca_file, "",
          "CA bundle (PEM) for Redis's certificate; empty: the system's CAs");
ABSL_FLAG(std::string, redis_tls_cert_file, "",
          "Client certificate chain (PEM) presented to Redis");
ABSL_FLAG(std::string, redis_tls_key_file, "",
          "Private key (PEM) of --redis_tls_cert_file");
ABSL_FLAG(std::string, redis_tls_server_name, "",
          "Name Redis's certificate must carry; empty: the host of "
          "--redis_address");
ABSL_FLAG(absl::Duration, redis_connect_timeout, absl::Milliseconds(500),
          "Upper bound for connecting to Redis (TCP, TLS, AUTH)");
ABSL_FLAG(absl::Duration, redis_timeout, absl::Milliseconds(100),
          "Upper bound for one Redis command; slower counts as unreachable");
ABSL_FLAG(absl::Duration, redis_retry_interval, absl::Seconds(1),
          "While Redis is unreachable, how often it is tried again");
ABSL_FLAG(std::string, redis_key_prefix, "clerk-userimage",
          "Prefix of the Redis keys (followed by a hash of the secret key)");
ABSL_FLAG(absl::Duration, user_lease_ttl, absl::Seconds(10),
          "With --redis_address: how long an attempt holds its user's lease "
          "across replicas unless renewed (every third of it while in "
          "flight); a replica that dies holding one delays that user's next "
          "request by at most this");
ABSL_FLAG(bool, clerk_shared_pause, true,
          "A 429 from Clerk pauses every request until its Retry-After, not "
          "only the one that received it");
ABSL_FLAG(int, clerk_max_attempts, 4,
          "Attempts per request to Clerk, the first included (429, 5xx and "
          "connection failures are retried)");
ABSL_FLAG(absl::Duration, clerk_backoff_base, absl::Milliseconds(250),
          "Base of the full-jitter exponential backoff between attempts");
ABSL_FLAG(absl::Duration, clerk_backoff_cap, absl::Seconds(10),
          "Cap of the exponential backoff");
ABSL_FLAG(absl::Duration, clerk_max_retry_after, absl::Seconds(60),
          "Longest wait taken on Clerk's Retry-After (jitter included): caps "
          "the retry delay, the pause of every request (also the one shared "
          "through Redis) and the RetryInfo given to callers");
ABSL_FLAG(double, retry_budget_percent, 20,
          "Retries of 5xx answers and transport failures allowed, as a "
          "percentage of the requests started in the last "
          "--retry_budget_ttl (429s are paced, not budgeted)");
ABSL_FLAG(double, retry_budget_min_per_second, 1,
          "Retries always allowed per second, however quiet the service");
ABSL_FLAG(absl::Duration, retry_budget_ttl, absl::Seconds(10),
          "Window over which requests earn and retries spend the budget");
// Replaced in favour of the traffic-proportional budget; setting either
// fails start-up with the names of the replacements.
ABSL_FLAG(std::string, retry_budget_tokens, "",
          "Removed: use --retry_budget_percent and "
          "--retry_budget_min_per_second");
ABSL_FLAG(std::string, retry_budget_ratio, "",
          "Removed: use --retry_budget_percent and "
          "--retry_budget_min_per_second");
ABSL_FLAG(uint64_t, max_image_bytes, 10'000'000,
          "Largest image accepted, in bytes (Clerk's limit: 10 MB)");
ABSL_FLAG(bool, strip_image_metadata, true,
          "Remove EXIF (GPS position, camera), XMP and comments from JPEG, "
          "PNG, GIF and WebP images, without re-encoding pixels");
ABSL_FLAG(uint32_t, max_image_side_px, 12000,
          "Largest width or height an image header may declare");
ABSL_FLAG(uint64_t, max_image_pixels, 100'000'000,
          "Largest width x height an image header may declare (decompression "
          "bombs are refused before reaching Clerk)");
ABSL_FLAG(uint64_t, memory_budget_bytes, 512ull << 20,
          "Image bytes all uploads together may hold in memory; an upload "
          "that would exceed it is refused with RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_concurrent_uploads, 1000,
          "Uploads in progress at once; more are refused with "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, upload_idle_timeout, absl::Seconds(30),
          "An upload stream that brings no image bytes for this long (empty "
          "chunks do not count) fails with DEADLINE_EXCEEDED; 0 for no limit");
ABSL_FLAG(bool, http2_bdp_probe, false,
          "Let gRPC grow each stream's HTTP/2 window to the measured "
          "bandwidth-delay product (up to about 4 MB a stream): faster "
          "uploads from distant callers, but gRPC then buffers far more per "
          "stream than the memory budget accounts for");
ABSL_FLAG(absl::Duration, max_upload_duration, absl::Minutes(2),
          "An upload stream still sending this long after its metadata fails "
          "with DEADLINE_EXCEEDED and gives its memory back; 0 for no limit");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(25),
          "On SIGTERM, how long in-flight calls may take to finish; then "
          "the calls are cancelled and requests still sending to Clerk are "
          "aborted");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");
ABSL_FLAG(int, log_queue_lines, 10000,
          "Log lines that may wait for stderr; beyond it lines are dropped "
          "and counted (userimage_log_lines_dropped_total), so a stalled "
          "stderr never stalls requests");

namespace userimage {
namespace {

int Fail(absl::string_view message) {
  LogEvent(LogLevel::kError, "startup_failed",
           {{"message", LogString(message)}});
  return 1;
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

// Whether `url`'s host is a loopback address (the local emulator).
bool IsLoopbackUrl(absl::string_view url) {
  absl::ConsumePrefix(&url, "http://") || absl::ConsumePrefix(&url, "https://");
  absl::string_view host = url.substr(0, url.find('/'));
  if (absl::ConsumePrefix(&host, "[")) return absl::StartsWith(host, "::1]");
  host = host.substr(0, host.find(':'));
  return host == "localhost" || absl::StartsWith(host, "127.");
}

// Server credentials from the TLS flags; plaintext when none is given.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    bool tokens_configured) {
  const std::string cert = absl::GetFlag(FLAGS_tls_cert_file);
  const std::string key = absl::GetFlag(FLAGS_tls_key_file);
  const std::string client_ca = absl::GetFlag(FLAGS_tls_client_ca_file);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file go together");
  }
  if (cert.empty()) {
    if (!client_ca.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca_file needs --tls_cert_file");
    }
    return grpc::InsecureServerCredentials();
  }
  grpc::SslServerCredentialsOptions ssl;
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  auto cert_pem = ReadWholeFile(cert, "--tls_cert_file");
  if (!cert_pem.ok()) return cert_pem.status();
  auto key_pem = ReadWholeFile(key, "--tls_key_file");
  if (!key_pem.ok()) return key_pem.status();
  pair.cert_chain = *std::move(cert_pem);
  pair.private_key = *std::move(key_pem);
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!client_ca.empty()) {
    auto ca_pem = ReadWholeFile(client_ca, "--tls_client_ca_file");
    if (!ca_pem.ok()) return ca_pem.status();
    ssl.pem_root_certs = *std::move(ca_pem);
    // With bearer tokens as well, a certificate is optional (but verified
    // when presented); otherwise it is required.
    ssl.client_certificate_request =
        tokens_configured
            ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// The Redis options from the flags.
absl::StatusOr<RedisOptions> RedisOptionsFromFlags() {
  RedisOptions redis;
  if (absl::Status s =
          ParseRedisAddress(absl::GetFlag(FLAGS_redis_address), redis);
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--redis_address: ", s.message()));
  }
  redis.username = absl::GetFlag(FLAGS_redis_username);
  if (const std::string path = absl::GetFlag(FLAGS_redis_password_file);
      !path.empty()) {
    auto password = ReadWholeFile(path, "--redis_password_file");
    if (!password.ok()) return password.status();
    redis.password = std::string(absl::StripAsciiWhitespace(*password));
    if (redis.password.empty()) {
      return absl::InvalidArgumentError("--redis_password_file is empty");
    }
  } else if (!redis.username.empty()) {
    return absl::InvalidArgumentError(
        "--redis_username needs --redis_password_file");
  }
  redis.tls = absl::GetFlag(FLAGS_redis_tls);
  redis.tls_ca_file = absl::GetFlag(FLAGS_redis_tls_ca_file);
  redis.tls_cert_file = absl::GetFlag(FLAGS_redis_tls_cert_file);
  redis.tls_key_file = absl::GetFlag(FLAGS_redis_tls_key_file);
  redis.tls_server_name = absl::GetFlag(FLAGS_redis_tls_server_name);
  if (!redis.tls &&
      (!redis.tls_ca_file.empty() || !redis.tls_cert_file.empty() ||
       !redis.tls_server_name.empty())) {
    return absl::InvalidArgumentError(
        "the --redis_tls_* flags need --redis_tls");
  }
  if (redis.tls_cert_file.empty() != redis.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--redis_tls_cert_file and --redis_tls_key_file go together");
  }
  redis.connect_timeout = absl::GetFlag(FLAGS_redis_connect_timeout);
  redis.command_timeout = absl::GetFlag(FLAGS_redis_timeout);
  if (redis.connect_timeout <= absl::ZeroDuration() ||
      redis.command_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the Redis timeouts must be positive");
  }
  return redis;
}

// Tells operators whether the replicas share Redis's quota: the gRPC health
// service kSharedQuotaHealth (SERVING: shared; NOT_SERVING: this replica
// paces to its own share), a gauge, a counter of fallbacks and a log line
// at each change. Thread-safe.
constexpr char kSharedQuotaHealth[] = "clerk.userimage.v1.SharedRateLimit";

class SharedQuotaState {
 public:
  explicit SharedQuotaState(Metrics& metrics) : metrics_(metrics) {}

  void Set(bool in_use, const absl::Status& why) {
    absl::MutexLock lock(&mu_);
    if (in_use) {
      LogEvent(
          LogLevel::kInfo, "shared_rate_limit_restored",
          {{"message", LogString("Redis answers again: pacing to the quota "
                                 "shared by every replica")}});
    } else {
      metrics_.RecordSharedQuotaFallback();
      LogEvent(LogLevel::kWarning, "shared_rate_limit_unavailable",
               {{"message", LogString("Redis is unreachable: pacing to this "
                                      "replica's share of the quota until it "
                                      "answers")},
                {"error", LogString(why.message())}});
    }
    in_use_ = in_use;
    for (grpc::HealthCheckServiceInterface* health : health_) {
      health->SetServingStatus(kSharedQuotaHealth, in_use);
    }
  }

  void Attach(grpc::HealthCheckServiceInterface* health) {
    absl::MutexLock lock(&mu_);
    health_.push_back(health);
    health->SetServingStatus(kSharedQuotaHealth, in_use_);
  }

  // Stops updating the health services (before they are destroyed).
  void DetachAll() {
    absl::MutexLock lock(&mu_);
    health_.clear();
  }

 private:
  Metrics& metrics_;
  mutable absl::Mutex mu_;
  bool in_use_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<grpc::HealthCheckServiceInterface*> health_ ABSL_GUARDED_BY(mu_);
};

bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << port << "\n";
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

int Run() {
  LogLevel level;
  if (!ParseLogLevel(absl::GetFlag(FLAGS_log_level), &level)) {
    return Fail("--log_level must be debug, info, warning or error");
  }
  SetMinLogLevel(level);
  if (absl::GetFlag(FLAGS_log_queue_lines) < 1) {
    return Fail("--log_queue_lines must be at least 1");
  }
  if (absl::GetFlag(FLAGS_clerk_max_response_bytes) < 64 * 1024) {
    return Fail("--clerk_max_response_bytes must be at least 65536");
  }
  if (absl::GetFlag(FLAGS_clerk_max_retry_after) <= absl::ZeroDuration()) {
    return Fail("--clerk_max_retry_after must be positive");
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, std::string>{
            "retry_budget_tokens", absl::GetFlag(FLAGS_retry_budget_tokens)},
        {"retry_budget_ratio", absl::GetFlag(FLAGS_retry_budget_ratio)}}) {
    if (!value.empty()) {
      return Fail(absl::StrCat(
          "--", flag,
          " was removed: the retry budget now scales with traffic; use "
          "--retry_budget_percent (default 20) and "
          "--retry_budget_min_per_second (default 1)"));
    }
  }
  const RetryBudgetOptions retry_budget{
      .percent = absl::GetFlag(FLAGS_retry_budget_percent),
      .min_per_second = absl::GetFlag(FLAGS_retry_budget_min_per_second),
      .ttl = absl::GetFlag(FLAGS_retry_budget_ttl)};
  if (absl::Status valid = ValidateRetryBudgetOptions(retry_budget);
      !valid.ok()) {
    return Fail(valid.message());
  }

  absl::StatusOr<std::string> secret_key =
      LoadSecretKey(std::getenv("CLERK_SECRET_KEY"),
                    absl::GetFlag(FLAGS_clerk_secret_key_file));
  // The key must not leak into the environment of anything started later,
  // nor stay readable in /proc/PID/environ (which shows the original
  // environment block, whatever unsetenv() does): wipe it in place.
  if (char* value = std::getenv("CLERK_SECRET_KEY")) {
    explicit_bzero(value, std::strlen(value));
  }
  unsetenv("CLERK_SECRET_KEY");
  if (!secret_key.ok()) return Fail(secret_key.status().message());

  std::string api_url(
      absl::StripSuffix(absl::GetFlag(FLAGS_clerk_api_url), "/"));
  if (!absl::StartsWith(api_url, "https://") &&
      !absl::StartsWith(api_url, "http://")) {
    return Fail("--clerk_api_url must start with https:// or http://");
  }
  if (absl::StartsWith(api_url, "http://") && !IsLoopbackUrl(api_url) &&
      !absl::GetFlag(FLAGS_allow_insecure_clerk_url)) {
    return Fail(
        "--clerk_api_url is plain http to a non-loopback host: the secret key "
        "would cross the network in clear. Use https (TLS to Clerk is "
        "verified), or --allow_insecure_clerk_url");
  }

  // Who may call.
  std::string tokens, allowlist;
  if (const std::string path = absl::GetFlag(FLAGS_bearer_tokens_file);
      !path.empty()) {
    auto contents = ReadWholeFile(path, "--bearer_tokens_file");
    if (!contents.ok()) return Fail(contents.status().message());
    tokens = *std::move(contents);
  }
  if (const std::string path = absl::GetFlag(FLAGS_caller_allowlist_file);
      !path.empty()) {
    auto contents = ReadWholeFile(path, "--caller_allowlist_file");
    if (!contents.ok()) return Fail(contents.status().message());
    allowlist = *std::move(contents);
  }
  absl::StatusOr<CallerAuthorizer> authorizer = CallerAuthorizer::Create(
      {.tokens_file_contents = tokens,
       .allowlist_file_contents = allowlist,
       .allow_unauthenticated = absl::GetFlag(FLAGS_allow_unauthenticated)});
  if (!authorizer.ok()) return Fail(authorizer.status().message());
  const bool mtls = !absl::GetFlag(FLAGS_tls_client_ca_file).empty();
  if (!mtls && !authorizer->has_tokens() &&
      !absl::GetFlag(FLAGS_allow_unauthenticated)) {
    return Fail(
        "callers must authenticate: set --tls_client_ca_file (mutual TLS) "
        "and/or --bearer_tokens_file, or --allow_unauthenticated for "
        "development");
  }
  if (absl::GetFlag(FLAGS_allow_unauthenticated)) {
    LogEvent(
        LogLevel::kWarning, "unauthenticated_calls_allowed",
        {{"message", LogString("--allow_unauthenticated: anyone who can "
                               "reach the port may change profile images")}});
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      ServerCredentials(authorizer->has_tokens());
  if (!credentials.ok()) return Fail(credentials.status().message());
  const uint64_t max_image_bytes = absl::GetFlag(FLAGS_max_image_bytes);
  if (max_image_bytes == 0) return Fail("--max_image_bytes must be positive");
  if (absl::GetFlag(FLAGS_clerk_rate_limit) < 0 ||
      absl::GetFlag(FLAGS_clerk_rate_window) <= absl::ZeroDuration()) {
    return Fail("--clerk_rate_limit must be >= 0 and --clerk_rate_window > 0");
  }
  const int replicas = absl::GetFlag(FLAGS_clerk_rate_limit_replicas);
  if (replicas < 1)
    return Fail("--clerk_rate_limit_replicas must be at least 1");
  if (absl::GetFlag(FLAGS_clerk_rate_limit) > 0 &&
      absl::GetFlag(FLAGS_clerk_rate_limit) < replicas) {
    return Fail(
        "--clerk_rate_limit must be at least --clerk_rate_limit_replicas "
        "(each replica's share is at least one request per window)");
  }
  const bool use_redis = !absl::GetFlag(FLAGS_redis_address).empty();
  if (use_redis && absl::GetFlag(FLAGS_clerk_rate_limit) == 0) {
    return Fail(
        "--redis_address needs --clerk_rate_limit (the quota to share)");
  }
  if (!use_redis) {
    for (const char* flag :
         {"redis_username", "redis_password_file", "redis_tls",
          "redis_tls_ca_file", "redis_tls_cert_file", "redis_tls_key_file",
          "redis_tls_server_name"}) {
      const absl::CommandLineFlag* f = absl::FindCommandLineFlag(flag);
      if (f != nullptr && f->CurrentValue() != f->DefaultValue()) {
        return Fail(absl::StrCat("--", flag, " needs --redis_address"));
      }
    }
  }
  if (absl::GetFlag(FLAGS_redis_retry_interval) <= absl::ZeroDuration()) {
    return Fail("--redis_retry_interval must be positive");
  }
  if (absl::GetFlag(FLAGS_user_lease_ttl) < absl::Seconds(1)) {
    return Fail("--user_lease_ttl must be at least 1s");
  }
  if (use_redis && replicas == 1) {
    LogEvent(
        LogLevel::kWarning, "fallback_share_is_the_whole_quota",
        {{"message",
          LogString("--redis_address with --clerk_rate_limit_replicas=1: "
                    "while Redis is unreachable every replica paces to the "
                    "whole quota; set it to the most replicas that can run")}});
  }
  std::optional<RedisOptions> redis_options;
  if (use_redis) {
    absl::StatusOr<RedisOptions> options = RedisOptionsFromFlags();
    if (!options.ok()) return Fail(options.status().message());
    redis_options = *std::move(options);
  }
  if (absl::GetFlag(FLAGS_clerk_max_attempts) < 1) {
    return Fail("--clerk_max_attempts must be at least 1");
  }

  // Signals are taken synchronously by sigwait() below; block them before
  // any thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // SIGPIPE must not kill the process when a peer closes a connection.
  signal(SIGPIPE, SIG_IGN);

  RealClock clock;
  AbslRandomSource random;
  Metrics metrics;
  SharedQuotaState shared_state(metrics);
  // One thread and connection for everything kept in Redis.
  std::unique_ptr<RedisWorker> redis;
  std::unique_ptr<RedisQuota> redis_quota;
  std::unique_ptr<RedisUserOrder> user_order;
  if (redis_options.has_value()) {
    redis = std::make_unique<RedisWorker>(
        RedisWorkerOptions{.redis = *redis_options}, clock);
    redis_quota = std::make_unique<RedisQuota>(
        RedisQuotaOptions{
            .key_prefix = absl::GetFlag(FLAGS_redis_key_prefix),
            .key_id = QuotaKeyId(*secret_key),
            .pacing = PacingFor(absl::GetFlag(FLAGS_clerk_rate_limit),
                                absl::GetFlag(FLAGS_clerk_rate_window))},
        *redis);
    user_order = std::make_unique<RedisUserOrder>(
        RedisUserOrderOptions{
            .key_prefix = absl::GetFlag(FLAGS_redis_key_prefix),
            .key_id = QuotaKeyId(*secret_key)},
        *redis);
  }
  // One I/O thread for every request to Clerk and every timer.
  CurlHttpClient http(
      {.user_agent = absl::StrCat(kServiceName, "/", kVersion)});
  Timers& timers = http;
  ClerkClient clerk(
      {.api_url = api_url,
       .secret_key = *std::move(secret_key),
       .api_version = absl::GetFlag(FLAGS_clerk_api_version),
       .request_timeout = absl::GetFlag(FLAGS_clerk_request_timeout),
       .connect_timeout = absl::GetFlag(FLAGS_clerk_connect_timeout),
       .max_response_bytes =
           static_cast<size_t>(absl::GetFlag(FLAGS_clerk_max_response_bytes))},
      http, clock, metrics);
  RateGate gate(
      {.quota = absl::GetFlag(FLAGS_clerk_rate_limit),
       .window = absl::GetFlag(FLAGS_clerk_rate_window),
       .pacing = absl::GetFlag(FLAGS_clerk_rate_limit) > 0,
       .replicas = replicas,
       .shared = redis_quota.get(),
       .shared_retry_interval = absl::GetFlag(FLAGS_redis_retry_interval),
       // Connecting and one command, with room for scheduling.
       .shared_answer_timeout = absl::GetFlag(FLAGS_redis_connect_timeout) +
                                absl::GetFlag(FLAGS_redis_timeout) +
                                absl::Milliseconds(100),
       .max_pause = absl::GetFlag(FLAGS_clerk_max_retry_after),
       .on_shared_state =
           [&shared_state](bool in_use, const absl::Status& why) {
             shared_state.Set(in_use, why);
           }},
      clock, timers);
  RetryBudget budget(retry_budget, clock);
  RetryingClerkClient retrying(
      {.max_attempts = absl::GetFlag(FLAGS_clerk_max_attempts),
       .backoff = {.base = absl::GetFlag(FLAGS_clerk_backoff_base),
                   .cap = absl::GetFlag(FLAGS_clerk_backoff_cap),
                   .max_retry_after =
                       absl::GetFlag(FLAGS_clerk_max_retry_after)},
       .shared_pause = absl::GetFlag(FLAGS_clerk_shared_pause),
       .shared_order = user_order.get(),
       .lease = {.ttl = absl::GetFlag(FLAGS_user_lease_ttl)}},
      clerk, gate, budget, clock, timers, random, metrics);
  MemoryBudget memory(absl::GetFlag(FLAGS_memory_budget_bytes));
  UserImageServiceImpl service(
      {.max_image_bytes = max_image_bytes,
       .idle_timeout = absl::GetFlag(FLAGS_upload_idle_timeout),
       .max_upload_duration = absl::GetFlag(FLAGS_max_upload_duration),
       .max_concurrent_uploads = absl::GetFlag(FLAGS_max_concurrent_uploads),
       .image_policy =
           {.limits = {.max_side = absl::GetFlag(FLAGS_max_image_side_px),
                       .max_pixels = absl::GetFlag(FLAGS_max_image_pixels)},
            .strip_metadata = absl::GetFlag(FLAGS_strip_image_metadata)}},
      retrying, memory, clock, timers, metrics, *authorizer);
  // Whatever return comes next, Redis's thread stops before anything it
  // calls back into (the quota, the order, the gate, requests) is destroyed.
  absl::Cleanup stop_redis = [&redis] {
    if (redis != nullptr) redis->Shutdown();
  };
  metrics.AddGauge("userimage_uploads_in_flight",
                   "Uploads received and not yet answered.",
                   [&service] { return service.uploads_in_flight(); });
  metrics.AddGauge("userimage_rate_gate_waiting_requests",
                   "Requests waiting at the rate gate for their turn.",
                   [&gate] { return static_cast<double>(gate.waiting()); });
  if (redis_quota != nullptr) {
    metrics.AddGauge("userimage_shared_quota_in_use",
                     "1 while the replicas pace to the quota shared through "
                     "Redis, 0 while this one paces to its own share.",
                     [&gate] { return gate.shared_in_use() ? 1.0 : 0.0; });
  }
  metrics.AddSampledCounter(
      "userimage_log_lines_dropped_total",
      "Log lines dropped because stderr did not keep up (the queue of "
      "--log_queue_lines was full).",
      [] { return static_cast<double>(DroppedLogLines()); });
  metrics.AddGauge("userimage_memory_budget_used_bytes",
                   "Image bytes held in memory, against the budget.",
                   [&memory] { return static_cast<double>(memory.in_use()); });
  metrics.AddGauge("userimage_memory_budget_limit_bytes",
                   "The memory budget for image bytes (--memory_budget_bytes).",
                   [&memory] { return static_cast<double>(memory.limit()); });
  metrics.AddGauge("userimage_retry_budget_balance",
                   "Retries the retry budget would allow now.",
                   [&budget] { return budget.Balance(); });
  std::unique_ptr<prometheus::Exposer> exposer;
  if (const std::string address = absl::GetFlag(FLAGS_metrics_listen_address);
      !address.empty()) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(address);
    } catch (const std::exception& e) {
      return Fail(
          absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
    }
    for (const auto& collectable : metrics.Collectables()) {
      exposer->RegisterCollectable(collectable);
    }
    const std::string metrics_port_file =
        absl::GetFlag(FLAGS_metrics_port_file);
    if (!metrics_port_file.empty() &&
        !WritePortFile(metrics_port_file,
                       exposer->GetListeningPorts().front())) {
      return Fail(
          absl::StrCat("cannot write --metrics_port_file ", metrics_port_file));
    }
  }

  grpc::EnableDefaultHealthCheckService(true);
  // The probe-only port: a server with nothing but the health service (built
  // before the reflection plugin is installed, which would add itself).
  std::unique_ptr<grpc::Server> health_server;
  int health_port = 0;
  if (const std::string address = absl::GetFlag(FLAGS_health_listen_address);
      !address.empty()) {
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(address, grpc::InsecureServerCredentials(),
                                    &health_port);
    health_server = health_builder.BuildAndStart();
    if (health_server == nullptr || health_port == 0) {
      return Fail(
          absl::StrCat("cannot listen on --health_listen_address ", address));
    }
    const std::string health_port_file = absl::GetFlag(FLAGS_health_port_file);
    if (!health_port_file.empty() &&
        !WritePortFile(health_port_file, health_port)) {
      return Fail(
          absl::StrCat("cannot write --health_port_file ", health_port_file));
    }
    // NOT_SERVING until the main port serves.
    health_server->GetHealthCheckService()->SetServingStatus(false);
  }
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC's own buffers are bounded too, in proportion to the image budget.
  grpc::ResourceQuota grpc_memory("userimage-grpc-buffers");
  grpc_memory.Resize(static_cast<size_t>(
      GrpcBufferQuotaBytes(absl::GetFlag(FLAGS_memory_budget_bytes))));
  builder.SetResourceQuota(grpc_memory);
  // Without BDP probing each stream's HTTP/2 window stays at its 64 KiB
  // default, so what callers have in flight is bounded per stream.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE,
                             absl::GetFlag(FLAGS_http2_bdp_probe) ? 1 : 0);
  int port = 0;
  const std::string listen_address = absl::GetFlag(FLAGS_listen_address);
  builder.AddListeningPort(listen_address, *credentials, &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(absl::StrCat("cannot listen on ", listen_address));
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  health->SetServingStatus(
      clerk::userimage::v1::UserImageService::service_full_name(), true);
  if (health_server != nullptr) {
    health_server->GetHealthCheckService()->SetServingStatus(true);
    health_server->GetHealthCheckService()->SetServingStatus(
        clerk::userimage::v1::UserImageService::service_full_name(), true);
    if (redis_quota != nullptr)
      shared_state.Attach(health_server->GetHealthCheckService());
  }
  if (redis_quota != nullptr) {
    shared_state.Attach(health);
    if (health_server != nullptr)
      shared_state.Attach(health_server->GetHealthCheckService());
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty() && !WritePortFile(port_file, port)) {
    shared_state.DetachAll();  // The servers are destroyed on return.
    return Fail(absl::StrCat("cannot write --port_file ", port_file));
  }
  LogEvent(
      LogLevel::kInfo, "serving",
      {{"version", LogString(kVersion)},
       {"listen_address", LogString(listen_address)},
       {"port", LogNumber(port)},
       {"health_port", LogNumber(health_port)},
       {"metrics_port",
        LogNumber(exposer ? exposer->GetListeningPorts().front() : 0)},
       {"clerk_api_url", LogString(api_url)},
       {"tls", LogString(absl::GetFlag(FLAGS_tls_cert_file).empty()
                             ? "off"
                             : (mtls ? "mutual" : "server"))},
       {"clerk_rate_limit", LogNumber(absl::GetFlag(FLAGS_clerk_rate_limit))},
       {"clerk_rate_limit_replicas", LogNumber(replicas)},
       {"redis_address", LogString(absl::GetFlag(FLAGS_redis_address))},
       {"max_image_bytes", LogNumber(max_image_bytes)},
       {"memory_budget_bytes",
        LogNumber(absl::GetFlag(FLAGS_memory_budget_bytes))}});

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  LogEvent(LogLevel::kInfo, "draining",
           {{"signal", LogString(strsignal(signal_number))}});
  shared_state.DetachAll();
  health->Shutdown();  // Every service reports NOT_SERVING from now on.
  if (health_server != nullptr)
    health_server->GetHealthCheckService()->Shutdown();
  // At the end of the grace gRPC cancels the calls still open, which aborts
  // their requests to Clerk; whatever else is still sending is aborted too,
  // so the drain never outlives the grace.
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  const Timers::Id abort_timer = timers.Schedule(clock.Now() + grace, [&http] {
    LogEvent(LogLevel::kWarning, "shutdown_grace_over",
             {{"message", LogString("aborting requests still in flight "
                                    "to Clerk; Clerk may have applied "
                                    "those already fully sent")}});
    http.AbortInFlight();
  });
  server->Shutdown(std::chrono::system_clock::now() +
                   absl::ToChronoNanoseconds(grace));
  timers.Cancel(abort_timer);
  if (health_server != nullptr) health_server->Shutdown();
  LogEvent(LogLevel::kInfo, "stopped");
  return 0;
}

}  // namespace
}  // namespace userimage

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Serves clerk.userimage.v1.UserImageService: uploads profile images to "
      "Clerk. The Clerk secret key comes from CLERK_SECRET_KEY or "
      "--clerk_secret_key_file.");
  absl::ParseCommandLine(argc, argv);
  userimage::StartAsyncLogging(
      static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_log_queue_lines))));
  const int exit_code = userimage::Run();
  userimage::StopAsyncLogging();  // Writes what is still queued.
  return exit_code;
}
