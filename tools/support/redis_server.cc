#include "tools/support/redis_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace userimage {
namespace {

// Binds `fd` to loopback on a port the OS picks; returns the port.
int BindLoopback(int fd) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// A port that was free a moment ago (the OS picked it for a socket that is
// closed again).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  const int port = BindLoopback(fd);
  close(fd);
  return port;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    RedisServerOptions options) {
  absl::Status last;
  // Another process may take the port between FreePort() and redis-server's
  // bind(); then try another.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::unique_ptr<RedisServer> server(new RedisServer(options, FreePort()));
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

RedisServer::~RedisServer() { Stop(); }

RedisOptions RedisServer::ClientOptions() const {
  RedisOptions client;
  client.host = "127.0.0.1";
  client.port = port_;
  client.password = options_.password;
  client.connect_timeout = absl::Seconds(2);
  client.command_timeout = absl::Seconds(2);
  return client;
}

absl::Status RedisServer::Launch() {
  static std::atomic<int> instance{0};
  const std::string name = absl::StrCat("redis", getpid(), "-", instance++);
  const std::string dir = Dir();
  const std::string log = absl::StrCat(dir, "/", name, ".log");
  std::vector<std::string> argv = {
      options_.binary, "--bind", "127.0.0.1", "--save", "",
      "--appendonly",  "no",     "--dir",     dir};
  if (options_.tls) {
    argv.insert(argv.end(), {"--port", "0", "--tls-port", absl::StrCat(port_),
                             "--tls-cert-file", options_.tls_cert_file,
                             "--tls-key-file", options_.tls_key_file,
                             "--tls-ca-cert-file", options_.tls_ca_file});
  } else {
    argv.insert(argv.end(), {"--port", absl::StrCat(port_)});
  }
  if (!options_.password.empty()) {
    argv.insert(argv.end(), {"--requirepass", options_.password});
  }
  if (!options_.acl_user.empty()) {
    argv.push_back("--user");
    argv.insert(argv.end(), options_.acl_user.begin() + 1,
                options_.acl_user.end());
  }
  auto process = ChildProcess::Start(argv, {}, log);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  // Ready when it accepts a connection (TLS or not, the TCP connect is
  // enough to know it listens).
  RedisOptions probe = ClientOptions();
  probe.password.clear();
  const absl::Time give_up = absl::Now() + absl::Seconds(20);
  while (absl::Now() < give_up) {
    if (!process_->Running()) {
      return absl::UnavailableError(
          absl::StrCat("redis-server exited at start; see ", log));
    }
    if (RedisConnection::Connect(probe).ok()) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("redis-server did not start listening");
}

std::string RedisServer::Dir() const {
  if (!options_.dir.empty()) return options_.dir;
  const char* test_tmpdir = std::getenv("TEST_TMPDIR");
  return test_tmpdir != nullptr ? test_tmpdir : "/tmp";
}

void RedisServer::Stop() {
  if (process_ == nullptr) return;
  process_->Signal(SIGKILL);
  process_->Wait();
  process_.reset();
}

SilentServer::SilentServer() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
  port_ = BindLoopback(fd_);
  listen(fd_, 16);
}

SilentServer::~SilentServer() { close(fd_); }

absl::Status RedisServer::Restart() {
  Stop();
  return Launch();
}

}  // namespace userimage
