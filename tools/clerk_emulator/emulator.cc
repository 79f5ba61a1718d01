#include "tools/clerk_emulator/emulator.h"

#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/protobuf/struct.pb.h"
#include "tools/clerk_emulator/image_type.h"
#include "tools/clerk_emulator/json.h"

namespace clerk::emulator {
namespace {

constexpr char kUserPath[] = R"(/v1/users/([^/]+))";
constexpr char kProfileImagePath[] = R"(/v1/users/([^/]+)/profile_image)";
constexpr char kAnyBapiPath[] = R"(/v1(/.*)?)";

constexpr std::array<absl::string_view, 5> kApiVersions = {
    "2021-02-05", "2024-10-01", "2025-04-10", "2025-11-10", "2026-05-12"};

// Accept queue of the listening socket: room for a burst of thousands of
// connections.
constexpr int kListenBacklog = 4096;

// How long a new connection may stay silent before it is accepted anyway.
constexpr int kDeferAcceptSeconds = 5;

// Lets the emulator answer 413 itself for images over Clerk's 10 MB.
constexpr size_t kMaxPayloadBytes = 64 << 20;

constexpr char kDefaultAvatarId[] = "default-avatar";
// A 1x1 PNG in Clerk's purple, served as every user's default avatar.
constexpr char kDefaultAvatarPng[] =
    "\x89\x50\x4E\x47\x0D\x0A\x1A\x0A\x00\x00\x00\x0D\x49\x48\x44\x52\x00\x00"
    "\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xDE\x00\x00\x00"
    "\x0C\x49\x44\x41\x54\x78\xDA\x63\xC8\x71\xFF\x0F\x00\x02\xD5\x01\xB3\xD5"
    "\x67\x3A\xD5\x00\x00\x00\x00\x49\x45\x4E\x44\xAE\x42\x60\x82";

// What Cloudflare, in front of Clerk, answers when the origin fails.
constexpr char kBadGatewayHtml[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n"
    "<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

// Request "headers" httplib adds itself.
constexpr std::array<absl::string_view, 4> kPseudoHeaders = {
    "REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"};

bool IsChunked(const httplib::Request& req) {
  return absl::StrContains(
      absl::AsciiStrToLower(req.get_header_value("Transfer-Encoding")),
      "chunked");
}

std::string RandomString(absl::string_view alphabet, int length) {
  thread_local absl::BitGen gen;
  std::string out(length, ' ');
  for (char& c : out) {
    c = alphabet[absl::Uniform<size_t>(gen, 0, alphabet.size())];
  }
  return out;
}

// Clerk-style image id: "img_" and 27 base-62 characters.
std::string NewImageId() {
  return absl::StrCat(
      "img_",
      RandomString(
          "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
          27));
}

std::string NewTraceId() { return RandomString("0123456789abcdef", 32); }

void PutDefaultAvatar(ImageStore& images) {
  images.Put(kDefaultAvatarId,
             {std::string(kDefaultAvatarPng, sizeof(kDefaultAvatarPng) - 1),
              "image/png"});
}

// An Authorization value fit for the request log: the scheme when it is
// Bearer, never the credentials.
std::string RedactAuthorization(absl::string_view value) {
  const absl::string_view scheme = value.substr(0, value.find(' '));
  if (!absl::EqualsIgnoreCase(scheme, "bearer")) return "<redacted>";
  return absl::StrCat(scheme, " <redacted>");
}

void AnswerControl(int status, const google::protobuf::Struct& object,
                   httplib::Response& res) {
  res.status = status;
  res.set_content(PrintJson(object), "application/json");
}

void AnswerControlError(absl::string_view message, httplib::Response& res) {
  google::protobuf::Struct object;
  (*object.mutable_fields())["error"].set_string_value(std::string(message));
  AnswerControl(400, object, res);
}

// Reads an optional non-negative integer query parameter. Returns false
// (having answered 400) when it is present but invalid.
bool ReadCount(const httplib::Request& req, const std::string& name,
               int64_t max, std::optional<int64_t>* out,
               httplib::Response& res) {
  if (!req.has_param(name)) return true;
  int64_t value;
  if (!absl::SimpleAtoi(req.get_param_value(name), &value) || value < 0 ||
      value > max) {
    AnswerControlError(
        absl::StrCat(name, " must be an integer in [0, ", max, "]"), res);
    return false;
  }
  *out = value;
  return true;
}

// Checks the API version, given either as the Clerk-API-Version header or
// as the __clerk_api_version query parameter; both are optional.
std::optional<ClerkError> CheckApiVersion(const httplib::Request& req) {
  const bool header = req.has_header("Clerk-API-Version");
  const bool param = req.has_param("__clerk_api_version");
  if (header && param) {
    return ApiVersionInvalid(
        "use either the Clerk-API-Version header or the __clerk_api_version "
        "query parameter, not both");
  }
  if (!header && !param) return std::nullopt;
  const std::string version = header
                                  ? req.get_header_value("Clerk-API-Version")
                                  : req.get_param_value("__clerk_api_version");
  if (std::find(kApiVersions.begin(), kApiVersions.end(), version) ==
      kApiVersions.end()) {
    return ApiVersionInvalid(
        absl::StrCat("\"", version, "\" is not a supported version"));
  }
  return std::nullopt;
}

// The numeric host and port of one end of socket `fd`.
std::optional<std::pair<std::string, int>> SocketEnd(int fd, bool peer) {
  sockaddr_storage addr;
  socklen_t len = sizeof(addr);
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? getpeername(fd, sa, &len) : getsockname(fd, sa, &len)) != 0) {
    return std::nullopt;
  }
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  int port_number;
  if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0 ||
      !absl::SimpleAtoi(port, &port_number)) {
    return std::nullopt;
  }
  return std::make_pair(std::string(host), port_number);
}

