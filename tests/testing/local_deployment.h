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

namespace userimage {

// The Clerk emulator and the server as separate processes on ports chosen
// by the OS, the server pointed at the emulator, both sharing a throwaway
// secret key. The server accepts anonymous calls unless `server_flags` set
// up callers' authentication. For end-to-end tests; not thread-safe.
class LocalDeployment {
 public:
  static constexpr char kSecretKey[] = "sk_test_e2e_0123456789";

  // Extra flags for each process, e.g. {"--clerk_rate_limit=5"}.
  static absl::StatusOr<std::unique_ptr<LocalDeployment>> Start(
      const std::vector<std::string>& server_flags = {},
      const std::vector<std::string>& emulator_flags = {});

  int server_port() const { return server_port_; }
  int emulator_port() const { return emulator_port_; }
  int metrics_port() const { return metrics_port_; }
  std::string server_address() const;
  Subprocess& server() { return *server_; }
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
  absl::StatusOr<clerk::userimage::v1::User> GetUser(const std::string& id) const;

 private:
  LocalDeployment() = default;
  std::unique_ptr<Subprocess> emulator_;
  std::unique_ptr<Subprocess> server_;
  int emulator_port_ = 0;
  int server_port_ = 0;
  int metrics_port_ = 0;
  std::string log_path_;
};

}  // namespace userimage

#endif  // TESTS_TESTING_LOCAL_DEPLOYMENT_H_
