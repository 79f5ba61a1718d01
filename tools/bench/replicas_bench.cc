// Measures how several replicas of the service spend one Clerk quota. Starts
// the Clerk emulator (limited to --quota requests per --window) and, for
// each mode, --replicas fresh servers in front of it; offers --uploads
// uploads at once, split over the replicas by --split (uneven by default:
// load balancers and callers rarely spread evenly); reports successes,
// goodput, Clerk's 429s and completion times per mode, with ratios against
// the first mode, as a table and one line of JSON:
//   uncoordinated  every replica paces to the whole quota (the baseline:
//                  what a single-replica configuration does when scaled out)
//   fair_share     every replica paces to quota / replicas, without Redis
//   redis          the replicas share one bucket and pause in Redis
// Needs /usr/bin/redis-server (tools/setup.sh installs it). Loopback only.
//
//   bazel build -c opt //tools/clerk_emulator //server:user_image_server
//   bazel run -c opt //tools/bench:replicas_bench -- --uploads=300

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "server/redis/redis_connection.h"
#include "tools/bench/common_flags.h"
#include "tools/bench/emulator_control.h"
#include "tools/bench/json_object.h"
#include "tools/bench/local_services.h"
#include "tools/bench/programs.h"
#include "tools/bench/report.h"
#include "tools/bench/stats.h"
#include "tools/bench/upload_load.h"
#include "tools/support/child_process.h"
#include "tools/support/redis_server.h"

ABSL_FLAG(int, uploads, 300, "Uploads offered at once in each mode.");
ABSL_FLAG(int, quota, 100,
          "Clerk's quota: requests per --window (the emulator enforces it).");
ABSL_FLAG(absl::Duration, window, absl::Seconds(10),
          "The fixed window of --quota.");
ABSL_FLAG(std::vector<std::string>, split,
          std::vector<std::string>({"60", "20", "20"}),
          "Share of the uploads each replica receives (one number per replica, "
          "comma-separated; the count of numbers is the number of replicas).");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(180),
          "Deadline of each upload call.");
ABSL_FLAG(std::string, redis_server, "/usr/bin/redis-server",
          "redis-server to run.");