// Resets the TCP connection `req` arrived on, before any response: finds
// its socket among the process's descriptors and closes it with a zero
// linger (a TCP RST), leaving an unconnected socket under the same
// descriptor for httplib to fail writing to and close. Returns false when
// the socket is not found.
bool ResetConnection(const httplib::Request& req) {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return false;
  const auto local = std::make_pair(req.local_addr, req.local_port);
  const auto remote = std::make_pair(req.remote_addr, req.remote_port);
  int connection = -1;
  while (const dirent* entry = readdir(dir)) {
    int fd;
    if (absl::SimpleAtoi(entry->d_name, &fd) && SocketEnd(fd, false) == local &&
        SocketEnd(fd, true) == remote) {
      connection = fd;
      break;
    }
  }
  closedir(dir);
  if (connection < 0) return false;
  const linger abort = {1, 0};
  setsockopt(connection, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
  const int placeholder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (placeholder < 0) return shutdown(connection, SHUT_RDWR) == 0;
  dup2(placeholder, connection);
  close(placeholder);
  return true;
}

}  // namespace

// A request body as read by the emulator.
struct Emulator::Body {
  // Unset when unknown: a multipart body without Content-Length.
  std::optional<int64_t> size;
  // False when the body could not be read or is not a valid multipart form;
  // the connection is then closed after the response.
  bool complete = true;
  std::vector<httplib::MultipartFormData> parts;  // multipart bodies only

  // The first part named `name`, or nullptr.
  httplib::MultipartFormData* Part(absl::string_view name) {
    for (auto& part : parts) {
      if (part.name == name) return &part;
    }
    return nullptr;
  }
};

struct Emulator::Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::optional<std::string> retry_after;
  bool reset = false;  // close the connection instead of answering

  static Reply Error(const ClerkError& error) {
    return {error.http_status, RenderClerkErrors(error, NewTraceId())};
  }
  // 200 with `user_json`, or 404 when the user is gone.
  static Reply User(std::optional<std::string> user_json) {
    if (!user_json) return Error(ResourceNotFound());
    return {200, *std::move(user_json)};
  }
  static Reply Scripted(const Fault& fault) {
    Reply reply;
    switch (fault.kind) {
      case FaultKind::kTooManyRequests:
        reply = Error(TooManyRequests());
        break;
      case FaultKind::kInternalError:
        reply = Error(InternalClerkError());
        break;
      case FaultKind::kBadGateway:
        reply = {502, kBadGatewayHtml, "text/html"};
        break;
      case FaultKind::kServiceUnavailable:
        reply = Error(ServiceUnavailable());
        break;
      case FaultKind::kGatewayTimeout:
        reply = Error(GatewayTimeout());
        break;
      case FaultKind::kConnectionReset:
        reply.reset = true;
        break;
      case FaultKind::kUnauthorized:
        reply = Error(ClerkKeyInvalid());
        break;
      case FaultKind::kNotFound:
        reply = Error(ResourceNotFound());
        break;
      case FaultKind::kImageTooLarge:
        reply = Error(ImageTooLarge());
        break;
      case FaultKind::kUnprocessable:
        reply = Error(FormParamValueInvalid("file"));
        break;
      case FaultKind::kTextInternalError:
        reply = {500, "Internal Server Error\n", "text/plain"};
        break;
      case FaultKind::kHtmlSuccess:
        reply = {200, "<html><body>Welcome</body></html>", "text/html"};
        break;
      case FaultKind::kGarbageSuccess:
        reply = {200, R"({"id":"user_)"};
        break;
      case FaultKind::kExtraFieldsSuccess:
        break;  // Answered as usual, then extended (Answer()).
      case FaultKind::kHugeSuccess:
        // A User whose metadata is 30 MB: an answer no client should hold.
        reply = {200, absl::StrCat(R"({"object":"user","id":"user_huge",)",
                                   R"("public_metadata":{"blob":")",
                                   std::string(30 << 20, 'x'), R"("}})")};
        break;
    }
    reply.retry_after = fault.retry_after;
    return reply;
  }
};

