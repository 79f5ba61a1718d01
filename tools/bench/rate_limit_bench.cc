// Measures how the service spends Clerk's rate limit: offers --uploads
// profile-image uploads at once to a server in front of the Clerk emulator
// (limited to --quota requests per --window), once with the server's pacing
// and shared pause (its defaults) and once without them, and reports
// successes, failures, goodput, wasted Clerk requests and completion times
// for both, as a table and as one line of JSON. Loopback only; it starts and
// stops the emulator and the servers itself.
//
//   bazel build -c opt //tools/clerk_emulator
//   bazel run -c opt //tools/bench:rate_limit_bench -- --uploads=200

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tools/bench/common_flags.h"
#include "tools/bench/emulator_control.h"
#include "tools/bench/local_services.h"
#include "tools/bench/programs.h"
#include "tools/bench/report.h"
#include "tools/bench/upload_load.h"

ABSL_FLAG(int, uploads, 1000, "Uploads offered at once in each mode.");
ABSL_FLAG(int, quota, 100,
          "Clerk's quota: requests per --window, enforced by the emulator "
          "and paced by the server in the paced mode.");
ABSL_FLAG(absl::Duration, window, absl::Seconds(10),
          "The fixed window of --quota.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(300),
          "Deadline of each upload call, from its start.");
ABSL_FLAG(int, image_bytes, 400,
          "Bytes per image: a PNG signature, then pseudo-random bytes.");
ABSL_FLAG(std::vector<std::string>, paced_server_flags, {},
          "Extra server flags for the paced mode, comma-separated.");
ABSL_FLAG(std::vector<std::string>, unpaced_server_flags, {},
          "Extra server flags for the unpaced mode, comma-separated.");

namespace clerk::userimage::bench {
namespace {

// Accepted by the emulator and presented by the server; valid nowhere else.
constexpr char kSecretKey[] = "sk_test_rate_limit_bench_0000000000";

struct Config {
  int uploads;
  Quota quota;
  absl::Duration deadline;
  int image_bytes;
  std::string server_binary;
  std::string emulator_binary;
  std::string work_dir;
  std::vector<std::string> paced_server_flags;
  std::vector<std::string> unpaced_server_flags;
};

void Progress(const std::string& message) {
  std::cerr << "[bench] " << message << std::endl;
}

// One mode: a fresh server in front of the freshly reset emulator, the
// uploads, and what Clerk saw.
absl::StatusOr<ModeStats> RunMode(const Config& config, const std::string& mode,
                                  const std::vector<std::string>& server_flags,
                                  int emulator_port) {
  if (absl::Status reset = ResetEmulator(emulator_port); !reset.ok()) {
    return reset;
  }
  const std::string port_file =
      absl::StrCat(config.work_dir, "/", mode, ".port");
  const std::string log =
      absl::StrCat(config.work_dir, "/", mode, "-server.log");
  const std::vector<std::string> argv =
      ServerArgv(config.server_binary, port_file, emulator_port, server_flags);
  Progress(absl::StrCat(mode, ": starting ", absl::StrJoin(argv, " ")));
  absl::StatusOr<LocalService> server = StartLocalService(
      argv, {absl::StrCat("CLERK_SECRET_KEY=", kSecretKey)}, log, port_file);
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("server (", mode, "): ",
                                     server.status().message(), "; see ", log));
  }
  const int port = server->port;

  std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + absl::Seconds(10)))) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to the server on port ", port));
  }

  LoadOptions load;
  load.uploads = config.uploads;
  load.users = LoadUsers();
  load.deadline = config.deadline;
  load.image_bytes = static_cast<size_t>(config.image_bytes);
  load.progress = [&mode, n = config.uploads](absl::Duration elapsed,
                                              int finished) {
    Progress(absl::StrFormat("%s: %d of %d calls returned after %.0f s", mode,
                             finished, n, absl::ToDoubleSeconds(elapsed)));
  };
  Progress(absl::StrCat(mode, ": releasing ", config.uploads, " uploads"));
  const LoadResult result = RunUploads(channel, load);
  Progress(absl::StrFormat("%s: every call returned after %.2f s", mode,
                           absl::ToDoubleSeconds(result.wall)));

  absl::StatusOr<ClerkLogSummary> clerk = ReadClerkLog(emulator_port);
  const int exit_status = server->process->Stop();
  if (!clerk.ok()) return clerk.status();
  if (exit_status != 0) {
    Progress(absl::StrCat(mode, ": server exit status ", exit_status, "; see ",
                          log));
  }
  ModeStats stats = Summarize(result, *clerk, config.quota);
  stats.server_flags = absl::StrJoin(server_flags, " ");
  return stats;
}

