#include "tests/testing/local_deployment.h"

#include <atomic>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "tools/clerk_emulator/user_store.h"

namespace userimage {

std::string LocalDeployment::LoadUser(int index) {
  return clerk::emulator::GeneratedUserId(index % kLoadUsers);
}

absl::StatusOr<std::unique_ptr<LocalDeployment>> LocalDeployment::Start(
    const std::vector<std::string>& server_flags,
    const std::vector<std::string>& emulator_flags) {
  static std::atomic<int> instance{0};
  const std::string prefix = absl::StrCat("deployment", instance++, ".");
  const std::string log = TestTempPath(prefix + "log");
  const std::string env = absl::StrCat("CLERK_SECRET_KEY=", kSecretKey);
  std::unique_ptr<LocalDeployment> d(new LocalDeployment());
  d->log_path_ = log;

  std::vector<std::string> argv = {
      Runfile("tools/clerk_emulator/clerk_emulator"), "--port=0",
      "--port_file=" + TestTempPath(prefix + "emulator.port"),
      absl::StrCat("--generated_users=", kLoadUsers)};
  argv.insert(argv.end(), emulator_flags.begin(), emulator_flags.end());
  auto emulator = ChildProcess::Start(argv, {env}, log);
  if (!emulator.ok()) return emulator.status();
  d->emulator_ = *std::move(emulator);
  auto port = d->emulator_->WaitForPortFile(
      TestTempPath(prefix + "emulator.port"), absl::Seconds(30));
  if (!port.ok()) return port.status();
  d->emulator_port_ = *port;

  d->prefix_ = prefix;
  if (auto added = d->AddServer(server_flags); !added.ok())
    return added.status();
  return d;
}

absl::StatusOr<int> LocalDeployment::AddServer(
    const std::vector<std::string>& server_flags) {
  const std::string prefix =
      absl::StrCat(prefix_, "server", servers_.size(), ".");
  std::vector<std::string> argv = {
      Runfile("server/user_image_server"),
      "--listen_address=127.0.0.1:0",
      "--port_file=" + TestTempPath(prefix + "port"),
      "--metrics_listen_address=127.0.0.1:0",
      "--metrics_port_file=" + TestTempPath(prefix + "metrics.port"),
      absl::StrCat("--clerk_api_url=http://127.0.0.1:", emulator_port_)};
  bool authenticates = false;
  for (const std::string& flag : server_flags) {
    authenticates = authenticates ||
                    absl::StartsWith(flag, "--tls_client_ca_file") ||
                    absl::StartsWith(flag, "--bearer_tokens_file");
  }
  // Plaintext and anonymous on loopback, unless the test sets up callers'
  // authentication itself.
  if (!authenticates) argv.push_back("--allow_unauthenticated");
  argv.insert(argv.end(), server_flags.begin(), server_flags.end());
  auto process = ChildProcess::Start(
      argv, {absl::StrCat("CLERK_SECRET_KEY=", kSecretKey)}, log_path_);
  if (!process.ok()) return process.status();
  Server server;
  server.process = *std::move(process);
  auto port = server.process->WaitForPortFile(TestTempPath(prefix + "port"),
                                              absl::Seconds(30));
  if (!port.ok()) return port.status();
  server.port = *port;
  port = server.process->WaitForPortFile(TestTempPath(prefix + "metrics.port"),
                                         absl::Seconds(30));
  if (!port.ok()) return port.status();
  server.metrics_port = *port;
  servers_.push_back(std::move(server));
  return static_cast<int>(servers_.size()) - 1;
}

std::string LocalDeployment::server_address(int index) const {
  return absl::StrCat("127.0.0.1:", servers_[index].port);
}
httplib::Client LocalDeployment::Emulator() const {
  httplib::Client client("127.0.0.1", emulator_port_);
  client.set_read_timeout(30, 0);
  return client;
}

bool LocalDeployment::Control(const std::string& path) const {
  auto response = Emulator().Post(("/_emulator/" + path).c_str());
  return response && response->status == 200;
}

google::protobuf::ListValue LocalDeployment::Requests() const {
  auto response = Emulator().Get("/_emulator/requests");
  google::protobuf::Value list;
  if (!response ||
      !google::protobuf::util::JsonStringToMessage(response->body, &list)
           .ok()) {
    return {};
  }
  return list.list_value();
}

absl::StatusOr<clerk::userimage::v1::User> LocalDeployment::GetUser(
    const std::string& id) const {
  auto response =
      Emulator().Get(("/v1/users/" + id).c_str(),
                     {{"Authorization", absl::StrCat("Bearer ", kSecretKey)}});
  if (!response || response->status != 200) {
    return absl::NotFoundError(absl::StrCat("GET /v1/users/", id, " failed"));
  }
  clerk::userimage::v1::User user;
  auto parsed =
      google::protobuf::util::JsonStringToMessage(response->body, &user);
  if (!parsed.ok()) return absl::InternalError(parsed.ToString());
  return user;
}

}  // namespace userimage
