#ifndef SERVER_REDIS_REDIS_CONNECTION_H_
#define SERVER_REDIS_REDIS_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct redisReader;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace userimage {

// Where and how to reach Redis.
struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // AUTH [username] password after connecting, when `password` is set
  // (`username` for an ACL user, Redis 6+).
  std::string username;
  std::string password;
  // TLS, verified against `tls_ca_file` (the system's CAs when empty) and
  // `tls_server_name` (default: `host`). A client certificate is presented
  // when `tls_cert_file` and `tls_key_file` are set (Redis asks for one by
  // default: tls-auth-clients yes).
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  // Bounds for connecting (TCP, TLS, AUTH) and for each command.
  absl::Duration connect_timeout = absl::Milliseconds(500);
  absl::Duration command_timeout = absl::Milliseconds(100);
};

// Fills `options`' host and port from "host:port" ("[v6 address]:port" for
// IPv6). INVALID_ARGUMENT saying what is wrong otherwise.
absl::Status ParseRedisAddress(absl::string_view address,
                               RedisOptions& options);

// One reply, copied out of hiredis's reply object.
struct RedisReply {
  enum class Type { kString, kStatus, kInteger, kNil, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray
};

// A blocking connection to one Redis server, over TCP or TLS (OpenSSL).
// hiredis formats commands and parses replies (RESP); this class moves the
// bytes, because Debian 12's hiredis (0.14) has no TLS. Every operation is
// bounded by the options' timeouts.
//
// Not thread-safe: one thread uses a connection. After any error other
// than an error reply, the connection is broken (a late reply could be
// mistaken for the next one): destroy it and connect again.
class RedisConnection {
 public:
  // Connects, handshakes and authenticates. Errors: UNAVAILABLE (refused,
  // reset, TLS handshake or verification failed), DEADLINE_EXCEEDED,
  // PERMISSION_DENIED (AUTH refused), INVALID_ARGUMENT (bad options).
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(
      const RedisOptions& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and waits for its reply. An error reply is returned
  // as a reply of Type::kError (the connection stays usable).
  absl::StatusOr<RedisReply> Command(const std::vector<std::string>& args);

 private:
  RedisConnection(const RedisOptions& options, int fd);
  absl::Status Handshake(absl::Time deadline);
  absl::Status WriteAll(const std::string& bytes, absl::Time deadline);
  absl::StatusOr<RedisReply> ReadReply(absl::Time deadline);
  absl::StatusOr<RedisReply> CommandBy(const std::vector<std::string>& args,
                                       absl::Time deadline);
  // Waits until the socket is readable (`for_read`) or writable.
  absl::Status Await(bool for_read, absl::Time deadline);

  const RedisOptions options_;
  const std::string peer_;  // host:port, for messages
  int fd_;
  SSL_CTX* ssl_ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  redisReader* reader_;
};

}  // namespace userimage

#endif  // SERVER_REDIS_REDIS_CONNECTION_H_
