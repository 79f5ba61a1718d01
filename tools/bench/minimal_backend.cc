// The data-path benchmark's stand-in for Clerk at the physical floor: one
// thread, libevent's HTTP server over epoll, no request log, no image store.
// It reads each request whole and answers
// `POST /v1/users/{user_id}/profile_image` with 200 and a full User JSON
// (the emulator's first seed user, carrying the requested id), after
// `--latency`; anything else gets 404. Both the service and the direct
// libcurl client upload to it, so the bench compares their costs rather
// than the emulator's (whose threads per connection and multipart parsing
// cost more than either; see docs/benchmarks.md).
//
// Listens on 127.0.0.1 with a backlog of 4096 (a burst of 2,000 new
// connections is not dropped into SYN retries) and writes its port to
// --port_file once it is serving. Each answer leaves in one write, so
// Nagle's algorithm never holds part of it back. Runs until killed.

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "tools/clerk_emulator/seed_users.h"

ABSL_FLAG(std::string, port_file, "",
          "Where to write the port once serving (required).");
ABSL_FLAG(absl::Duration, latency, absl::ZeroDuration(),
          "Delay before answering each upload.");

namespace clerk::userimage::bench {
namespace {

constexpr char kIdPlaceholder[] = "user_minimal_backend_placeholder";
constexpr absl::string_view kPrefix = "/v1/users/";
constexpr absl::string_view kSuffix = "/profile_image";

// The answer's JSON around the user id.
struct UserTemplate {
  std::string before_id;
  std::string after_id;
};

absl::StatusOr<UserTemplate> MakeTemplate() {
  google::protobuf::ListValue users;
  auto parsed = google::protobuf::util::JsonStringToMessage(
      std::string(clerk::emulator::SeedUsersJson()), &users);
  if (!parsed.ok() || users.values_size() == 0 ||
      !users.values(0).has_struct_value()) {
    return absl::InternalError("the seed users are not a list of objects");
  }
  google::protobuf::Struct user = users.values(0).struct_value();
  (*user.mutable_fields())["id"].set_string_value(kIdPlaceholder);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(user, &json).ok()) {
    return absl::InternalError("cannot print the seed user");
  }
  std::pair<std::string, std::string> parts =
      absl::StrSplit(json, absl::MaxSplits(kIdPlaceholder, 1));
  return UserTemplate{std::move(parts.first), std::move(parts.second)};
}

struct Backend {
  event_base* base;
  UserTemplate user;
  timeval latency;
};

// A request waiting out the latency.
struct Pending {
  Backend* backend;
  evhttp_request* request;
  std::string user_id;
};

void Answer(Backend& backend, evhttp_request* request,
            absl::string_view user_id) {
  evbuffer* body = evbuffer_new();
  evbuffer_add(body, backend.user.before_id.data(),
               backend.user.before_id.size());
  evbuffer_add(body, user_id.data(), user_id.size());
  evbuffer_add(body, backend.user.after_id.data(),
               backend.user.after_id.size());
  evkeyvalq* headers = evhttp_request_get_output_headers(request);
  evhttp_add_header(headers, "Content-Type", "application/json");
  evhttp_send_reply(request, HTTP_OK, "OK", body);
  evbuffer_free(body);
}

void OnLatencyOver(evutil_socket_t, short, void* arg) {
  auto* pending = static_cast<Pending*>(arg);
  Answer(*pending->backend, pending->request, pending->user_id);
  delete pending;
}

void OnRequest(evhttp_request* request, void* arg) {
  auto* backend = static_cast<Backend*>(arg);
  const absl::string_view path = evhttp_request_get_uri(request);
  if (evhttp_request_get_command(request) != EVHTTP_REQ_POST ||
      !absl::StartsWith(path, kPrefix) || !absl::EndsWith(path, kSuffix) ||
      path.size() <= kPrefix.size() + kSuffix.size()) {
    evhttp_send_error(request, HTTP_NOTFOUND, "not an upload");
    return;
  }
  const absl::string_view user_id = path.substr(
      kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  if (backend->latency.tv_sec == 0 && backend->latency.tv_usec == 0) {
    Answer(*backend, request, user_id);
    return;
  }
  auto* pending = new Pending{backend, request, std::string(user_id)};
  event_base_once(backend->base, -1, EV_TIMEOUT, OnLatencyOver, pending,
                  &backend->latency);
}

// A loopback listening socket on an OS-chosen port; its port in `port`.
int Listen(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      listen(fd, 4096) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

int Run(const std::string& port_file, absl::Duration latency) {
  absl::StatusOr<UserTemplate> user = MakeTemplate();
  if (!user.ok()) {
    std::cerr << "minimal_backend: " << user.status() << std::endl;
    return 1;
  }
  event_base* base = event_base_new();
  evhttp* http = evhttp_new(base);
  Backend backend{base, *std::move(user), absl::ToTimeval(latency)};
  evhttp_set_gencb(http, OnRequest, &backend);
  evhttp_set_max_body_size(http, 64 << 20);
  evhttp_set_timeout(http, 120);
  int port = 0;
  const int fd = Listen(&port);
  if (fd < 0 || evhttp_accept_socket(http, fd) != 0) {
    std::perror("minimal_backend: listen");
    return 1;
  }
  const std::string temporary = port_file + ".tmp";
  std::ofstream(temporary) << port << "\n";
  if (std::rename(temporary.c_str(), port_file.c_str()) != 0) {
    std::perror("minimal_backend: port file");
    return 1;
  }
  event_base_dispatch(base);
  return 0;
}

}  // namespace
}  // namespace clerk::userimage::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "A one-thread HTTP server answering Clerk's profile_image upload with "
      "a full User, for the data-path benchmark.");
  absl::ParseCommandLine(argc, argv);
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  const absl::Duration latency = absl::GetFlag(FLAGS_latency);
  if (port_file.empty() || latency < absl::ZeroDuration()) {
    std::cerr << "minimal_backend: need --port_file and --latency >= 0"
              << std::endl;
    return 2;
  }
  return clerk::userimage::bench::Run(port_file, latency);
}
