// The UserImageService server: reads the flags into a ServerConfig and the
// secret key from the environment or a file, starts a ServerApp and serves
// until SIGTERM or SIGINT, then drains. Only wiring lives here; the flags
// are described in docs/operations.md.

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/allocator/allocator.h"
#include "server/app/main_loop.h"
#include "server/app/server_app.h"
#include "server/app/server_config.h"
#include "server/config/secret_key.h"
#include "server/config/secret_memory.h"
#include "server/log/json_log.h"

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
          "Accept calls without any credentials. Only with a loopback (or "
          "unix:) --listen_address: the server refuses to start otherwise");
ABSL_FLAG(std::string, response_fields_file, "",
          "File of lines \"<identity> <comma-separated User field paths>\" "
          "(\"*\" for everyone else): the most of the User each caller "
          "receives; a call's read_mask narrows it. Unset: the whole User");
ABSL_FLAG(bool, allow_plaintext_tokens, false,
          "UNSAFE: accept --bearer_tokens_file on a plaintext, non-loopback "
          "--listen_address (only behind a TLS-terminating proxy on the same "
          "host)");
ABSL_FLAG(bool, allow_insecure_clerk_url, false,
          "Allow a plain-http --clerk_api_url whose host is not literally "
          "loopback (127.0.0.0/8, ::1, localhost)");
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
ABSL_FLAG(std::string, caller_weights_file, "",
          "File of lines \"<identity> <weight>\" (\"*\" for everyone else, "
          "anonymous callers included): each caller's share of the quota "
          "while callers compete. Unset: equal shares");
ABSL_FLAG(int, max_queued_per_caller, 500,
          "Requests one caller may have waiting for the quota at each "
          "priority; beyond it a "
          "new one fails with RESOURCE_EXHAUSTED (reason CALLER_QUEUE_FULL) "
          "and a RetryInfo. 0: no limit");
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
ABSL_FLAG(int, normalize_workers, 2,
          "Sandboxed worker processes that convert HEIC/HEIF, AVIF and TIFF "
          "to JPEG or PNG (and scale, with --normalize_max_side_px); 0 "
          "turns conversion off and those formats are refused");
ABSL_FLAG(uint32_t, normalize_max_side_px, 0,
          "Scale any image whose longer side is over this down to it, in a "
          "worker; 0: never (JPEG, PNG, GIF and WebP then pass unchanged)");
ABSL_FLAG(absl::Duration, normalize_timeout, absl::Seconds(20),
          "Longest one image's conversion may take; past it the worker is "
          "killed and replaced and the upload fails with INTERNAL");
