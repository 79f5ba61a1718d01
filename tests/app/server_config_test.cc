#include "server/app/server_config.h"

#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace userimage {
namespace {

TEST(ServerConfigTest, TheDefaultsAreValid) {
  EXPECT_TRUE(ServerConfig().Validate().ok()) << ServerConfig().Validate();
}

struct Rule {
  std::string name;
  std::function<void(ServerConfig&)> break_it;
  std::string message;  // part of the error
};

// Every rule, broken alone on top of the defaults, fails with a message
// naming the flag to fix.
TEST(ServerConfigTest, EachRuleFailsAloneWithItsMessage) {
  const std::vector<Rule> rules = {
      {"log level", [](auto& c) { c.log_level = "loud"; },
       "--log_level must be debug, info, warning or error"},
      {"log queue", [](auto& c) { c.log_queue_lines = 0; },
       "--log_queue_lines must be at least 1"},
      {"tls key alone", [](auto& c) { c.tls_key_file = "k.pem"; },
       "--tls_cert_file and --tls_key_file go together"},
      {"client ca alone", [](auto& c) { c.tls_client_ca_file = "ca.pem"; },
       "--tls_client_ca_file needs --tls_cert_file"},
      {"clerk scheme", [](auto& c) { c.clerk_api_url = "ftp://clerk"; },
       "--clerk_api_url: \"ftp://clerk\" is not a usable http(s) URL"},
      {"clerk user-info",
       [](auto& c) { c.clerk_api_url = "http://127.0.0.1@evil.example"; },
       "user-info"},
      {"anonymous on a public address",
       [](auto& c) {
         c.allow_unauthenticated = true;
         c.listen_address = "0.0.0.0:50051";
       },
       "--allow_unauthenticated lets anyone who reaches "
       "--listen_address=0.0.0.0:50051"},
      {"streams", [](auto& c) { c.grpc.max_concurrent_streams = 0; },
       "--grpc_max_concurrent_streams must be at least 1"},
      {"metadata", [](auto& c) { c.grpc.max_metadata_bytes = 100; },
       "--grpc_max_metadata_bytes must be at least 1024"},
      {"keepalive",
       [](auto& c) { c.grpc.keepalive_time = absl::Milliseconds(10); },
       "--grpc_keepalive_time must be at least 1s"},
      {"ping interval",
       [](auto& c) { c.grpc.min_client_ping_interval = absl::ZeroDuration(); },
       "--grpc_min_client_ping_interval must be at least 1s"},
      {"age", [](auto& c) { c.grpc.max_connection_age = absl::ZeroDuration(); },
       "--grpc_max_connection_age must be at least 1s"},
      {"age grace",
       [](auto& c) { c.grpc.max_connection_age_grace = absl::Seconds(30); },
       "--grpc_max_connection_age_grace must be at least "
       "--max_upload_duration"},
      {"tokens in clear",
       [](auto& c) {
         c.bearer_tokens_file = "tokens";
         c.listen_address = "[::]:50051";
       },
       "--allow_plaintext_tokens"},
      {"clerk plain http",
       [](auto& c) { c.clerk_api_url = "http://api.clerk.com"; },
       "--allow_insecure_clerk_url"},
      {"response cap", [](auto& c) { c.clerk_max_response_bytes = 1000; },
       "--clerk_max_response_bytes must be at least 65536"},
      {"retry after cap",
       [](auto& c) { c.clerk_max_retry_after = absl::ZeroDuration(); },
       "--clerk_max_retry_after must be positive"},
      {"removed tokens flag", [](auto& c) { c.retry_budget_tokens = "10"; },
       "--retry_budget_tokens was removed"},
      {"removed ratio flag", [](auto& c) { c.retry_budget_ratio = "0.1"; },
       "--retry_budget_ratio was removed"},
      {"budget percent", [](auto& c) { c.retry_budget.percent = -1; },
       "retry_budget_percent"},
      {"attempts", [](auto& c) { c.clerk_max_attempts = 0; },
       "--clerk_max_attempts must be at least 1"},
      {"rate limit", [](auto& c) { c.clerk_rate_limit = -1; },
       "--clerk_rate_limit must be >= 0"},
      {"rate window",
       [](auto& c) { c.clerk_rate_window = absl::ZeroDuration(); },
       "--clerk_rate_window > 0"},
      {"caller cap", [](auto& c) { c.max_queued_per_caller = -1; },
       "--max_queued_per_caller must be at least 1, or 0 for no limit"},
      {"replicas", [](auto& c) { c.clerk_rate_limit_replicas = 0; },
       "--clerk_rate_limit_replicas must be at least 1"},
      {"share below one",
       [](auto& c) {
         c.clerk_rate_limit = 3;
         c.clerk_rate_limit_replicas = 4;
       },
       "--clerk_rate_limit must be at least --clerk_rate_limit_replicas"},
      {"redis retry interval",
       [](auto& c) { c.redis_retry_interval = absl::ZeroDuration(); },
       "--redis_retry_interval must be positive"},
      {"lease ttl", [](auto& c) { c.user_lease_ttl = absl::Milliseconds(999); },
       "--user_lease_ttl must be at least 1s"},
      {"redis flag without address",
       [](auto& c) { c.redis_tls_server_name = "redis"; },
       "--redis_tls_server_name needs --redis_address"},
      {"redis tls without address", [](auto& c) { c.redis_tls = true; },
       "--redis_tls needs --redis_address"},
      {"redis without quota",
       [](auto& c) {
         c.redis_address = "redis:6379";
         c.clerk_rate_limit = 0;
       },
       "--redis_address needs --clerk_rate_limit"},
      {"redis address", [](auto& c) { c.redis_address = "redis"; },
       "--redis_address: "},
      {"redis user without password",
       [](auto& c) {
         c.redis_address = "redis:6379";
         c.redis_username = "svc";
       },
       "--redis_username needs --redis_password_file"},
      {"redis tls files without tls",
       [](auto& c) {
         c.redis_address = "redis:6379";
         c.redis_tls_ca_file = "ca.pem";
       },
       "the --redis_tls_* flags need --redis_tls"},
      {"redis client cert alone",
       [](auto& c) {
         c.redis_address = "redis:6379";
         c.redis_tls = true;
         c.redis_tls_cert_file = "c.pem";
       },
       "--redis_tls_cert_file and --redis_tls_key_file go together"},
      {"redis timeouts",
       [](auto& c) {
         c.redis_address = "redis:6379";
         c.redis_timeout = absl::ZeroDuration();
       },
       "the Redis timeouts must be positive"},
      {"image size", [](auto& c) { c.max_image_bytes = 0; },
       "--max_image_bytes must be positive"},
      {"workers", [](auto& c) { c.normalize_workers = -1; },
       "--normalize_workers must be between 0 and 64"},
      {"scaling without workers",
       [](auto& c) {
         c.normalize_workers = 0;
         c.normalize_max_side_px = 1024;
       },
       "--normalize_max_side_px needs workers"},
      {"tiny side", [](auto& c) { c.normalize_max_side_px = 8; },
       "--normalize_max_side_px must be 0 (off) or at least 16"},
      {"normalize timeout",
       [](auto& c) { c.normalize_timeout = absl::ZeroDuration(); },
       "--normalize_timeout must be positive"},
      {"normalize queue", [](auto& c) { c.normalize_queue = 0; },
       "--normalize_queue must be at least 1"},
      {"worker memory", [](auto& c) { c.normalize_worker_memory_mb = 64; },
       "--normalize_worker_memory_mb must be at least 128"},
  };
  for (const Rule& rule : rules) {
    ServerConfig config;
    rule.break_it(config);
    const absl::Status status = config.Validate();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << rule.name;
    EXPECT_NE(status.message().find(rule.message), std::string::npos)
        << rule.name << ": " << status;
  }
}

TEST(ServerConfigTest, PlainHttpIsAllowedToLoopbackOrWhenAskedFor) {
  ServerConfig config;
  for (const char* url :
       {"http://127.0.0.1:8080", "http://localhost/", "http://[::1]:9000"}) {
    config.clerk_api_url = url;
    EXPECT_TRUE(config.Validate().ok()) << url;
  }
  config.clerk_api_url = "http://clerk.internal";
  EXPECT_FALSE(config.Validate().ok());
  config.allow_insecure_clerk_url = true;
  EXPECT_TRUE(config.Validate().ok());
}

// Hosts that only look local would get the secret key in clear.
TEST(ServerConfigTest, LookAlikeLoopbackClerkUrlsNeedTheInsecureFlag) {
  ServerConfig config;
  for (const char* url :
       {"http://127.evil.example", "http://127.0.0.1.evil.example",
        "http://localhost.evil.example:8080", "http://[::2]"}) {
    config.clerk_api_url = url;
    const absl::Status status = config.Validate();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_NE(status.message().find("--allow_insecure_clerk_url"),
              std::string::npos)
        << status;
  }
  // User-info is refused even with the flag: it is never what was meant.
  config.allow_insecure_clerk_url = true;
  config.clerk_api_url = "http://127.0.0.1@evil.example";
  EXPECT_FALSE(config.Validate().ok());
}

TEST(ServerConfigTest, AnonymousCallersOnlyOnLoopback) {
  ServerConfig config;
  config.allow_unauthenticated = true;
  for (const char* address : {"127.0.0.1:0", "localhost:50051", "[::1]:50051",
                              "unix:/tmp/userimage.sock"}) {
    config.listen_address = address;
    EXPECT_TRUE(config.Validate().ok()) << address << config.Validate();
  }
  for (const char* address :
       {"0.0.0.0:50051", "[::]:50051", "10.0.0.5:50051", "127.evil:1"}) {
    config.listen_address = address;
    EXPECT_FALSE(config.Validate().ok()) << address;
  }
}

TEST(ServerConfigTest, TokensInClearOnlyOnLoopbackOrWhenAskedFor) {
  ServerConfig config;
  config.bearer_tokens_file = "tokens";
  config.listen_address = "0.0.0.0:50051";
  EXPECT_FALSE(config.Validate().ok());
  config.tls_cert_file = "cert.pem";
  config.tls_key_file = "key.pem";
  EXPECT_TRUE(config.Validate().ok()) << config.Validate();  // Over TLS.
  config.tls_cert_file.clear();
  config.tls_key_file.clear();
  config.listen_address = "127.0.0.1:50051";
  EXPECT_TRUE(config.Validate().ok()) << config.Validate();
  config.listen_address = "0.0.0.0:50051";
  config.allow_plaintext_tokens = true;
  EXPECT_TRUE(config.Validate().ok()) << config.Validate();
}

TEST(ServerConfigTest, TheClerkUrlLosesItsTrailingSlash) {
  ServerConfig config;
  config.clerk_api_url = "https://api.clerk.com/";
  EXPECT_EQ(config.ClerkApiUrl(), "https://api.clerk.com");
}

TEST(ServerConfigTest, AFullRedisSetupIsValid) {
  ServerConfig config;
  config.redis_address = "[::1]:6380";
  config.redis_username = "svc";
  config.redis_password_file = "/run/secrets/redis";
  config.redis_tls = true;
  config.redis_tls_cert_file = "c.pem";
  config.redis_tls_key_file = "k.pem";
  config.clerk_rate_limit_replicas = 3;
  EXPECT_TRUE(config.Validate().ok()) << config.Validate();
}

}  // namespace
}  // namespace userimage
