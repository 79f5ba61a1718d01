// Measures how the service shares Clerk's rate limit between callers: two
// authenticated callers share one server in front of the Clerk emulator
// (limited to --quota requests per --window, which the server paces to).
// "batch" offers --batch_uploads uploads at once and, --web_delay later,
// "web" offers --web_uploads; every upload is for a user of its own. The
// scenario runs with both callers as one identity (the baseline: one
// caller, so the gate's queue is first come, first served), with two
// identities of equal weight (fair), and optionally as fair with batch's
// uploads at PRIORITY_BULK (bulk). Reports each caller's upload times and
// failures, goodput and Clerk's 429s per run, the ratios against the
// baseline and the targets, as a table and one line of JSON. Loopback only;
// it starts and stops the emulator and the servers itself.
//
//   bazel build //tools/bench:fairness_bench
//   bazel-bin/tools/bench/fairness_bench

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "tools/bench/common_flags.h"
#include "tools/bench/emulator_control.h"
#include "tools/bench/fairness_report.h"
#include "tools/bench/grpc_upload_load.h"
#include "tools/bench/load_plan.h"
#include "tools/bench/local_services.h"
#include "tools/bench/programs.h"
#include "tools/bench/report.h"
#include "tools/bench/upload_load.h"

ABSL_FLAG(int, batch_uploads, 300, "Uploads batch offers at once.");
ABSL_FLAG(int, web_uploads, 20, "Uploads web offers at once.");
ABSL_FLAG(absl::Duration, web_delay, absl::Seconds(2),
          "How long after batch's uploads web offers its own.");
ABSL_FLAG(int, quota, 100,
          "Clerk's quota: requests per --window, enforced by the emulator "
          "and paced by the server.");
ABSL_FLAG(absl::Duration, window, absl::Seconds(10),
          "The fixed window of --quota.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(120),
          "Deadline of each upload call, from its offer.");
ABSL_FLAG(int, image_bytes, 400,
          "Bytes per image: a valid 1x1 PNG of pseudo-random pixels.");
ABSL_FLAG(int, streams_per_connection, 100,
          "Most calls a caller puts on one connection; it opens as many "
          "connections as its uploads need. The server's "
          "--grpc_max_concurrent_streams (100 by default) would hold further "
          "calls of a connection in the client, out of the rate gate's "
          "sight.");
ABSL_FLAG(bool, bulk_run, true,
          "Also run the fair case with batch's uploads at PRIORITY_BULK.");
ABSL_FLAG(std::vector<std::string>, server_flags, {},
          "Extra server flags for every run, comma-separated.");