ABSL_FLAG(int, normalize_queue, 32,
          "Images waiting for a worker, at most; more are refused with "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(std::string, normalize_worker_binary, "",
          "Path of the normalize_worker binary; empty: the one in the "
          "server binary's directory");
ABSL_FLAG(uint64_t, normalize_worker_memory_mb, 1024,
          "Address-space limit of each worker, in MiB");
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
ABSL_FLAG(int, grpc_max_concurrent_streams, 100,
          "Calls one caller connection may have open at once; more wait");
ABSL_FLAG(absl::Duration, grpc_keepalive_time, absl::Minutes(1),
          "Ping a caller connection quiet for this long");
ABSL_FLAG(absl::Duration, grpc_keepalive_timeout, absl::Seconds(20),
          "Close a connection whose keepalive ping is not answered in this "
          "long");
ABSL_FLAG(absl::Duration, grpc_min_client_ping_interval, absl::Seconds(30),
          "Callers may ping no more often than this (with or without calls); "
          "faster pingers get GOAWAY after two strikes");
ABSL_FLAG(absl::Duration, grpc_max_connection_idle, absl::Minutes(5),
          "Close a connection without calls for this long (GOAWAY)");
ABSL_FLAG(absl::Duration, grpc_max_connection_age, absl::Minutes(30),
          "Send GOAWAY to every connection at this age (+-10 %), so that load "
          "balancers rebalance");
ABSL_FLAG(absl::Duration, grpc_max_connection_age_grace, absl::Minutes(5),
          "How long calls in progress on an aged-out connection may still run "
          "(at least --max_upload_duration)");
ABSL_FLAG(int, grpc_max_metadata_bytes, 16 * 1024,
          "Bytes of request metadata (headers) a call may carry");
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

// Each part of the configuration from its flags.
void ServingFromFlags(ServerConfig& c) {
  c.listen_address = absl::GetFlag(FLAGS_listen_address);
  c.port_file = absl::GetFlag(FLAGS_port_file);
  c.health_listen_address = absl::GetFlag(FLAGS_health_listen_address);
  c.health_port_file = absl::GetFlag(FLAGS_health_port_file);
  c.metrics_listen_address = absl::GetFlag(FLAGS_metrics_listen_address);
  c.metrics_port_file = absl::GetFlag(FLAGS_metrics_port_file);
  c.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  c.log_level = absl::GetFlag(FLAGS_log_level);
  c.log_queue_lines = absl::GetFlag(FLAGS_log_queue_lines);
  c.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  c.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  c.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  c.bearer_tokens_file = absl::GetFlag(FLAGS_bearer_tokens_file);
  c.caller_allowlist_file = absl::GetFlag(FLAGS_caller_allowlist_file);
  c.allow_unauthenticated = absl::GetFlag(FLAGS_allow_unauthenticated);
  c.allow_plaintext_tokens = absl::GetFlag(FLAGS_allow_plaintext_tokens);
  c.response_fields_file = absl::GetFlag(FLAGS_response_fields_file);
}

void ClerkFromFlags(ServerConfig& c) {
  c.clerk_api_url = absl::GetFlag(FLAGS_clerk_api_url);
  c.allow_insecure_clerk_url = absl::GetFlag(FLAGS_allow_insecure_clerk_url);
  c.clerk_api_version = absl::GetFlag(FLAGS_clerk_api_version);
  c.clerk_request_timeout = absl::GetFlag(FLAGS_clerk_request_timeout);
  c.clerk_connect_timeout = absl::GetFlag(FLAGS_clerk_connect_timeout);
  c.clerk_max_response_bytes = absl::GetFlag(FLAGS_clerk_max_response_bytes);
  c.clerk_rate_limit = absl::GetFlag(FLAGS_clerk_rate_limit);
  c.clerk_rate_window = absl::GetFlag(FLAGS_clerk_rate_window);
  c.clerk_rate_limit_replicas = absl::GetFlag(FLAGS_clerk_rate_limit_replicas);
  c.caller_weights_file = absl::GetFlag(FLAGS_caller_weights_file);
  c.max_queued_per_caller = absl::GetFlag(FLAGS_max_queued_per_caller);
  c.clerk_shared_pause = absl::GetFlag(FLAGS_clerk_shared_pause);
  c.clerk_max_attempts = absl::GetFlag(FLAGS_clerk_max_attempts);
  c.clerk_backoff_base = absl::GetFlag(FLAGS_clerk_backoff_base);
  c.clerk_backoff_cap = absl::GetFlag(FLAGS_clerk_backoff_cap);
  c.clerk_max_retry_after = absl::GetFlag(FLAGS_clerk_max_retry_after);
  c.retry_budget = {
      .percent = absl::GetFlag(FLAGS_retry_budget_percent),
      .min_per_second = absl::GetFlag(FLAGS_retry_budget_min_per_second),
      .ttl = absl::GetFlag(FLAGS_retry_budget_ttl)};
  c.retry_budget_tokens = absl::GetFlag(FLAGS_retry_budget_tokens);
  c.retry_budget_ratio = absl::GetFlag(FLAGS_retry_budget_ratio);
}

void RedisFromFlags(ServerConfig& c) {
  c.redis_address = absl::GetFlag(FLAGS_redis_address);
  c.redis_username = absl::GetFlag(FLAGS_redis_username);
  c.redis_password_file = absl::GetFlag(FLAGS_redis_password_file);
  c.redis_tls = absl::GetFlag(FLAGS_redis_tls);
  c.redis_tls_ca_file = absl::GetFlag(FLAGS_redis_tls_ca_file);
  c.redis_tls_cert_file = absl::GetFlag(FLAGS_redis_tls_cert_file);
  c.redis_tls_key_file = absl::GetFlag(FLAGS_redis_tls_key_file);
  c.redis_tls_server_name = absl::GetFlag(FLAGS_redis_tls_server_name);
  c.redis_connect_timeout = absl::GetFlag(FLAGS_redis_connect_timeout);
  c.redis_timeout = absl::GetFlag(FLAGS_redis_timeout);
  c.redis_retry_interval = absl::GetFlag(FLAGS_redis_retry_interval);
  c.redis_key_prefix = absl::GetFlag(FLAGS_redis_key_prefix);
  c.user_lease_ttl = absl::GetFlag(FLAGS_user_lease_ttl);
}

void UploadsFromFlags(ServerConfig& c) {
  c.max_image_bytes = absl::GetFlag(FLAGS_max_image_bytes);
  c.strip_image_metadata = absl::GetFlag(FLAGS_strip_image_metadata);
  c.max_image_side_px = absl::GetFlag(FLAGS_max_image_side_px);
  c.max_image_pixels = absl::GetFlag(FLAGS_max_image_pixels);
  c.normalize_workers = absl::GetFlag(FLAGS_normalize_workers);
  c.normalize_max_side_px = absl::GetFlag(FLAGS_normalize_max_side_px);
  c.normalize_timeout = absl::GetFlag(FLAGS_normalize_timeout);
  c.normalize_queue = absl::GetFlag(FLAGS_normalize_queue);
  c.normalize_worker_binary = absl::GetFlag(FLAGS_normalize_worker_binary);
  c.normalize_worker_memory_mb =
      absl::GetFlag(FLAGS_normalize_worker_memory_mb);
  c.memory_budget_bytes = absl::GetFlag(FLAGS_memory_budget_bytes);
  c.max_concurrent_uploads = absl::GetFlag(FLAGS_max_concurrent_uploads);
  c.upload_idle_timeout = absl::GetFlag(FLAGS_upload_idle_timeout);
  c.max_upload_duration = absl::GetFlag(FLAGS_max_upload_duration);
  c.http2_bdp_probe = absl::GetFlag(FLAGS_http2_bdp_probe);
  c.grpc = {
      .max_concurrent_streams =
          absl::GetFlag(FLAGS_grpc_max_concurrent_streams),
      .keepalive_time = absl::GetFlag(FLAGS_grpc_keepalive_time),
      .keepalive_timeout = absl::GetFlag(FLAGS_grpc_keepalive_timeout),
      .min_client_ping_interval =
          absl::GetFlag(FLAGS_grpc_min_client_ping_interval),
      .max_connection_idle = absl::GetFlag(FLAGS_grpc_max_connection_idle),
      .max_connection_age = absl::GetFlag(FLAGS_grpc_max_connection_age),
      .max_connection_age_grace =
          absl::GetFlag(FLAGS_grpc_max_connection_age_grace),
      .max_metadata_bytes = absl::GetFlag(FLAGS_grpc_max_metadata_bytes)};
}

ServerConfig ConfigFromFlags() {
  ServerConfig c;
  ServingFromFlags(c);
  ClerkFromFlags(c);
  RedisFromFlags(c);
  UploadsFromFlags(c);
  return c;
}

// The Clerk secret key, from CLERK_SECRET_KEY or --clerk_secret_key_file.
// The variable must not leak into the environment of anything started
// later, nor stay readable in /proc/PID/environ (which shows the original
// environment block, whatever unsetenv() does): it is wiped in place.
absl::StatusOr<std::string> TakeSecretKey() {
  absl::StatusOr<std::string> key =
      LoadSecretKey(std::getenv("CLERK_SECRET_KEY"),
                    absl::GetFlag(FLAGS_clerk_secret_key_file));
  if (char* value = std::getenv("CLERK_SECRET_KEY")) {
    explicit_bzero(value, std::strlen(value));
  }
  unsetenv("CLERK_SECRET_KEY");
  return key;
}

// SIGTERM and SIGINT, blocked in the calling thread and so in every thread
// started after it: they are read by the main loop's signalfd alone.
sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int Run(const sigset_t& signals) {
  const ServerConfig config = ConfigFromFlags();
  // No core dump, no ptrace by the same user, before the key is in memory.
  const absl::Status undumpable = MakeProcessUndumpable();
  // The key is taken (and wiped) before anything can fail.
  absl::StatusOr<std::string> secret_key = TakeSecretKey();
  if (!undumpable.ok()) return Fail(undumpable.message());
  if (absl::Status valid = config.Validate(); !valid.ok()) {
    return Fail(valid.message());
  }
  LogLevel level;
  ParseLogLevel(config.log_level, &level);  // Validate() checked it.
  SetMinLogLevel(level);
  if (!secret_key.ok()) return Fail(secret_key.status().message());

  // SIGPIPE must not kill the process when a peer closes a connection.
  signal(SIGPIPE, SIG_IGN);
  // Debian's abseil tracks every Mutex acquisition in a lock graph to
  // detect deadlocks (about 1 % of the server's CPU in the data-path
  // benchmark): the tests run with it set to abort, production without.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // The main thread serves the metrics and waits for a stop signal.
  absl::StatusOr<std::unique_ptr<MainLoop>> loop = MainLoop::Create(signals);
  if (!loop.ok()) return Fail(loop.status().message());
  absl::StatusOr<std::unique_ptr<ServerApp>> app =
      ServerApp::Start(config, *std::move(secret_key), (*loop)->base());
  if (!app.ok()) return Fail(app.status().message());

  const int signal_number = (*loop)->RunUntilSignal();
  LogEvent(LogLevel::kInfo, "draining",
           {{"signal", LogString(strsignal(signal_number))}});
  // Scrapes go on being answered while the calls in flight finish.
  (*loop)->RunBeside([&] { (*app)->Drain(config.shutdown_grace); });
  app->reset();
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
  userimage::TuneAllocator();
  absl::ParseCommandLine(argc, argv);
  // Before the first thread (the log writer) starts.
  const sigset_t stop_signals = userimage::BlockStopSignals();
  userimage::StartAsyncLogging(
      static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_log_queue_lines))));
  const int exit_code = userimage::Run(stop_signals);
  userimage::StopAsyncLogging();  // Writes what is still queued.
  return exit_code;
}
