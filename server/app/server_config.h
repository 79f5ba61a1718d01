#ifndef SERVER_APP_SERVER_CONFIG_H_
#define SERVER_APP_SERVER_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/retry/retry_budget.h"

namespace userimage {

// Everything the server is configured with, as typed values: main.cc fills
// it from the flags of the same names (see the configuration reference in
// docs/operations.md, whose defaults these are), ServerApp builds from it.
// Files named here (TLS, tokens, Redis password) are read by ServerApp; the
// Clerk secret key is not part of it. A plain value.
struct ServerConfig {
  // Serving.
  std::string listen_address = "0.0.0.0:50051";
  std::string port_file;
  std::string health_listen_address;
  std::string health_port_file;
  std::string metrics_listen_address = "0.0.0.0:9464";
  std::string metrics_port_file;
  absl::Duration shutdown_grace = absl::Seconds(25);
  std::string log_level = "info";
  int log_queue_lines = 10000;

  // Callers.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  std::string bearer_tokens_file;
  std::string caller_allowlist_file;
  bool allow_unauthenticated = false;
  bool allow_plaintext_tokens = false;
  std::string response_fields_file;

  // Clerk.
  std::string clerk_api_url = "https://api.clerk.com";
  bool allow_insecure_clerk_url = false;
  std::string clerk_api_version = "2026-05-12";
  absl::Duration clerk_request_timeout = absl::Seconds(30);
  absl::Duration clerk_connect_timeout = absl::Seconds(5);
  uint64_t clerk_max_response_bytes = 1 << 20;

  // Clerk's quota and retries.
  int clerk_rate_limit = 100;
  absl::Duration clerk_rate_window = absl::Seconds(10);
  int clerk_rate_limit_replicas = 1;
  std::string caller_weights_file;
  int max_queued_per_caller = 500;
  bool clerk_shared_pause = true;
  int clerk_max_attempts = 4;
  absl::Duration clerk_backoff_base = absl::Milliseconds(250);
  absl::Duration clerk_backoff_cap = absl::Seconds(10);
  absl::Duration clerk_max_retry_after = absl::Seconds(60);
  RetryBudgetOptions retry_budget;
  // Removed flags: any value fails validation, naming the replacements.
  std::string retry_budget_tokens;
  std::string retry_budget_ratio;

  // Redis (the shared quota and per-user order); empty address: none.
  std::string redis_address;
  std::string redis_username;
  std::string redis_password_file;
  bool redis_tls = false;
  std::string redis_tls_ca_file;
  std::string redis_tls_cert_file;
  std::string redis_tls_key_file;
  std::string redis_tls_server_name;
  absl::Duration redis_connect_timeout = absl::Milliseconds(500);
  absl::Duration redis_timeout = absl::Milliseconds(100);
  absl::Duration redis_retry_interval = absl::Seconds(1);
  std::string redis_key_prefix = "clerk-userimage";
  absl::Duration user_lease_ttl = absl::Seconds(10);

  // Uploads.
  uint64_t max_image_bytes = 10'000'000;
  bool strip_image_metadata = true;
  uint32_t max_image_side_px = 12000;
  uint64_t max_image_pixels = 100'000'000;
  // Normalization (HEIC/HEIF, AVIF, TIFF conversion and scaling) in
  // sandboxed worker processes; 0 workers: off (those formats are refused).
  int normalize_workers = 2;
  uint32_t normalize_max_side_px = 0;
  absl::Duration normalize_timeout = absl::Seconds(20);
  int normalize_queue = 32;
  // The normalize_worker binary; empty: the one beside the server's own.
  std::string normalize_worker_binary;
  uint64_t normalize_worker_memory_mb = 1024;
  uint64_t memory_budget_bytes = 512ull << 20;
  int max_concurrent_uploads = 1000;
  absl::Duration upload_idle_timeout = absl::Seconds(30);
  absl::Duration max_upload_duration = absl::Minutes(2);
  bool http2_bdp_probe = false;

  // The gRPC server's limits on each caller connection.
  struct GrpcLimits {
    // Streams (calls) one connection may have open at once; more wait
    // (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).
    int max_concurrent_streams = 100;
    // The server pings a connection quiet for this long, and closes it if
    // the ping is not answered within keepalive_timeout.
    absl::Duration keepalive_time = absl::Minutes(1);
    absl::Duration keepalive_timeout = absl::Seconds(20);
    // Callers may ping no more often than this, with or without calls in
    // flight; a caller that pings faster is sent GOAWAY
    // (ENHANCE_YOUR_CALM) after two strikes.
    absl::Duration min_client_ping_interval = absl::Seconds(30);
    // A connection without calls for this long is closed (GOAWAY).
    absl::Duration max_connection_idle = absl::Minutes(5);
    // Every connection is sent GOAWAY at this age (±10 %), so that load
    // balancers rebalance; calls in progress get max_connection_age_grace
    // to finish (at least --max_upload_duration).
    absl::Duration max_connection_age = absl::Minutes(30);
    absl::Duration max_connection_age_grace = absl::Minutes(5);
    // Bytes of request metadata (headers) a call may carry.
    int max_metadata_bytes = 16 * 1024;
  } grpc;

  // Every rule that needs no file and no network: OK, or INVALID_ARGUMENT
  // naming the flag to fix (the first broken rule).
  absl::Status Validate() const;

  bool uses_redis() const { return !redis_address.empty(); }
  // --clerk_api_url without a trailing slash.
  std::string ClerkApiUrl() const;
};

}  // namespace userimage

#endif  // SERVER_APP_SERVER_CONFIG_H_
