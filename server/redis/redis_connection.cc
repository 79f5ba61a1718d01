#include "server/redis/redis_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace userimage {
namespace {

// What OpenSSL's error queue says, emptied (errno when it is empty, as
// after SSL_ERROR_SYSCALL).
std::string OpenSslErrors() {
  const int saved_errno = errno;
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  if (text.empty())
    text = saved_errno != 0 ? strerror(saved_errno) : "connection closed";
  return text;
}

RedisReply Convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      for (size_t i = 0; i < r.elements; ++i) {
        out.elements.push_back(Convert(*r.element[i]));
      }
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// Milliseconds left until `deadline`, as poll() takes them.
int PollTimeout(absl::Time deadline) {
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  return static_cast<int>(
      std::clamp<int64_t>(ms, 0, std::numeric_limits<int>::max()));
}

absl::Status Timeout(absl::string_view what, absl::string_view peer) {
  return absl::DeadlineExceededError(
      absl::StrCat("Redis at ", peer, " did not answer in time (", what, ")"));
}

// Starts a non-blocking connect to one of `host`'s addresses and waits for
// it. Returns the socket.
absl::StatusOr<int> ConnectSocket(const RedisOptions& options,
                                  const std::string& peer,
                                  absl::Time deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string port = absl::StrCat(options.port);
  if (int rc =
          getaddrinfo(options.host.c_str(), port.c_str(), &hints, &addresses);
      rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot resolve Redis host ", options.host, ": ", gai_strerror(rc)));
  }
  std::string last_error = "no address";
  for (addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    a->ai_protocol);
    if (fd < 0) {
      last_error = strerror(errno);
      continue;
    }
    int error = 0;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno;
      if (error == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int ms = PollTimeout(deadline);
        error = ETIMEDOUT;
        if (ms > 0 && poll(&p, 1, ms) == 1) {
          socklen_t length = sizeof(error);
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        }
      }
    }
    if (error == 0) {
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      freeaddrinfo(addresses);
      return fd;
    }
    close(fd);
    last_error = strerror(error);
  }
  freeaddrinfo(addresses);
  return absl::UnavailableError(
      absl::StrCat("cannot connect to Redis at ", peer, ": ", last_error));
}

}  // namespace

absl::Status ParseRedisAddress(absl::string_view address,
                               RedisOptions& options) {
  absl::string_view host, port;
  if (absl::ConsumePrefix(&address, "[")) {
    const size_t close = address.find("]:");
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          "a Redis IPv6 address must look like [::1]:6379");
    }
    host = address.substr(0, close);
    port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos || address.find(':') != colon) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the Redis address \"", address, "\" must be host:port"));
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  int number = 0;
  if (host.empty() || !absl::SimpleAtoi(port, &number) || number <= 0 ||
      number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("the Redis address \"", address,
                     "\" needs a host and a port from 1 to 65535"));
  }
  options.host = std::string(host);
  options.port = number;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const RedisOptions& options) {
  if (options.host.empty() || options.port <= 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        "the Redis address needs a host and a port");
  }
  const absl::Time deadline = absl::Now() + options.connect_timeout;
  const std::string peer = absl::StrCat(options.host, ":", options.port);
  absl::StatusOr<int> fd = ConnectSocket(options, peer, deadline);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<RedisConnection> connection(
      new RedisConnection(options, *fd));
  if (options.tls) {
    if (absl::Status s = connection->Handshake(deadline); !s.ok()) return s;
  }
  if (!options.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options.username.empty()) auth.push_back(options.username);
    auth.push_back(options.password);
    absl::StatusOr<RedisReply> reply = connection->CommandBy(auth, deadline);
    if (!reply.ok()) return reply.status();
    if (reply->type == RedisReply::Type::kError) {
      return absl::PermissionDeniedError(absl::StrCat(
          "Redis at ", peer, " refused the credentials: ", reply->str));
    }
  }
  return connection;
}

RedisConnection::RedisConnection(const RedisOptions& options, int fd)
    : options_(options),
      peer_(absl::StrCat(options.host, ":", options.port)),
      fd_(fd),
      reader_(redisReaderCreate()) {}

RedisConnection::~RedisConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  close(fd_);
  redisReaderFree(reader_);
}