namespace clerk::userimage::bench {

using ::userimage::ChildProcess;
namespace {

constexpr char kSelfPath[] = "tools/bench/replicas_bench";
constexpr char kSecretKey[] = "sk_test_replicas_bench_000000000000";

struct Mode {
  std::string name;
  std::vector<std::string> flags;
};

void Progress(const std::string& message) {
  std::cerr << "[bench] " << message << std::endl;
}

// One mode: fresh replicas, the uploads split over them, what Clerk saw.
absl::StatusOr<ModeStats> RunMode(const Mode& mode,
                                  const std::vector<int>& counts,
                                  const std::string& server_binary,
                                  const std::string& work_dir,
                                  int emulator_port, const Quota& quota,
                                  absl::Duration deadline) {
  if (absl::Status reset = ResetEmulator(emulator_port); !reset.ok())
    return reset;
  std::vector<LocalService> servers;
  for (size_t i = 0; i < counts.size(); ++i) {
    const std::string port_file =
        absl::StrCat(work_dir, "/", mode.name, i, ".port");
    const std::string log = absl::StrCat(work_dir, "/", mode.name, i, ".log");
    auto server = StartLocalService(
        ServerArgv(server_binary, port_file, emulator_port, mode.flags),
        {absl::StrCat("CLERK_SECRET_KEY=", kSecretKey)}, log, port_file);
    if (!server.ok()) {
      return absl::Status(
          server.status().code(),
          absl::StrCat(mode.name, ": ", server.status().message(), "; see ",
                       log));
    }
    servers.push_back(*std::move(server));
  }
  Progress(absl::StrCat(mode.name, ": ", counts.size(), " replicas with ",
                        absl::StrJoin(mode.flags, " "), "; uploads ",
                        absl::StrJoin(counts, "/")));
  std::vector<LoadResult> results(counts.size());
  std::vector<std::thread> loads;
  // Each replica uploads for users of its own: uploads for one user are
  // ordered across replicas (a newer one supersedes an older one waiting),
  // which is not what this benchmark measures.
  const std::vector<std::string>& users = LoadUsers();
  size_t first_user = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    std::vector<std::string> own;
    for (int u = 0; u < counts[i]; ++u) {
      own.push_back(users[(first_user + u) % users.size()]);
    }
    first_user += counts[i];
    loads.emplace_back([&, i, own = std::move(own)] {
      LoadOptions load;
      load.uploads = counts[i];
      load.users = own;
      load.deadline = deadline;
      results[i] = RunUploads(
          grpc::CreateChannel(absl::StrCat("127.0.0.1:", servers[i].port),
                              grpc::InsecureChannelCredentials()),
          load);
    });
  }
  for (std::thread& t : loads) t.join();
  // One load, as if from one release: the earliest release is time zero.
  LoadResult all = results[0];
  all.outcomes.clear();
  for (const LoadResult& r : results)
    all.released = std::min(all.released, r.released);
  for (const LoadResult& r : results) {
    const absl::Duration shift = r.released - all.released;
    all.wall = std::max(all.wall, r.wall + shift);
    for (UploadOutcome o : r.outcomes) {
      o.started += shift;
      o.finished += shift;
      all.outcomes.push_back(o);
    }
  }
  absl::StatusOr<ClerkLogSummary> clerk = ReadClerkLog(emulator_port);
  for (LocalService& s : servers) s.process->Stop();
  if (!clerk.ok()) return clerk.status();
  ModeStats stats = Summarize(all, *clerk, quota);
  stats.server_flags = absl::StrJoin(mode.flags, " ");
  return stats;
}

int Run() {
  const Quota quota{absl::GetFlag(FLAGS_quota), absl::GetFlag(FLAGS_window)};
  const int uploads = absl::GetFlag(FLAGS_uploads);
  std::vector<double> weights;
  double total_weight = 0;
  for (const std::string& w : absl::GetFlag(FLAGS_split)) {
    double value = 0;
    if (!absl::SimpleAtod(w, &value) || value < 0) {
      std::cerr << "replicas_bench: --split takes non-negative numbers"
                << std::endl;
      return 2;
    }
    weights.push_back(value);
    total_weight += value;
  }
  if (weights.empty() || total_weight <= 0 || uploads < 1 ||
      quota.requests < 1) {
    std::cerr
        << "replicas_bench: need --uploads >= 1, --quota >= 1 and a --split"
        << std::endl;
    return 2;
  }
  const int replicas = static_cast<int>(weights.size());
  std::vector<int> counts;
  int assigned = 0;
  for (int i = 0; i < replicas; ++i) {
    counts.push_back(i + 1 == replicas ? uploads - assigned
                                       : static_cast<int>(uploads * weights[i] /
                                                          total_weight));
    assigned += counts.back();
  }

  absl::StatusOr<std::string> server =
      Program("", "server/user_image_server", kSelfPath);
  absl::StatusOr<std::string> emulator =
      Program("", "tools/clerk_emulator/clerk_emulator", kSelfPath);
  absl::StatusOr<std::string> work_dir =
      MakeWorkDir(absl::GetFlag(FLAGS_work_dir), "replicas_bench");
  for (const absl::Status& s :
       {server.status(), emulator.status(), work_dir.status()}) {
    if (!s.ok()) {
      std::cerr << "replicas_bench: " << s.message() << std::endl;
      return 1;
    }
  }
  Progress("logs and port files in " + *work_dir);
  auto redis = ::userimage::RedisServer::Start(
      {.binary = absl::GetFlag(FLAGS_redis_server), .dir = *work_dir});
  if (!redis.ok()) {
    std::cerr << "replicas_bench: " << redis.status().message() << std::endl;
    return 1;
  }
  auto emulator_service = StartLocalService(
      EmulatorArgv(
          *emulator, *work_dir + "/emulator.port",
          {absl::StrCat("--rate_limit=", quota.requests),
           absl::StrCat("--rate_window=", absl::FormatDuration(quota.window))}),
      {absl::StrCat("CLERK_SECRET_KEY=", kSecretKey)},
      *work_dir + "/emulator.log", *work_dir + "/emulator.port");
  if (!emulator_service.ok()) {
    std::cerr << "replicas_bench: emulator: " << emulator_service.status()
              << std::endl;
    return 1;
  }

  const std::vector<std::string> quota_flags = {
      absl::StrCat("--clerk_rate_limit=", quota.requests),
      absl::StrCat("--clerk_rate_window=", absl::FormatDuration(quota.window))};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> flags = quota_flags;
    flags.insert(flags.end(), extra.begin(), extra.end());
    return flags;
  };
  const std::string share =
      absl::StrCat("--clerk_rate_limit_replicas=", replicas);
  const std::vector<Mode> modes = {
      {"uncoordinated", with({})},
      {"fair_share", with({share})},
      {"redis", with({share, absl::StrCat("--redis_address=127.0.0.1:",
                                          (*redis)->port())})}};
  std::vector<ModeStats> stats;
  for (const Mode& mode : modes) {
    auto result =
        RunMode(mode, counts, *server, *work_dir, emulator_service->port, quota,
                absl::GetFlag(FLAGS_deadline));
    if (!result.ok()) {
      std::cerr << "replicas_bench: " << result.status() << std::endl;
      return 1;
    }
    stats.push_back(*std::move(result));
  }