int Run(const Config& flags) {
  Config config = flags;
  absl::StatusOr<BenchPrograms> programs =
      FindBenchPrograms(flags.server_binary, flags.emulator_binary,
                        flags.work_dir, "rate_limit_bench");
  if (!programs.ok()) {
    std::cerr << "rate_limit_bench: " << programs.status().message()
              << std::endl;
    return 1;
  }
  config.server_binary = programs->server;
  config.emulator_binary = programs->emulator;
  config.work_dir = programs->work_dir;
  Progress(absl::StrCat("logs and port files in ", config.work_dir));

  absl::StatusOr<LocalService> emulator_service = StartQuotaEmulator(
      config.emulator_binary, config.work_dir, config.quota.requests,
      config.quota.window, kSecretKey);
  if (!emulator_service.ok()) {
    std::cerr << "rate_limit_bench: " << emulator_service.status().message()
              << std::endl;
    return 1;
  }
  const int emulator_port = emulator_service->port;

  // The paced mode runs the server's defaults at the emulator's quota; the
  // baseline turns pacing and the shared pause off and keeps the retries.
  std::vector<std::string> paced_flags = {
      absl::StrCat("--clerk_rate_limit=", config.quota.requests),
      absl::StrCat("--clerk_rate_window=",
                   absl::FormatDuration(config.quota.window))};
  paced_flags.insert(paced_flags.end(), config.paced_server_flags.begin(),
                     config.paced_server_flags.end());
  std::vector<std::string> unpaced_flags = {"--clerk_rate_limit=0",
                                            "--clerk_shared_pause=false"};
  unpaced_flags.insert(unpaced_flags.end(), config.unpaced_server_flags.begin(),
                       config.unpaced_server_flags.end());

  absl::StatusOr<ModeStats> paced =
      RunMode(config, "paced", paced_flags, emulator_port);
  if (!paced.ok()) {
    std::cerr << "rate_limit_bench: " << paced.status() << std::endl;
    return 1;
  }
  absl::StatusOr<ModeStats> unpaced =
      RunMode(config, "unpaced", unpaced_flags, emulator_port);
  if (!unpaced.ok()) {
    std::cerr << "rate_limit_bench: " << unpaced.status() << std::endl;
    return 1;
  }
  emulator_service->process->Stop();

  const Targets targets;
  std::cout << "\n"
            << FormatTable(*paced, *unpaced, config.quota, targets) << "\n"
            << FormatJson(*paced, *unpaced, config.quota, targets,
                          config.deadline)
            << std::endl;
  return 0;
}

}  // namespace
}  // namespace clerk::userimage::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Benchmarks the service's use of Clerk's rate limit against the Clerk "
      "emulator, with and without pacing.");
  absl::ParseCommandLine(argc, argv);
  clerk::userimage::bench::Config config{
      .uploads = absl::GetFlag(FLAGS_uploads),
      .quota = {.requests = absl::GetFlag(FLAGS_quota),
                .window = absl::GetFlag(FLAGS_window)},
      .deadline = absl::GetFlag(FLAGS_deadline),
      .image_bytes = absl::GetFlag(FLAGS_image_bytes),
      .server_binary = absl::GetFlag(FLAGS_server_binary),
      .emulator_binary = absl::GetFlag(FLAGS_emulator_binary),
      .work_dir = absl::GetFlag(FLAGS_work_dir),
      .paced_server_flags = absl::GetFlag(FLAGS_paced_server_flags),
      .unpaced_server_flags = absl::GetFlag(FLAGS_unpaced_server_flags),
  };
  if (config.uploads < 1 || config.quota.requests < 1 ||
      config.quota.window <= absl::ZeroDuration() ||
      config.deadline <= absl::ZeroDuration() || config.image_bytes < 16) {
    std::cerr << "rate_limit_bench: need --uploads >= 1, --quota >= 1, "
                 "--window > 0, --deadline > 0 and --image_bytes >= 16"
              << std::endl;
    return 2;
  }
  return clerk::userimage::bench::Run(config);
}