absl::StatusOr<std::unique_ptr<Emulator>> Emulator::Create(
    EmulatorOptions options, absl::string_view seed_users_json,
    const Clock* clock) {
  if (options.secret_key.empty()) {
    return absl::InvalidArgumentError("a secret key is required");
  }
  if (options.port < 0 || options.port > 65535 || options.threads < 1 ||
      options.generated_users < 0 || options.generated_users > 1000000 ||
      options.rate_limit < 0 || options.rate_window <= absl::ZeroDuration() ||
      options.latency < absl::ZeroDuration() || options.max_image_bytes < 0) {
    return absl::InvalidArgumentError(
        "need 0 <= port <= 65535, threads >= 1, rate_limit >= 0, "
        "rate_window > 0, latency >= 0, max_image_bytes >= 0 and "
        "0 <= generated_users <= 1000000");
  }
  absl::StatusOr<std::unique_ptr<UserStore>> users =
      UserStore::Create(seed_users_json, options.generated_users);
  if (!users.ok()) return users.status();
  return std::unique_ptr<Emulator>(
      new Emulator(std::move(options), *std::move(users), clock));
}

Emulator::Emulator(EmulatorOptions options, std::unique_ptr<UserStore> users,
                   const Clock* clock)
    : options_(std::move(options)),
      clock_(*clock),
      users_(std::move(users)),
      limiter_(clock, options_.rate_limit, options_.rate_window),
      latency_(options_.latency),
      rate_limit_(options_.rate_limit),
      rate_window_(options_.rate_window) {
  PutDefaultAvatar(images_);
  const int threads = options_.threads;
  server_.new_task_queue = [threads] {
    return new httplib::ThreadPool(threads);
  };
  server_.set_payload_max_length(kMaxPayloadBytes);
  // Like a real API front end, keep a client's connection for many requests
  // (httplib's default closes it after 5).
  server_.set_keep_alive_max_count(100000);
  // httplib writes a response's headers and body with separate send()s;
  // without TCP_NODELAY, Nagle holds the body until the client's delayed
  // ACK of the headers (40 ms on Linux) on every reused connection.
  server_.set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, with which a second emulator
  // could silently share a fixed port. The listening socket is kept so that
  // Start() can widen its backlog.
  //
  // httplib gives each connection a thread that polls for the next request
  // every 10 ms (sleeping 1 ms between polls); a few thousand threads doing
  // that while their clients are still connecting starve every other thread
  // of CPU. TCP_DEFER_ACCEPT hands a connection over only once its first
  // request has arrived, so a burst of connections costs no polling.
  server_.set_socket_options([this](int fd) {
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    const int defer_seconds = kDeferAcceptSeconds;
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds,
               sizeof(defer_seconds));
    listen_fd_ = fd;
  });
  RegisterRoutes();
}

Emulator::~Emulator() { Stop(); }

absl::Status Emulator::Start() {
  if (options_.port == 0) {
    port_ = server_.bind_to_any_port(options_.host);
  } else if (server_.bind_to_port(options_.host, options_.port)) {
    port_ = options_.port;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.host, ":", options_.port));
  }
  // httplib listens with a backlog of 5 (compiled in), so a burst of
  // connections overflows the accept queue and clients wait about a second
  // for a SYN retransmission. Listening again on the bound socket only
  // changes its backlog (capped by net.core.somaxconn).
  if (listen_fd_ >= 0 && ::listen(listen_fd_, kListenBacklog) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot widen the listen backlog: ", std::strerror(errno)));
  }
  public_url_ = options_.public_url.empty() ? base_url() : options_.public_url;
  listener_ = std::thread([this] {
    server_.listen_after_bind();
    listener_done_ = true;
  });
  // stop() is a no-op until the server runs, so wait for that.
  while (!server_.is_running() && !listener_done_) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  return absl::OkStatus();
}

