#include "tools/bench/local_services.h"

#include <cstdio>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tools/clerk_emulator/user_store.h"

namespace clerk::userimage::bench {

absl::StatusOr<LocalService> StartLocalService(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& extra_env, const std::string& log_path,
    const std::string& port_file, absl::Duration timeout) {
  std::remove(port_file.c_str());
  absl::StatusOr<std::unique_ptr<ChildProcess>> process =
      ChildProcess::Start(argv, extra_env, log_path);
  if (!process.ok()) return process.status();
  absl::StatusOr<int> port = (*process)->WaitForPortFile(port_file, timeout);
  if (!port.ok()) return port.status();
  return LocalService{*std::move(process), *port};
}

const std::vector<std::string>& LoadUsers() {
  static const auto* users = [] {
    auto* ids = new std::vector<std::string>;
    for (int i = 0; i < kLoadUsers; ++i) {
      ids->push_back(clerk::emulator::GeneratedUserId(i));
    }
    return ids;
  }();
  return *users;
}

std::vector<std::string> EmulatorArgv(const std::string& binary,
                                      const std::string& port_file,
                                      const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {
      binary, "--host=127.0.0.1", "--port=0",
      absl::StrCat("--port_file=", port_file),
      absl::StrCat("--generated_users=", kLoadUsers)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return argv;
}

absl::StatusOr<LocalService> StartQuotaEmulator(const std::string& binary,
                                                const std::string& work_dir,
                                                int rate_limit,
                                                absl::Duration rate_window,
                                                const std::string& secret_key) {
  const std::string port_file = absl::StrCat(work_dir, "/emulator.port");
  const std::string log = absl::StrCat(work_dir, "/emulator.log");
  absl::StatusOr<LocalService> emulator = StartLocalService(
      EmulatorArgv(
          binary, port_file,
          {absl::StrCat("--rate_limit=", rate_limit),
           absl::StrCat("--rate_window=", absl::FormatDuration(rate_window))}),
      {absl::StrCat("CLERK_SECRET_KEY=", secret_key)}, log, port_file);
  if (!emulator.ok()) {
    return absl::Status(
        emulator.status().code(),
        absl::StrCat("emulator: ", emulator.status().message(), "; see ", log));
  }
  return emulator;
}

std::vector<std::string> ServerArgv(const std::string& binary,
                                    const std::string& port_file,
                                    int emulator_port,
                                    const std::vector<std::string>& flags) {
  std::vector<std::string> argv = {
      binary, "--listen_address=127.0.0.1:0",
      absl::StrCat("--port_file=", port_file),
      absl::StrCat("--clerk_api_url=http://127.0.0.1:", emulator_port),
      // Benchmarks run on loopback with anonymous callers.
      "--allow_unauthenticated", "--metrics_listen_address=127.0.0.1:0"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return argv;
}

}  // namespace clerk::userimage::bench
