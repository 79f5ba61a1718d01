#include "server/app/server_config.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/http/http_url.h"
#include "server/log/json_log.h"
#include "server/redis/redis_connection.h"

namespace userimage {
namespace {

absl::Status Invalid(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

absl::Status ValidateLogging(const ServerConfig& c) {
  LogLevel level;
  if (!ParseLogLevel(c.log_level, &level)) {
    return Invalid("--log_level must be debug, info, warning or error");
  }
  if (c.log_queue_lines < 1) {
    return Invalid("--log_queue_lines must be at least 1");
  }
  return absl::OkStatus();
}

absl::Status ValidateCallers(const ServerConfig& c) {
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return Invalid("--tls_cert_file and --tls_key_file go together");
  }
  if (c.tls_cert_file.empty() && !c.tls_client_ca_file.empty()) {
    return Invalid("--tls_client_ca_file needs --tls_cert_file");
  }
  const bool local = IsLoopbackListenAddress(c.listen_address);
  if (c.allow_unauthenticated && !local) {
    return Invalid(absl::StrCat(
        "--allow_unauthenticated lets anyone who reaches --listen_address=",
        c.listen_address,
        " call the service; it is allowed only on a loopback address "
        "(127.0.0.1, [::1], localhost) or a unix: socket. Authenticate "
        "callers with --tls_client_ca_file or --bearer_tokens_file instead"));
  }
  if (!c.bearer_tokens_file.empty() && c.tls_cert_file.empty() && !local &&
      !c.allow_plaintext_tokens) {
    return Invalid(absl::StrCat(
        "--bearer_tokens_file on a plaintext --listen_address=",
        c.listen_address,
        " would let anyone on the network read the tokens: add "
        "--tls_cert_file and --tls_key_file, listen on loopback, or "
        "--allow_plaintext_tokens (unsafe: only behind a TLS-terminating "
        "proxy on the same host)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateClerk(const ServerConfig& c) {
  absl::StatusOr<HttpUrl> url = ParseHttpUrl(c.ClerkApiUrl());
  if (!url.ok()) {
    return Invalid(absl::StrCat("--clerk_api_url: ", url.status().message()));
  }
  if (url->scheme == "http" && !url->loopback && !c.allow_insecure_clerk_url) {
    return Invalid(
        "--clerk_api_url is plain http to a non-loopback host: the secret key "
        "would cross the network in clear. Use https (TLS to Clerk is "
        "verified), or --allow_insecure_clerk_url");
  }
  if (c.clerk_max_response_bytes < 64 * 1024) {
    return Invalid("--clerk_max_response_bytes must be at least 65536");
  }
  return absl::OkStatus();
}

absl::Status ValidateRetries(const ServerConfig& c) {
  if (c.clerk_max_retry_after <= absl::ZeroDuration()) {
    return Invalid("--clerk_max_retry_after must be positive");
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, const std::string&>{"retry_budget_tokens",
                                                   c.retry_budget_tokens},
        {"retry_budget_ratio", c.retry_budget_ratio}}) {
    if (!value.empty()) {
      return Invalid(absl::StrCat(
          "--", flag,
          " was removed: the retry budget now scales with traffic; use "
          "--retry_budget_percent (default 20) and "
          "--retry_budget_min_per_second (default 1)"));
    }
  }
  if (absl::Status s = ValidateRetryBudgetOptions(c.retry_budget); !s.ok()) {
    return Invalid(s.message());
  }
  if (c.clerk_max_attempts < 1) {
    return Invalid("--clerk_max_attempts must be at least 1");
  }
  return absl::OkStatus();
}

absl::Status ValidateQuota(const ServerConfig& c) {
  if (c.clerk_rate_limit < 0 || c.clerk_rate_window <= absl::ZeroDuration()) {
    return Invalid(
        "--clerk_rate_limit must be >= 0 and --clerk_rate_window > 0");
  }
  if (c.max_queued_per_caller < 0) {
    return Invalid(
        "--max_queued_per_caller must be at least 1, or 0 for no limit");
  }
  if (c.clerk_rate_limit_replicas < 1) {
    return Invalid("--clerk_rate_limit_replicas must be at least 1");
  }
  if (c.clerk_rate_limit > 0 &&
      c.clerk_rate_limit < c.clerk_rate_limit_replicas) {
    return Invalid(
        "--clerk_rate_limit must be at least --clerk_rate_limit_replicas "
        "(each replica's share is at least one request per window)");
  }
  return absl::OkStatus();
}

// The --redis_* flags that only mean something with --redis_address.
absl::Status ValidateRedisFlagsNeedAddress(const ServerConfig& c) {
  for (const auto& [flag, set] :
       {std::pair<const char*, bool>{"redis_username",
                                     !c.redis_username.empty()},
        {"redis_password_file", !c.redis_password_file.empty()},
        {"redis_tls", c.redis_tls},
        {"redis_tls_ca_file", !c.redis_tls_ca_file.empty()},
        {"redis_tls_cert_file", !c.redis_tls_cert_file.empty()},
        {"redis_tls_key_file", !c.redis_tls_key_file.empty()},
        {"redis_tls_server_name", !c.redis_tls_server_name.empty()}}) {
    if (set) return Invalid(absl::StrCat("--", flag, " needs --redis_address"));
  }
  return absl::OkStatus();
}

absl::Status ValidateRedis(const ServerConfig& c) {
  if (c.redis_retry_interval <= absl::ZeroDuration()) {
    return Invalid("--redis_retry_interval must be positive");
  }
  if (c.user_lease_ttl < absl::Seconds(1)) {
    return Invalid("--user_lease_ttl must be at least 1s");
  }
  if (!c.uses_redis()) return ValidateRedisFlagsNeedAddress(c);
  if (c.clerk_rate_limit == 0) {
    return Invalid(
        "--redis_address needs --clerk_rate_limit (the quota to share)");
  }
  RedisOptions parsed;
  if (absl::Status s = ParseRedisAddress(c.redis_address, parsed); !s.ok()) {
    return Invalid(absl::StrCat("--redis_address: ", s.message()));
  }
  if (!c.redis_username.empty() && c.redis_password_file.empty()) {
    return Invalid("--redis_username needs --redis_password_file");
  }
  if (!c.redis_tls &&
      (!c.redis_tls_ca_file.empty() || !c.redis_tls_cert_file.empty() ||
       !c.redis_tls_server_name.empty())) {
    return Invalid("the --redis_tls_* flags need --redis_tls");
  }
  if (c.redis_tls_cert_file.empty() != c.redis_tls_key_file.empty()) {
    return Invalid(
        "--redis_tls_cert_file and --redis_tls_key_file go together");
  }
  if (c.redis_connect_timeout <= absl::ZeroDuration() ||
      c.redis_timeout <= absl::ZeroDuration()) {
    return Invalid("the Redis timeouts must be positive");
  }
  return absl::OkStatus();
}

absl::Status ValidateUploads(const ServerConfig& c) {
  if (c.max_image_bytes == 0) {
    return Invalid("--max_image_bytes must be positive");
  }
  return absl::OkStatus();
}

absl::Status ValidateNormalize(const ServerConfig& c) {
  if (c.normalize_workers < 0 || c.normalize_workers > 64) {
    return Invalid("--normalize_workers must be between 0 and 64");
  }
  if (c.normalize_workers == 0) {
    if (c.normalize_max_side_px != 0) {
      return Invalid(
          "--normalize_max_side_px needs workers: set --normalize_workers");
    }
    return absl::OkStatus();
  }
  if (c.normalize_max_side_px != 0 && c.normalize_max_side_px < 16) {
    return Invalid("--normalize_max_side_px must be 0 (off) or at least 16");
  }
  if (c.normalize_timeout <= absl::ZeroDuration()) {
    return Invalid("--normalize_timeout must be positive");
  }
  if (c.normalize_queue < 1) {
    return Invalid("--normalize_queue must be at least 1");
  }
  if (c.normalize_worker_memory_mb < 128) {
    return Invalid("--normalize_worker_memory_mb must be at least 128");
  }
  return absl::OkStatus();
}

absl::Status ValidateGrpcLimits(const ServerConfig& c) {
  const ServerConfig::GrpcLimits& g = c.grpc;
  if (g.max_concurrent_streams < 1) {
    return Invalid("--grpc_max_concurrent_streams must be at least 1");
  }
  if (g.max_metadata_bytes < 1024) {
    return Invalid("--grpc_max_metadata_bytes must be at least 1024");
  }
  for (const auto& [flag, value] :
       {std::pair<const char*, absl::Duration>{"grpc_keepalive_time",
                                               g.keepalive_time},
        {"grpc_keepalive_timeout", g.keepalive_timeout},
        {"grpc_min_client_ping_interval", g.min_client_ping_interval},
        {"grpc_max_connection_idle", g.max_connection_idle},
        {"grpc_max_connection_age", g.max_connection_age}}) {
    if (value < absl::Seconds(1)) {
      return Invalid(absl::StrCat("--", flag, " must be at least 1s"));
    }
  }
  if (g.max_connection_age_grace < c.max_upload_duration) {
    return Invalid(
        "--grpc_max_connection_age_grace must be at least "
        "--max_upload_duration, so that an upload in progress when its "
        "connection ages out can finish");
  }
  return absl::OkStatus();
}

}  // namespace

std::string ServerConfig::ClerkApiUrl() const {
  return std::string(absl::StripSuffix(clerk_api_url, "/"));
}

absl::Status ServerConfig::Validate() const {
  for (auto* rule : {ValidateLogging, ValidateCallers, ValidateClerk,
                     ValidateRetries, ValidateQuota, ValidateRedis,
                     ValidateUploads, ValidateNormalize, ValidateGrpcLimits}) {
    if (absl::Status s = rule(*this); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace userimage