void Emulator::Stop() {
  if (!listener_.joinable()) return;
  server_.stop();
  listener_.join();
}

std::string Emulator::base_url() const {
  const bool ipv6 = absl::StrContains(options_.host, ':');
  return absl::StrCat("http://", ipv6 ? "[" : "", options_.host,
                      ipv6 ? "]" : "", ":", port_);
}

absl::Duration Emulator::latency() const {
  absl::MutexLock lock(&config_mu_);
  return latency_;
}

void Emulator::Reset() {
  log_.Clear();
  faults_.Clear();
  users_->Reset();
  images_.Clear();
  PutDefaultAvatar(images_);
  limiter_.Reset();
}

Emulator::Body Emulator::ReadBody(const httplib::Request& req,
                                  const httplib::ContentReader& reader) {
  Body body;
  body.size = 0;
  // Without these headers a request has no body (RFC 9112, section 6.3);
  // httplib would instead read until the client closes the connection.
  if (!IsChunked(req) && !req.has_header("Content-Length")) return body;
  if (req.is_multipart_form_data()) {
    body.complete = reader(
        [&body](const httplib::MultipartFormData& part) {
          body.parts.push_back(part);
          return true;
        },
        [&body](const char* data, size_t size) {
          if (body.parts.empty()) return false;
          body.parts.back().content.append(data, size);
          return true;
        });
    int64_t content_length;
    body.size = absl::SimpleAtoi(req.get_header_value("Content-Length"),
                                 &content_length)
                    ? std::optional<int64_t>(content_length)
                    : std::nullopt;
  } else {
    int64_t size = 0;
    body.complete = reader([&size](const char*, size_t chunk) {
      size += chunk;
      return true;
    });
    body.size = size;
  }
  return body;
}