absl::Status RedisConnection::Await(bool for_read, absl::Time deadline) {
  const int ms = PollTimeout(deadline);
  if (ms <= 0) return Timeout(for_read ? "reading" : "writing", peer_);
  pollfd p{fd_, static_cast<short>(for_read ? POLLIN : POLLOUT), 0};
  const int rc = poll(&p, 1, ms);
  if (rc == 0) return Timeout(for_read ? "reading" : "writing", peer_);
  if (rc < 0 && errno != EINTR) {
    return absl::UnavailableError(absl::StrCat("poll: ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status RedisConnection::Handshake(absl::Time deadline) {
  ERR_clear_error();
  auto fail = [this](absl::string_view what) {
    return absl::UnavailableError(absl::StrCat("TLS to Redis at ", peer_, ": ",
                                               what, ": ", OpenSslErrors()));
  };
  ssl_ctx_ = SSL_CTX_new(TLS_client_method());
  if (ssl_ctx_ == nullptr) return fail("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ssl_ctx_, TLS1_2_VERSION);
  const int loaded = options_.tls_ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(ssl_ctx_)
                         : SSL_CTX_load_verify_locations(
                               ssl_ctx_, options_.tls_ca_file.c_str(), nullptr);
  if (loaded != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load the Redis CA bundle ", options_.tls_ca_file,
                     ": ", OpenSslErrors()));
  }
  SSL_CTX_set_verify(ssl_ctx_, SSL_VERIFY_PEER, nullptr);
  if (!options_.tls_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(
            ssl_ctx_, options_.tls_cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ssl_ctx_, options_.tls_key_file.c_str(),
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ssl_ctx_) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load the Redis client certificate ",
                       options_.tls_cert_file, " and key: ", OpenSslErrors()));
    }
  }
  ssl_ = SSL_new(ssl_ctx_);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1)
    return fail("cannot set up TLS");
  const std::string name = options_.tls_server_name.empty()
                               ? options_.host
                               : options_.tls_server_name;
  // Without the name check any certificate from the CA would do: refuse
  // to go on if it cannot be set.
  const bool name_set =
      IsIpAddress(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_),
                                                        name.c_str()) == 1
                        : SSL_set_tlsext_host_name(ssl_, name.c_str()) == 1 &&
                              SSL_set1_host(ssl_, name.c_str()) == 1;
  if (!name_set)
    return fail(absl::StrCat("cannot check the server's name ", name));
  while (true) {
    const int rc = SSL_connect(ssl_);
    if (rc == 1) return absl::OkStatus();
    const int error = SSL_get_error(ssl_, rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (absl::Status s = Await(error == SSL_ERROR_WANT_READ, deadline);
          !s.ok()) {
        return s;
      }
      continue;
    }
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      return absl::UnavailableError(
          absl::StrCat("TLS to Redis at ", peer_,
                       ": the server's certificate is not "
                       "trusted for ",
                       name, ": ", X509_verify_cert_error_string(verify)));
    }
    return fail("handshake failed");
  }
}

absl::Status RedisConnection::WriteAll(const std::string& bytes,
                                       absl::Time deadline) {
  size_t written = 0;
  while (written < bytes.size()) {
    const char* data = bytes.data() + written;
    const size_t size = bytes.size() - written;
    bool want_read = false;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int rc = SSL_write(ssl_, data, static_cast<int>(size));
      if (rc > 0) {
        written += rc;
        continue;
      }
      const int error = SSL_get_error(ssl_, rc);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        return absl::UnavailableError(
            absl::StrCat("writing to Redis at ", peer_, ": ", OpenSslErrors()));
      }
      want_read = error == SSL_ERROR_WANT_READ;
    } else {
      const ssize_t rc = send(fd_, data, size, MSG_NOSIGNAL);
      if (rc > 0) {
        written += rc;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return absl::UnavailableError(
            absl::StrCat("writing to Redis at ", peer_, ": ", strerror(errno)));
      }
    }
    if (absl::Status s = Await(want_read, deadline); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<RedisReply> RedisConnection::ReadReply(absl::Time deadline) {
  char buffer[16 * 1024];
  while (true) {
    void* parsed = nullptr;
    if (redisReaderGetReply(reader_, &parsed) != REDIS_OK) {
      return absl::UnavailableError(absl::StrCat("bad reply from Redis at ",
                                                 peer_, ": ", reader_->errstr));
    }
    if (parsed != nullptr) {
      RedisReply reply = Convert(*static_cast<redisReply*>(parsed));
      freeReplyObject(parsed);
      return reply;
    }
    bool want_write = false;
    ssize_t got;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int rc = SSL_read(ssl_, buffer, sizeof(buffer));
      got = rc;
      if (rc <= 0) {
        const int error = SSL_get_error(ssl_, rc);
        if (error == SSL_ERROR_ZERO_RETURN) {
          got = 0;
        } else if (error == SSL_ERROR_WANT_READ ||
                   error == SSL_ERROR_WANT_WRITE) {
          want_write = error == SSL_ERROR_WANT_WRITE;
          got = -1;
          errno = EAGAIN;
        } else {
          return absl::UnavailableError(absl::StrCat(
              "reading from Redis at ", peer_, ": ", OpenSslErrors()));
        }
      }
    } else {
      got = recv(fd_, buffer, sizeof(buffer), 0);
    }
    if (got == 0) {
      return absl::UnavailableError(
          absl::StrCat("Redis at ", peer_, " closed the connection"));
    }
    if (got > 0) {
      redisReaderFeed(reader_, buffer, static_cast<size_t>(got));
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return absl::UnavailableError(
          absl::StrCat("reading from Redis at ", peer_, ": ", strerror(errno)));
    }
    if (absl::Status s = Await(!want_write, deadline); !s.ok()) return s;
  }
}

absl::StatusOr<RedisReply> RedisConnection::CommandBy(
    const std::vector<std::string>& args, absl::Time deadline) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* formatted = nullptr;
  const int length = redisFormatCommandArgv(
      &formatted, static_cast<int>(argv.size()), argv.data(), lengths.data());
  if (length < 0) return absl::InternalError("cannot format a Redis command");
  std::string bytes(formatted, static_cast<size_t>(length));
  redisFreeCommand(formatted);
  if (absl::Status s = WriteAll(bytes, deadline); !s.ok()) return s;
  return ReadReply(deadline);
}

absl::StatusOr<RedisReply> RedisConnection::Command(
    const std::vector<std::string>& args) {
  return CommandBy(args, absl::Now() + options_.command_timeout);
}

}  // namespace userimage