namespace clerk::userimage::bench {
namespace {

// Accepted by the emulator and presented by the server; valid nowhere else.
constexpr char kSecretKey[] = "sk_test_fairness_bench_00000000000";
// The callers' bearer tokens; valid only for the servers started here.
constexpr char kBatchToken[] = "fairness-bench-batch-token-000000";
constexpr char kWebToken[] = "fairness-bench-web-token-00000000";

struct Config {
  int batch_uploads;
  int web_uploads;
  absl::Duration web_delay;
  Quota quota;
  absl::Duration deadline;
  int image_bytes;
  int streams_per_connection;
  bool bulk_run;
  std::string server_binary;
  std::string emulator_binary;
  std::string work_dir;
  std::vector<std::string> server_flags;
};

// How one run configures the server and the callers.
struct Mode {
  std::string name;
  std::string description;
  // The bearer tokens file: lines "<identity> <token>".
  std::string tokens;
  // The caller weights file; empty: none.
  std::string weights;
  v1::Priority batch_priority = v1::PRIORITY_UNSPECIFIED;
};

// One caller of a run: its uploads, token, priority and when it offers.
struct Caller {
  std::string name;
  int uploads = 0;
  // Its uploads use LoadUsers() and images from this index on.
  int first_index = 0;
  absl::Duration offer_at;
  std::string token;
  v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
};

// A load generator of a caller: up to --streams_per_connection of its
// uploads on a connection of their own.
struct Part {
  const Caller* caller = nullptr;
  int first_index = 0;
  int uploads = 0;
  std::shared_ptr<grpc::Channel> channel;
  GrpcLoadOptions options;
  // When RunGrpcLoad started, from the release, and what it saw.
  absl::Duration started;
  LoadRecords records;
};

void Progress(const std::string& message) {
  std::cerr << "[bench] " << message << std::endl;
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// The uploads of both callers against a server on `port`.
absl::StatusOr<std::vector<Part>> Offer(const Config& config,
                                        const std::vector<Caller>& callers,
                                        int port) {
  std::vector<Part> parts;
  for (const Caller& caller : callers) {
    for (int done = 0; done < caller.uploads;
         done += config.streams_per_connection) {
      Part& part = parts.emplace_back();
      part.caller = &caller;
      part.first_index = caller.first_index + done;
      part.uploads =
          std::min(config.streams_per_connection, caller.uploads - done);
      absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OwnChannel(port);
      if (!channel.ok()) return channel.status();
      part.channel = *std::move(channel);
      part.options.deadline = config.deadline;
      part.options.bearer_token = caller.token;
      part.options.priority = caller.priority;
      for (int i = part.first_index; i < part.first_index + part.uploads; ++i) {
        part.options.users.push_back(LoadUsers()[i]);
        part.options.images.push_back(std::make_shared<const PreparedImage>(
            PrepareImage(MakeImage(config.image_bytes, i), 256 * 1024)));
      }
    }
  }

  // Every load generator waits for its caller's offer time, counted from
  // one release a little ahead, so that all threads are ready by then.
  const absl::Time release = absl::Now() + absl::Milliseconds(200);
  std::vector<std::thread> threads;
  threads.reserve(parts.size());
  for (Part& part : parts) {
    threads.emplace_back([&part, release] {
      absl::SleepFor(release + part.caller->offer_at - absl::Now());
      LoadPlan plan;
      plan.shape = LoadShape::kBurst;
      plan.concurrency = part.uploads;
      part.started = absl::Now() - release;
      part.records = RunGrpcLoad(part.channel, plan, part.options);
      Progress(absl::StrFormat(
          "  %s: uploads %d-%d returned by %.2f s after the release",
          part.caller->name, part.first_index,
          part.first_index + part.uploads - 1,
          absl::ToDoubleSeconds(absl::Now() - release)));
    });
  }
  for (std::thread& thread : threads) thread.join();
  return parts;
}

// One run: a fresh server in front of the freshly reset emulator, both
// callers' uploads, and what Clerk saw.
absl::StatusOr<FairnessRun> RunMode(const Config& config, const Mode& mode,
                                    int emulator_port) {
  if (absl::Status reset = ResetEmulator(emulator_port); !reset.ok()) {
    return reset;
  }
  const std::string prefix = absl::StrCat(config.work_dir, "/", mode.name);
  std::vector<std::string> flags = {
      absl::StrCat("--clerk_rate_limit=", config.quota.requests),
      absl::StrCat("--clerk_rate_window=",
                   absl::FormatDuration(config.quota.window)),
      absl::StrCat("--bearer_tokens_file=", prefix, ".tokens")};
  if (absl::Status s = WriteFile(absl::StrCat(prefix, ".tokens"), mode.tokens);
      !s.ok()) {
    return s;
  }
  if (!mode.weights.empty()) {
    flags.push_back(absl::StrCat("--caller_weights_file=", prefix, ".weights"));
    if (absl::Status s =
            WriteFile(absl::StrCat(prefix, ".weights"), mode.weights);
        !s.ok()) {
      return s;
    }
  }
  flags.insert(flags.end(), config.server_flags.begin(),
               config.server_flags.end());

  const std::string port_file = absl::StrCat(prefix, ".port");
  const std::string log = absl::StrCat(prefix, "-server.log");
  const std::vector<std::string> argv =
      ServerArgv(config.server_binary, port_file, emulator_port, flags);
  Progress(absl::StrCat(mode.name, ": starting ", absl::StrJoin(argv, " ")));
  absl::StatusOr<LocalService> server = StartLocalService(
      argv, {absl::StrCat("CLERK_SECRET_KEY=", kSecretKey)}, log, port_file);
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("server (", mode.name, "): ",
                                     server.status().message(), "; see ", log));
  }

  const std::vector<Caller> callers = {
      {.name = "batch",
       .uploads = config.batch_uploads,
       .first_index = 0,
       .offer_at = absl::ZeroDuration(),
       .token = kBatchToken,
       .priority = mode.batch_priority},
      {.name = "web",
       .uploads = config.web_uploads,
       .first_index = config.batch_uploads,
       .offer_at = config.web_delay,
       .token = kWebToken},
  };
  Progress(absl::StrFormat("%s: batch offers %d uploads, web %d after %s",
                           mode.name, config.batch_uploads, config.web_uploads,
                           absl::FormatDuration(config.web_delay)));
  absl::StatusOr<std::vector<Part>> parts =
      Offer(config, callers, server->port);