void Emulator::RegisterRoutes() {
  const auto bapi = [this](Endpoint endpoint) {
    return
        [this, endpoint](const httplib::Request& req, httplib::Response& res) {
          Body body;
          body.size = static_cast<int64_t>(req.body.size());
          ServeBapi(endpoint, req, res, std::move(body));
        };
  };
  // Reads the body itself, so that a malformed multipart body still gets a
  // Clerk answer (httplib would answer it with a bare 400).
  const auto bapi_with_body = [this](Endpoint endpoint) {
    return [this, endpoint](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
      ServeBapi(endpoint, req, res, ReadBody(req, reader));
    };
  };
  // The control API ignores bodies but still has to consume them.
  const auto control = [](httplib::Server::Handler handler) {
    return [handler = std::move(handler)](
               const httplib::Request& req, httplib::Response& res,
               const httplib::ContentReader& reader) {
      if (!ReadBody(req, reader).complete) {
        res.set_header("Connection", "close");
      }
      handler(req, res);
    };
  };

  server_.Get(kUserPath, bapi(Endpoint::kGetUser));
  server_.Post(kProfileImagePath, bapi_with_body(Endpoint::kSetImage));
  server_.Delete(kProfileImagePath, bapi_with_body(Endpoint::kDeleteImage));
  server_.Get(kAnyBapiPath, bapi(Endpoint::kUnknown));
  server_.Options(kAnyBapiPath, bapi(Endpoint::kUnknown));
  server_.Post(kAnyBapiPath, bapi_with_body(Endpoint::kUnknown));
  server_.Put(kAnyBapiPath, bapi_with_body(Endpoint::kUnknown));
  server_.Patch(kAnyBapiPath, bapi_with_body(Endpoint::kUnknown));
  server_.Delete(kAnyBapiPath, bapi_with_body(Endpoint::kUnknown));

  server_.Get(R"(/images/([^/]+))",
              [this](const httplib::Request& req, httplib::Response& res) {
                const std::shared_ptr<const StoredImage> image =
                    images_.Get(req.matches[1].str());
                if (image == nullptr) {
                  res.status = 404;
                  res.set_content("Not Found", "text/plain");
                  return;
                }
                res.set_content(image->bytes, image->content_type);
              });

  server_.Post(
      "/_emulator/faults",
      control([this](const httplib::Request& req, httplib::Response& res) {
        const absl::StatusOr<FaultKind> kind =
            ParseFaultKind(req.get_param_value("kind"));
        if (!kind.ok()) return AnswerControlError(kind.status().message(), res);
        std::optional<int64_t> count;
        if (!ReadCount(req, "count", 1'000'000, &count, res)) return;
        Fault fault{*kind, std::nullopt};
        if (req.has_param("retry_after")) {
          fault.retry_after = req.get_param_value("retry_after");
          if (absl::StrContains(*fault.retry_after, '\r') ||
              absl::StrContains(*fault.retry_after, '\n')) {
            return AnswerControlError("retry_after must be a single line", res);
          }
        }
        faults_.Push(fault, count.value_or(1));
        google::protobuf::Struct answer;
        auto& fields = *answer.mutable_fields();
        fields["queued"].set_number_value(count.value_or(1));
        fields["pending"].set_number_value(faults_.size());
        AnswerControl(200, answer, res);
      }));

  server_.Post(
      "/_emulator/config",
      control([this](const httplib::Request& req, httplib::Response& res) {
        constexpr int64_t kMaxMillis = 3'600'000;
        std::optional<int64_t> latency_ms, rate_limit, rate_window_ms;
        if (!ReadCount(req, "latency_ms", kMaxMillis, &latency_ms, res) ||
            !ReadCount(req, "rate_limit", 1'000'000'000, &rate_limit, res) ||
            !ReadCount(req, "rate_window_ms", kMaxMillis, &rate_window_ms,
                       res)) {
          return;
        }
        if (rate_window_ms == 0) {
          return AnswerControlError("rate_window_ms must be positive", res);
        }
        google::protobuf::Struct answer;
        auto& fields = *answer.mutable_fields();
        absl::MutexLock lock(&config_mu_);
        if (latency_ms) latency_ = absl::Milliseconds(*latency_ms);
        if (rate_limit || rate_window_ms) {
          if (rate_limit) rate_limit_ = static_cast<int>(*rate_limit);
          if (rate_window_ms) {
            rate_window_ = absl::Milliseconds(*rate_window_ms);
          }
          limiter_.Configure(rate_limit_, rate_window_);
        }
        fields["latency_ms"].set_number_value(
            absl::ToInt64Milliseconds(latency_));
        fields["rate_limit"].set_number_value(rate_limit_);
        fields["rate_window_ms"].set_number_value(
            absl::ToInt64Milliseconds(rate_window_));
        AnswerControl(200, answer, res);
      }));

  server_.Get("/_emulator/requests",
              [this](const httplib::Request&, httplib::Response& res) {
                res.set_content(log_.ToJson(), "application/json");
              });

  server_.Post("/_emulator/reset",
               control([this](const httplib::Request&, httplib::Response& res) {
                 Reset();
                 res.set_content("{}", "application/json");
               }));
}

std::optional<ClerkError> Emulator::CheckAuthorization(
    const httplib::Request& req) const {
  constexpr absl::string_view kScheme = "bearer ";
  const std::string header = req.get_header_value("Authorization");
  const absl::string_view key =
      absl::StripAsciiWhitespace(absl::string_view(header).substr(
          std::min(header.size(), kScheme.size())));
  if (!absl::StartsWithIgnoreCase(header, kScheme) || key.empty()) {
    return AuthorizationHeaderFormatInvalid();
  }
  if (key != options_.secret_key) return ClerkKeyInvalid();
  return std::nullopt;
}

void Emulator::ServeBapi(Endpoint endpoint, const httplib::Request& req,
                         httplib::Response& res, Body body) {
  const std::optional<ClerkError> auth_error = CheckAuthorization(req);

  RequestRecord record;
  record.method = req.method;
  record.path = req.path;
  for (const auto& [name, value] : req.params) {
    std::string& joined = record.query[name];
    absl::StrAppend(&joined, joined.empty() ? "" : ",", value);
  }
  for (const auto& [name, value] : req.headers) {
    if (std::find(kPseudoHeaders.begin(), kPseudoHeaders.end(), name) !=
        kPseudoHeaders.end()) {
      continue;
    }
    const std::string lower_name = absl::AsciiStrToLower(name);
    std::string& joined = record.headers[lower_name];
    absl::StrAppend(
        &joined, joined.empty() ? "" : ", ",
        lower_name == "authorization" ? RedactAuthorization(value) : value);
  }
  record.authorization_ok = !auth_error.has_value();
  record.body_size = body.size;
  if (req.has_header("Content-Length")) {
    record.content_length = req.get_header_value("Content-Length");
  }
  record.chunked = IsChunked(req);
  if (endpoint == Endpoint::kSetImage) {
    if (const auto* part = body.Part("file")) {
      record.file =
          DescribeFilePart(part->filename, part->content_type, part->content);
    }
  }

  Reply reply = Answer(endpoint, req, auth_error, body, record);
  absl::SleepFor(latency());
  record.status = reply.reset ? 0 : reply.status;
  log_.Append(std::move(record));

  if (reply.reset) {
    if (ResetConnection(req)) return;
    // Without the socket, send headers and then fail the body.
    res.set_content_provider(
        1, "application/json",
        [](size_t, size_t, httplib::DataSink&) { return false; });
    return;
  }
  res.status = reply.status;
  if (reply.retry_after) res.set_header("Retry-After", *reply.retry_after);
  if (!body.complete) res.set_header("Connection", "close");
  res.set_content(std::move(reply.body), reply.content_type);
}

Emulator::Reply Emulator::Answer(Endpoint endpoint, const httplib::Request& req,
                                 const std::optional<ClerkError>& auth_error,
                                 Body& body, RequestRecord& record) {
  if (const RateLimiter::Admission admission = limiter_.Admit();
      !admission.allowed) {
    Reply reply = Reply::Error(TooManyRequests());
    reply.retry_after = absl::StrCat(admission.retry_after_seconds);
    return reply;
  }

  if (const std::optional<Fault> fault = faults_.Pop()) {
    record.fault = std::string(FaultKindName(fault->kind));
    if (fault->kind != FaultKind::kExtraFieldsSuccess) {
      return Reply::Scripted(*fault);
    }
    // A newer API version's answer: fields this client does not know.
    Reply reply = AnswerUnscripted(endpoint, req, auth_error, body);
    if (reply.status == 200 && absl::StartsWith(reply.body, "{")) {
      reply.body.insert(1, R"("future_field":{"nested":[1,2]},)"
                           R"("future_flag":true,)");
    }
    return reply;
  }
  return AnswerUnscripted(endpoint, req, auth_error, body);
}

Emulator::Reply Emulator::AnswerUnscripted(
    Endpoint endpoint, const httplib::Request& req,
    const std::optional<ClerkError>& auth_error, Body& body) {
  if (auth_error) return Reply::Error(*auth_error);

  if (const std::optional<ClerkError> version_error = CheckApiVersion(req)) {
    return Reply::Error(*version_error);
  }

  if (endpoint == Endpoint::kUnknown) return Reply::Error(ResourceNotFound());
  const std::string user_id = req.matches[1].str();
  if (!users_->Contains(user_id)) return Reply::Error(ResourceNotFound());
  switch (endpoint) {
    case Endpoint::kGetUser:
      return Reply::User(users_->GetJson(user_id));
    case Endpoint::kDeleteImage:
      return Reply::User(users_->SetImage(
          user_id, absl::StrCat(public_url_, "/images/", kDefaultAvatarId),
          /*has_image=*/false, clock_.Now()));
    case Endpoint::kSetImage:
      return UploadImage(user_id, body);
    case Endpoint::kUnknown:
      break;
  }
  return Reply::Error(ResourceNotFound());
}

Emulator::Reply Emulator::UploadImage(absl::string_view user_id, Body& body) {
  // As with Go's Request.FormFile, only a part with a filename is a file.
  httplib::MultipartFormData* file = body.Part("file");
  if (!body.complete || file == nullptr || file->filename.empty()) {
    return Reply::Error(FormParamMissing("file"));
  }
  if (static_cast<int64_t>(file->content.size()) > options_.max_image_bytes) {
    return Reply::Error(ImageTooLarge());
  }
  const std::optional<absl::string_view> type = DetectImageType(file->content);
  if (!type) return Reply::Error(ImageDecodeError());

  const std::string image_id = NewImageId();
  images_.Put(image_id, {std::move(file->content), std::string(*type)});
  return Reply::User(
      users_->SetImage(user_id, absl::StrCat(public_url_, "/images/", image_id),
                       /*has_image=*/true, clock_.Now()));
}

}  // namespace clerk::emulator
