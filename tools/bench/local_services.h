#ifndef TOOLS_BENCH_LOCAL_SERVICES_H_
#define TOOLS_BENCH_LOCAL_SERVICES_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/support/child_process.h"

namespace clerk::userimage::bench {

using ::userimage::ChildProcess;

// A program serving on loopback, on the port it wrote to its port file.
struct LocalService {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
};

// Removes `port_file`, starts `argv` (see ChildProcess::Start) and
// waits up to `timeout` for the port. On failure the program is stopped and the
// error of the start or the wait is returned as is.
absl::StatusOr<LocalService> StartLocalService(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& extra_env, const std::string& log_path,
    const std::string& port_file, absl::Duration timeout = absl::Seconds(30));

// The Clerk emulator on 127.0.0.1 and an OS-chosen port, then `flags`.
// Users the emulator started by EmulatorArgv() holds besides its seeds,
// and their ids: benchmarks spread uploads over them, since requests for
// one user are sent one at a time (and a newer one supersedes an older one
// still waiting).
inline constexpr int kLoadUsers = 2000;
const std::vector<std::string>& LoadUsers();

std::vector<std::string> EmulatorArgv(const std::string& binary,
                                      const std::string& port_file,
                                      const std::vector<std::string>& flags);

// The emulator (EmulatorArgv) answering `rate_limit` requests per fixed
// `rate_window` and expecting `secret_key`, logging to
// <work_dir>/emulator.log; an error names that log.
absl::StatusOr<LocalService> StartQuotaEmulator(const std::string& binary,
                                                const std::string& work_dir,
                                                int rate_limit,
                                                absl::Duration rate_window,
                                                const std::string& secret_key);

// The server on 127.0.0.1 and an OS-chosen port, in front of the emulator
// on `emulator_port`, then `flags`.
std::vector<std::string> ServerArgv(const std::string& binary,
                                    const std::string& port_file,
                                    int emulator_port,
                                    const std::vector<std::string>& flags);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_LOCAL_SERVICES_H_
