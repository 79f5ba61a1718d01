#ifndef TOOLS_SUPPORT_REDIS_SERVER_H_
#define TOOLS_SUPPORT_REDIS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/redis/redis_connection.h"
#include "tools/support/child_process.h"

namespace userimage {

struct RedisServerOptions {
  std::string binary = "/usr/bin/redis-server";
  // Where its log (and nothing else: it persists nothing) goes; empty: the
  // test's scratch directory ($TEST_TMPDIR), else /tmp.
  std::string dir;
  // requirepass: the default user's password.
  std::string password;
  // An ACL user, e.g. {"user", "svc", "on", ">secret", "~*", "+@all"}.
  std::vector<std::string> acl_user;
  // TLS only (no plaintext port), with client certificates required.
  bool tls = false;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_ca_file;
};

// A throwaway redis-server (Debian's /usr/bin/redis-server) on loopback, on
// a free port the OS picked, persisting nothing. Stop() and Start() again
// keep the port, to test outages. For tests and benchmarks; not
// thread-safe.
class RedisServer {
 public:
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(
      RedisServerOptions options = {});
  ~RedisServer();

  int port() const { return port_; }
  // Options reaching this server as the default user, with its password
  // (TLS left for the caller to fill in).
  RedisOptions ClientOptions() const;

  // Kills the server (SIGKILL: as abrupt as a lost node) / starts it again
  // on the same port, empty.
  void Stop();
  absl::Status Restart();

 private:
  RedisServer(RedisServerOptions options, int port)
      : options_(std::move(options)), port_(port) {}
  absl::Status Launch();
  std::string Dir() const;

  const RedisServerOptions options_;
  const int port_;
  std::unique_ptr<ChildProcess> process_;
};

// A TCP socket on loopback that accepts connections (the kernel completes
// the handshake) and never reads or answers: a Redis that hangs. Closed by
// the destructor. Not thread-safe.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;

  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

}  // namespace userimage

#endif  // TOOLS_SUPPORT_REDIS_SERVER_H_
