#ifndef TESTS_TESTING_LOCAL_DEPLOYMENT_H_
#define TESTS_TESTING_LOCAL_DEPLOYMENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "clerk/userimage/v1/user.pb.h"
#include "google/protobuf/struct.pb.h"
#include "httplib.h"
#include "tests/testing/subprocess.h"
#include "tools/support/child_process.h"

namespace userimage {

// The Clerk emulator and the server as separate processes on ports chosen
// by the OS, the server pointed at the emulator, both sharing a throwaway
// secret key. The server accepts anonymous calls unless `server_flags` set
// up callers' authentication. For end-to-end tests; not thread-safe.
class LocalDeployment {
 public:
  static constexpr char kSecretKey[] = "sk_test_e2e_0123456789";

  // The emulator holds this many users besides its seed users, for tests
  // that need many distinct ones (requests for one user are sent one at a
  // time, and a newer one supersedes an older one waiting).
  static constexpr int kLoadUsers = 2000;
  // Id of load user `index` (modulo kLoadUsers).
  static std::string LoadUser(int index);

  // Extra flags for each process, e.g. {"--clerk_rate_limit=5"}.
  static absl::StatusOr<std::unique_ptr<LocalDeployment>> Start(
      const std::vector<std::string>& server_flags = {},
      const std::vector<std::string>& emulator_flags = {});

  // Starts one more server (a replica) against the same emulator, with
  // `server_flags` as for Start(). Returns its index (the first is 0).
  absl::StatusOr<int> AddServer(const std::vector<std::string>& server_flags);
  int servers() const { return static_cast<int>(servers_.size()); }

  // The first server, or the one at `index`.
  int server_port(int index = 0) const { return servers_[index].port; }
  int metrics_port(int index = 0) const { return servers_[index].metrics_port; }
  std::string server_address(int index = 0) const;
  ChildProcess& server(int index = 0) { return *servers_[index].process; }
  int emulator_port() const { return emulator_port_; }
  // Where both processes' stdout and stderr go.
  const std::string& log_path() const { return log_path_; }

  // A client of the emulator's HTTP API.
  httplib::Client Emulator() const;
  // POST /_emulator/<path>, e.g. "faults?kind=503&count=2"; true on 200.
  bool Control(const std::string& path) const;
  // Every Backend API request the emulator received since its last reset.
  google::protobuf::ListValue Requests() const;
  // The user as the emulator holds it, parsed strictly (every key of the
  // emulator's JSON must be a field of User).
  absl::StatusOr<clerk::userimage::v1::User> GetUser(
      const std::string& id) const;

 private:
  struct Server {
    std::unique_ptr<ChildProcess> process;
    int port = 0;
    int metrics_port = 0;
  };

  LocalDeployment() = default;
  std::string prefix_;
  std::unique_ptr<ChildProcess> emulator_;
  std::vector<Server> servers_;
  int emulator_port_ = 0;
  std::string log_path_;
};

}  // namespace userimage

#endif  // TESTS_TESTING_LOCAL_DEPLOYMENT_H_