  std::printf(
      "\n%d uploads at once over %d replicas (split %s), quota %d per %s\n\n",
      uploads, replicas, absl::StrJoin(counts, "/").c_str(), quota.requests,
      absl::FormatDuration(quota.window).c_str());
  std::printf("%-14s %9s %7s %8s %9s %8s %9s %9s\n", "mode", "succeeded",
              "failed", "wall_s", "goodput", "429s", "429_share", "p99_s");
  JsonObject json;
  json.String("benchmark", "replicas")
      .Number("uploads", uploads)
      .Number("replicas", replicas)
      .Number("quota", quota.requests)
      .Number("window_s", absl::ToDoubleSeconds(quota.window));
  JsonObject modes_json;
  for (size_t i = 0; i < stats.size(); ++i) {
    const ModeStats& s = stats[i];
    const int failed = s.uploads - s.successes;
    std::printf("%-14s %9d %7d %8.1f %8.1f%% %8d %8.2f%% %9.1f\n",
                modes[i].name.c_str(), s.successes, failed,
                absl::ToDoubleSeconds(s.wall), 100 * s.goodput,
                s.clerk.Count(429), 100 * s.rate_limited_share,
                absl::ToDoubleSeconds(s.p99));
    JsonObject mode;
    mode.Number("succeeded", s.successes)
        .Number("failed", failed)
        .Number("wall_s", absl::ToDoubleSeconds(s.wall))
        .Number("goodput", s.goodput)
        .Number("clerk_requests", s.clerk.requests)
        .Number("clerk_429", s.clerk.Count(429))
        .Number("429_share", s.rate_limited_share)
        .Number("p99_s", absl::ToDoubleSeconds(s.p99))
        .Ratio("succeeded_vs_uncoordinated",
               Ratio(s.successes, stats[0].successes))
        .Ratio("goodput_vs_uncoordinated", Ratio(s.goodput, stats[0].goodput));
    modes_json.Object(modes[i].name, mode);
  }
  json.Object("modes", modes_json);
  std::printf("\n%s\n", json.ToString().c_str());
  emulator_service->process->Stop();
  (*redis)->Stop();
  return 0;
}

}  // namespace
}  // namespace clerk::userimage::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Benchmarks several replicas sharing one Clerk quota: uncoordinated, "
      "fair shares, and shared through Redis.");
  absl::ParseCommandLine(argc, argv);
  return clerk::userimage::bench::Run();
}