  absl::StatusOr<ClerkLogSummary> clerk = ReadClerkLog(emulator_port);
  const int exit_status = server->process->Stop();
  if (!parts.ok()) return parts.status();
  if (!clerk.ok()) return clerk.status();
  if (exit_status != 0) {
    Progress(absl::StrCat(mode.name, ": server exit status ", exit_status,
                          "; see ", log));
  }
  CallerCalls batch, web;
  for (const Part& part : *parts) {
    AddRecords(part.records, part.started,
               part.caller->name == "batch" ? batch : web);
  }
  FairnessRun run = SummarizeRun(mode.name, mode.description, batch, web,
                                 *clerk, config.quota);
  run.server_flags = absl::StrJoin(flags, " ");
  return run;
}

int Run(const Config& flags) {
  Config config = flags;
  absl::StatusOr<BenchPrograms> programs =
      FindBenchPrograms(flags.server_binary, flags.emulator_binary,
                        flags.work_dir, "fairness_bench");
  if (!programs.ok()) {
    std::cerr << "fairness_bench: " << programs.status().message() << std::endl;
    return 1;
  }
  config.server_binary = programs->server;
  config.emulator_binary = programs->emulator;
  config.work_dir = programs->work_dir;
  Progress(
      absl::StrCat("logs, port files and caller files in ", config.work_dir));

  absl::StatusOr<LocalService> emulator_service = StartQuotaEmulator(
      config.emulator_binary, config.work_dir, config.quota.requests,
      config.quota.window, kSecretKey);
  if (!emulator_service.ok()) {
    std::cerr << "fairness_bench: " << emulator_service.status().message()
              << std::endl;
    return 1;
  }
  const int emulator_port = emulator_service->port;

  const std::string two_identities =
      absl::StrCat("batch ", kBatchToken, "\nweb ", kWebToken, "\n");
  std::vector<Mode> modes = {
      {.name = "baseline",
       .description = "both tokens are one identity: a single caller",
       .tokens =
           absl::StrCat("shared ", kBatchToken, "\nshared ", kWebToken, "\n")},
      {.name = "fair",
       .description = "two identities, weights batch 1 and web 1",
       .tokens = two_identities,
       .weights = "batch 1\nweb 1\n"},
  };
  if (config.bulk_run) {
    modes.push_back({.name = "bulk",
                     .description = "as fair, batch's uploads PRIORITY_BULK",
                     .tokens = two_identities,
                     .weights = "batch 1\nweb 1\n",
                     .batch_priority = v1::PRIORITY_BULK});
  }

  std::vector<FairnessRun> runs;
  for (const Mode& mode : modes) {
    absl::StatusOr<FairnessRun> run = RunMode(config, mode, emulator_port);
    if (!run.ok()) {
      std::cerr << "fairness_bench: " << run.status() << std::endl;
      emulator_service->process->Stop();
      return 1;
    }
    runs.push_back(*std::move(run));
  }
  emulator_service->process->Stop();

  const FairnessScenario scenario{.batch_uploads = config.batch_uploads,
                                  .web_uploads = config.web_uploads,
                                  .web_delay = config.web_delay,
                                  .deadline = config.deadline,
                                  .quota = config.quota};
  const FairnessTargets targets;
  std::cout << "\n"
            << FormatFairnessTable(scenario, runs, targets) << "\n"
            << FormatFairnessJson(scenario, runs, targets) << std::endl;
  return 0;
}

}  // namespace
}  // namespace clerk::userimage::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Benchmarks how the service shares Clerk's rate limit between a caller "
      "with a large batch and one with a few interactive uploads, against "
      "the Clerk emulator.");
  absl::ParseCommandLine(argc, argv);
  clerk::userimage::bench::Config config{
      .batch_uploads = absl::GetFlag(FLAGS_batch_uploads),
      .web_uploads = absl::GetFlag(FLAGS_web_uploads),
      .web_delay = absl::GetFlag(FLAGS_web_delay),
      .quota = {.requests = absl::GetFlag(FLAGS_quota),
                .window = absl::GetFlag(FLAGS_window)},
      .deadline = absl::GetFlag(FLAGS_deadline),
      .image_bytes = absl::GetFlag(FLAGS_image_bytes),
      .streams_per_connection = absl::GetFlag(FLAGS_streams_per_connection),
      .bulk_run = absl::GetFlag(FLAGS_bulk_run),
      .server_binary = absl::GetFlag(FLAGS_server_binary),
      .emulator_binary = absl::GetFlag(FLAGS_emulator_binary),
      .work_dir = absl::GetFlag(FLAGS_work_dir),
      .server_flags = absl::GetFlag(FLAGS_server_flags),
  };
  const int users = clerk::userimage::bench::kLoadUsers;
  if (config.batch_uploads < 1 || config.web_uploads < 1 ||
      config.batch_uploads + config.web_uploads > users ||
      config.web_delay < absl::ZeroDuration() || config.quota.requests < 1 ||
      config.quota.window <= absl::ZeroDuration() ||
      config.deadline <= absl::ZeroDuration() || config.image_bytes < 57 ||
      config.streams_per_connection < 1) {
    std::cerr << "fairness_bench: need --batch_uploads >= 1, --web_uploads "
                 ">= 1, at most "
              << users
              << " uploads in all, --web_delay >= 0, --quota >= 1, --window "
                 "> 0, --deadline > 0, --image_bytes >= 57 and "
                 "--streams_per_connection >= 1"
              << std::endl;
    return 2;
  }
  return clerk::userimage::bench::Run(config);
}
