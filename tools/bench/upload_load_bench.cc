// Load generator and benchmark of the service's data path: uploads images
// through the service (the proxy) in front of a stand-in for Clerk (the
// minimal backend by default, or the Clerk emulator), then the same images
// straight to it with libcurl's multi interface (the direct baseline, in a
// child process), and optionally through Clerk's Node SDK, at each requested
// concurrency (closed loop or burst) or rate (open loop), or at the
// data-path figures' three points (--figures). Reports throughput, latency
// percentiles, CPU per MiB, peak RSS and threads of each, their ratios, and
// the targets of docs/benchmarks.md, as a table and one line of JSON per
// point, then every target judged. Loopback only; it starts and stops the
// backends, the servers and the clients itself.
//
//   bazel build -c opt //tools/bench:upload_load_bench
//       //tools/bench:direct_upload_client //tools/bench:minimal_backend
//       //tools/clerk_emulator //server:user_image_server
//   bazel-bin/tools/bench/upload_load_bench --figures
//
// With --backend=emulator, run it under tools/bench/netns_quickack.sh to
// take the emulator's delayed-ACK stall out (see docs/benchmarks.md).

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/read_file.h"
#include "grpcpp/grpcpp.h"
#include "tools/bench/common_flags.h"
#include "tools/bench/emulator_control.h"
#include "tools/bench/grpc_upload_load.h"
#include "tools/bench/load_plan.h"
#include "tools/bench/load_report.h"
#include "tools/bench/local_services.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/programs.h"
#include "tools/bench/upload_load.h"
#include "tools/support/child_process.h"

ABSL_FLAG(std::string, shape, "closed",
          "closed (--concurrency workers uploading back to back), open "
          "(--rate uploads per second on a fixed schedule) or burst "
          "(--concurrency uploads released at once).");
ABSL_FLAG(std::vector<std::string>, concurrency, {"64"},
          "Workers (closed) or uploads (burst); a comma-separated list runs "
          "one point each.");
ABSL_FLAG(std::vector<std::string>, rate, {"100"},
          "Uploads per second (open); a comma-separated list runs one point "
          "each.");
ABSL_FLAG(int64_t, image_bytes, 1 << 20,
          "Bytes per image: a PNG signature, then pseudo-random bytes.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "How long uploads are started in each measured run (closed, open).");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2),
          "Closed-loop warm-up before each measured run; 0 for none.");
ABSL_FLAG(absl::Duration, emulator_latency, absl::ZeroDuration(),
          "Delay the emulator adds before answering each upload.");
ABSL_FLAG(int64_t, chunk_bytes, 256 * 1024,
          "Bytes per UploadProfileImage chunk message.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(60),
          "Deadline of each upload, from its scheduled start.");
ABSL_FLAG(bool, exif_jpeg, false,
          "Upload JPEGs with a 60 KiB EXIF segment (stripped by the service, "
          "which then holds a copy) instead of PNGs without metadata.");
ABSL_FLAG(int, distinct_images, 8,
          "Distinct images uploaded in turn (all of --image_bytes).");
ABSL_FLAG(bool, node, false,
          "Also upload through Clerk's Node SDK (closed loop only); skipped "
          "with a note when node or tools/bench/node/node_modules is missing.");
ABSL_FLAG(std::string, node_binary, "node", "Node.js to run.");
ABSL_FLAG(std::string, node_script, "",
          "The Node driver; default: tools/bench/node/bench.js in the "
          "workspace.");
ABSL_FLAG(std::vector<std::string>, server_flags, {},
          "Extra server flags, comma-separated.");
ABSL_FLAG(int, emulator_threads, 0,
          "The emulator's HTTP threads (one per connection); 0: enough for "
          "the largest point.");
ABSL_FLAG(std::string, direct_client_binary, "",
          "direct_upload_client to run; default: from the runfiles or next "
          "to this binary in bazel-bin.");
ABSL_FLAG(std::string, plot_data, "",
          "If set, append one gnuplot data line per point to this file.");
ABSL_FLAG(std::string, backend, "minimal",
          "What stands in for Clerk: minimal (minimal_backend, one epoll "
          "thread answering a full User) or emulator (the Clerk emulator).");
ABSL_FLAG(std::string, minimal_backend_binary, "",
          "minimal_backend to run; default: from the runfiles or next to "
          "this binary in bazel-bin.");
ABSL_FLAG(bool, figures, false,
          "Run the data-path figures of docs/benchmarks.md instead of the "
          "points the other flags choose: 1 MiB one upload at a time, 1 MiB "
          "at 64 concurrent (closed loops of --duration), and 2,000 uploads "
          "of 100 KB released at once against 1 s of backend latency.");

namespace clerk::userimage::bench {

using ::clerk::userimage::client::ReadFile;
using ::userimage::ChildProcess;
namespace {

constexpr char kDirectPath[] = "tools/bench/direct_upload_client";
constexpr char kMinimalBackendPath[] = "tools/bench/minimal_backend";
constexpr char kBenchPath[] = "tools/bench/upload_load_bench";
// Accepted by the emulator and presented by the server; valid nowhere else.
constexpr char kSecretKey[] = "sk_test_upload_load_bench_00000000000";
// The server's --grpc_max_concurrent_streams default.
constexpr int64_t kStreamsPerConnection = 100;
// How often process threads and RSS are sampled.
constexpr absl::Duration kSampleInterval = absl::Milliseconds(10);

struct Config {
  LoadShape shape;
  std::vector<int> concurrency;
  std::vector<double> rates;
  int64_t image_bytes;
  absl::Duration duration;
  absl::Duration warmup;
  absl::Duration emulator_latency;
  int64_t chunk_bytes;
  absl::Duration deadline;
  int distinct_images;
  bool exif_jpeg;
  bool node;
  std::string node_binary;
  std::string node_script;
  std::vector<std::string> server_flags;
  int emulator_threads;
  std::string server_binary;
  std::string emulator_binary;
  std::string direct_client_binary;
  std::string work_dir;
  std::string plot_data;
  bool minimal_backend;
  std::string minimal_backend_binary;
  bool figures;
};

// What every mode of a point shares: the backend standing in for Clerk
// and the images.
struct Setup {
  const Config& config;
  int backend_port;
  pid_t backend_pid;
  std::vector<std::string> image_paths;
  std::vector<std::shared_ptr<const PreparedImage>> images;
};

void Progress(const std::string& message) {
  std::cerr << "[bench] " << message << std::endl;
}

std::string PointName(const LoadPoint& point) {
  return point.plan.shape == LoadShape::kOpen
             ? absl::StrFormat("open-%g", point.plan.rate)
             : absl::StrCat(LoadShapeName(point.plan.shape), "-",
                            point.plan.concurrency);
}

// Uploads the point may keep in flight at once, for server limits and
// emulator threads: the workers, or for the open loop the arrivals in one
// emulator latency plus a second.
int64_t InFlightBound(const LoadPoint& point) {
  if (point.plan.shape != LoadShape::kOpen) return point.plan.concurrency;
  return static_cast<int64_t>(
      std::ceil(point.plan.rate * absl::ToDoubleSeconds(point.emulator_latency +
                                                        absl::Seconds(1))));
}

bool Exists(const std::string& path) { return std::ifstream(path).good(); }

// Starts `argv`, the run's `what` (with the key in its environment),
// logging to `log`, and waits for its port; an error names the log.
absl::StatusOr<LocalService> StartLogged(const std::string& what,
                                         const std::vector<std::string>& argv,
                                         const std::string& log,
                                         const std::string& port_file) {
  Progress(absl::StrCat(what, ": starting ", absl::StrJoin(argv, " ")));
  absl::StatusOr<LocalService> service = StartLocalService(
      argv, {absl::StrCat("CLERK_SECRET_KEY=", kSecretKey)}, log, port_file);
  if (!service.ok()) {
    return absl::Status(
        service.status().code(),
        absl::StrCat(what, ": ", service.status().message(), "; see ", log));
  }
  return service;
}

// Runs a load generator `argv` as a child process until it exits by itself
// (within `timeout`) while sampling it, then reads the records it wrote to
// `records_path`. The CPU figure is the one the child reported; the
// emulator's is taken from when the child creates `started_path` (the end
// of its warm-up) until it exits.
absl::StatusOr<ModeFigures> RunChildGenerator(
    const Setup& setup, const std::string& name,
    const std::vector<std::string>& argv, const std::string& records_path,
    const std::string& started_path, const std::string& log,
    absl::Duration timeout, size_t image_bytes) {
  std::remove(records_path.c_str());
  std::remove(started_path.c_str());
  Progress(absl::StrCat(name, ": starting ", absl::StrJoin(argv, " ")));
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Start(
      argv, {absl::StrCat("CLERK_SECRET_KEY=", kSecretKey)}, log);
  if (!child.ok()) return child.status();
  ProcessSampler sampler((*child)->pid(), kSampleInterval);
  const absl::Time give_up = absl::Now() + timeout;
  absl::StatusOr<int> exit_status = absl::DeadlineExceededError("not started");
  while (absl::Now() < give_up && !Exists(started_path)) {
    exit_status = (*child)->Wait(absl::Milliseconds(5));
    if (exit_status.ok()) break;
  }
  const absl::StatusOr<absl::Duration> emulator_before =
      ProcessCpu(setup.backend_pid);
  if (!exit_status.ok()) {
    exit_status = (*child)->Wait(give_up - absl::Now());
  }
  const absl::StatusOr<absl::Duration> emulator_after =
      ProcessCpu(setup.backend_pid);
  sampler.Stop();
  if (!exit_status.ok()) {
    (*child)->Stop(absl::Seconds(5));
    return absl::DeadlineExceededError(
        absl::StrCat(name, " did not finish within ",
                     absl::FormatDuration(timeout), "; see ", log));
  }
  if (*exit_status != 0) {
    return absl::InternalError(absl::StrCat(name, " exited with wait status ",
                                            *exit_status, "; see ", log));
  }
  absl::StatusOr<std::string> text = ReadFile(records_path);
  if (!text.ok()) return text.status();
  absl::StatusOr<LoadRecords> records = ParseRecords(*text);
  if (!records.ok()) return records.status();
  ModeFigures figures =
      Summarize(name, *records, image_bytes, records->cpu,
                sampler.peak_rss_bytes(), sampler.max_threads());
  if (emulator_before.ok() && emulator_after.ok()) {
    SetEmulatorCpu(*emulator_after - *emulator_before, figures);
  }
  return figures;
}

// The proxy: a fresh server in front of the emulator, the gRPC load (a
// warm-up, then the measured run), the server's CPU over the measured run,
// its peak RSS and its most threads.
absl::StatusOr<ModeFigures> RunProxy(const Setup& setup,
                                     const LoadPoint& point) {
  const Config& config = setup.config;
  const std::string name = PointName(point);
  const std::string port_file =
      absl::StrCat(config.work_dir, "/server-", name, ".port");
  const std::string log =
      absl::StrCat(config.work_dir, "/server-", name, ".log");
  const int64_t bound = InFlightBound(point);
  std::vector<std::string> flags = {
      "--clerk_rate_limit=0",
      absl::StrCat("--max_concurrent_uploads=",
                   std::max<int64_t>(1000, 2 * bound)),
      absl::StrCat(
          "--memory_budget_bytes=",
          std::max<int64_t>(int64_t{512} << 20, 2 * bound * point.image_bytes)),
  };
  flags.insert(flags.end(), config.server_flags.begin(),
               config.server_flags.end());
  const std::vector<std::string> argv =
      ServerArgv(config.server_binary, port_file, setup.backend_port, flags);
  absl::StatusOr<LocalService> server =
      StartLogged("server", argv, log, port_file);
  if (!server.ok()) return server.status();
  const pid_t pid = server->process->pid();
  // Uploads spread over connections of their own, no more on each than the
  // server's default concurrent streams per connection, as many callers'
  // would: one connection would hold a burst to 100 at a time.
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  const int64_t connections =
      (std::max<int64_t>(bound, 1) + kStreamsPerConnection - 1) /
      kStreamsPerConnection;
  for (int64_t i = 0; i < connections; ++i) {
    absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
        OwnChannel(server->port);
    if (!channel.ok()) return channel.status();
    channels.push_back(*std::move(channel));
  }
  GrpcLoadOptions options;
  options.images = setup.images;
  options.users = LoadUsers();
  options.deadline = config.deadline;
  if (config.warmup > absl::ZeroDuration()) {
    RunGrpcLoad(channels, WarmupPlan(point.plan, config.warmup), options);
  }
  absl::StatusOr<absl::Duration> cpu_before = ProcessCpu(pid);
  absl::StatusOr<absl::Duration> emulator_before =
      ProcessCpu(setup.backend_pid);
  ProcessSampler sampler(pid, kSampleInterval);
  const LoadRecords records = RunGrpcLoad(channels, point.plan, options);
  sampler.Stop();
  absl::StatusOr<absl::Duration> cpu_after = ProcessCpu(pid);
  absl::StatusOr<absl::Duration> emulator_after = ProcessCpu(setup.backend_pid);
  absl::StatusOr<ProcessStatus> status = ReadProcessStatus(pid);
  const int exit_status = server->process->Stop();
  if (exit_status != 0) {
    Progress(
        absl::StrCat("proxy: server exit status ", exit_status, "; see ", log));
  }
  if (!cpu_before.ok() || !cpu_after.ok() || !status.ok()) {
    return absl::InternalError("cannot read the server's /proc figures");
  }
  ModeFigures figures =
      Summarize("proxy", records, point.image_bytes, *cpu_after - *cpu_before,
                std::max(status->peak_rss_bytes, sampler.peak_rss_bytes()),
                std::max(status->threads, sampler.max_threads()));
  if (emulator_before.ok() && emulator_after.ok()) {
    SetEmulatorCpu(*emulator_after - *emulator_before, figures);
  }
  return figures;
}

// Flags shared by the direct client and the Node driver.
std::vector<std::string> GeneratorArgs(const Setup& setup) {
  return {absl::StrCat("--api_url=http://127.0.0.1:", setup.backend_port),
          absl::StrCat("--users=", absl::StrJoin(LoadUsers(), ","))};
}

absl::StatusOr<ModeFigures> RunDirect(const Setup& setup,
                                      const LoadPoint& point) {
  const Config& config = setup.config;
  const std::string name = PointName(point);
  std::vector<std::string> argv = {config.direct_client_binary};
  for (std::string& arg : GeneratorArgs(setup)) argv.push_back(arg);
  const std::string records =
      absl::StrCat(config.work_dir, "/direct-", name, ".records");
  argv.insert(
      argv.end(),
      {absl::StrCat("--images=", absl::StrJoin(setup.image_paths, ",")),
       absl::StrCat("--shape=", LoadShapeName(point.plan.shape)),
       absl::StrCat("--concurrency=", point.plan.concurrency),
       absl::StrCat("--rate=", point.plan.rate),
       absl::StrCat("--duration=", absl::FormatDuration(point.plan.duration)),
       absl::StrCat("--warmup=", absl::FormatDuration(config.warmup)),
       absl::StrCat("--deadline=", absl::FormatDuration(config.deadline)),
       absl::StrCat("--out=", records),
       absl::StrCat("--started_file=", records, ".started")});
  return RunChildGenerator(
      setup, "direct", argv, records, absl::StrCat(records, ".started"),
      absl::StrCat(config.work_dir, "/direct-", name, ".log"),
      config.warmup + point.plan.duration + config.deadline + absl::Seconds(60),
      point.image_bytes);
}

ModeFigures RunNode(const Setup& setup, const LoadPoint& point) {
  const Config& config = setup.config;
  if (!config.node) return Skipped("node", "");
  if (point.plan.shape != LoadShape::kClosed) {
    return Skipped("node", "the Node driver runs closed loops only");
  }
  absl::StatusOr<std::string> node = FindOnPath(config.node_binary);
  if (!node.ok()) {
    return Skipped("node",
                   absl::StrCat("no Node.js: ", node.status().message()));
  }
  const std::string script =
      config.node_script.empty()
          ? absl::StrCat(WorkspaceDir(), "/tools/bench/node/bench.js")
          : config.node_script;
  const std::string package =
      absl::StrCat(script.substr(0, script.rfind('/') + 1),
                   "node_modules/@clerk/backend/package.json");
  if (!ReadFile(script).ok() || !ReadFile(package).ok()) {
    return Skipped("node",
                   absl::StrCat("no ", script, " or no @clerk/backend at ",
                                package, " (run npm ci in tools/bench/node)"));
  }
  const std::string name = PointName(point);
  std::vector<std::string> argv = {*node, script};
  for (std::string& arg : GeneratorArgs(setup)) argv.push_back(arg);
  const std::string records =
      absl::StrCat(config.work_dir, "/node-", name, ".records");
  argv.insert(
      argv.end(),
      {absl::StrCat("--image=", setup.image_paths.front()),
       absl::StrCat("--concurrency=", point.plan.concurrency),
       absl::StrCat("--duration_ms=",
                    absl::ToInt64Milliseconds(point.plan.duration)),
       absl::StrCat("--warmup_ms=", absl::ToInt64Milliseconds(config.warmup)),
       absl::StrCat("--out=", records),
       absl::StrCat("--started_file=", records, ".started")});
  absl::StatusOr<ModeFigures> figures = RunChildGenerator(
      setup, "node", argv, records, absl::StrCat(records, ".started"),
      absl::StrCat(config.work_dir, "/node-", name, ".log"),
      config.warmup + point.plan.duration + config.deadline + absl::Seconds(60),
      point.image_bytes);
  if (!figures.ok()) {
    return Skipped("node", std::string(figures.status().message()));
  }
  return *figures;
}

std::vector<LoadPoint> Points(const Config& config) {
  std::vector<LoadPoint> points;
  if (config.figures) {
    auto closed = [&](int workers) {
      return LoadPlan{.shape = LoadShape::kClosed,
                      .concurrency = workers,
                      .duration = config.duration};
    };
    const LoadPlan burst{.shape = LoadShape::kBurst, .concurrency = 2000};
    points.push_back({closed(1), 1 << 20, absl::ZeroDuration()});
    points.push_back({closed(64), 1 << 20, absl::ZeroDuration()});
    points.push_back({burst, 102400, absl::Seconds(1)});
    return points;
  }
  auto add = [&](LoadPlan plan) {
    plan.shape = config.shape;
    plan.duration = config.duration;
    points.push_back({plan, static_cast<size_t>(config.image_bytes),
                      config.emulator_latency});
  };
  if (config.shape == LoadShape::kOpen) {
    for (double rate : config.rates) add({.rate = rate});
  } else {
    for (int n : config.concurrency) add({.concurrency = n});
  }
  return points;
}

// Lets thousands of connections open at once; children inherit the limit.
void RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 &&
      limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// Writes the point's images to the work directory and prepares their
// messages.
absl::Status WriteImages(const LoadPoint& point, Setup& setup) {
  const Config& config = setup.config;
  for (int i = 0; i < config.distinct_images; ++i) {
    const std::string bytes = config.exif_jpeg
                                  ? MakeExifJpeg(point.image_bytes, i)
                                  : MakeImage(point.image_bytes, i);
    const std::string path = absl::StrCat(config.work_dir, "/image-",
                                          point.image_bytes, "-", i, ".png");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out.flush()) return absl::InternalError("cannot write " + path);
    setup.image_paths.push_back(path);
    setup.images.push_back(std::make_shared<const PreparedImage>(
        PrepareImage(bytes, static_cast<size_t>(config.chunk_bytes))));
  }
  return absl::OkStatus();
}

// Starts what stands in for Clerk at the point's latency: the minimal
// backend, or the emulator with a thread per connection the point may open.
absl::StatusOr<LocalService> StartBackend(const Config& config,
                                          const LoadPoint& point) {
  const std::string name = PointName(point);
  const std::string port_file =
      absl::StrCat(config.work_dir, "/backend-", name, ".port");
  const std::string log =
      absl::StrCat(config.work_dir, "/backend-", name, ".log");
  const std::string latency =
      absl::StrCat("--latency=", absl::FormatDuration(point.emulator_latency));
  std::vector<std::string> argv;
  if (config.minimal_backend) {
    argv = {config.minimal_backend_binary,
            absl::StrCat("--port_file=", port_file), latency};
  } else {
    const int64_t threads =
        config.emulator_threads > 0
            ? config.emulator_threads
            : std::max<int64_t>(256, InFlightBound(point) + 256);
    argv = EmulatorArgv(
        config.emulator_binary, port_file,
        {"--rate_limit=0", latency, absl::StrCat("--threads=", threads)});
  }
  return StartLogged("backend", argv, log, port_file);
}

// Runs every way of uploading at `point` against a backend of its own,
// prints the point's table and JSON, and returns its targets.
absl::StatusOr<std::vector<TargetResult>> RunPoint(const Config& config,
                                                   const LoadPoint& point,
                                                   std::ostream* plot) {
  Progress(absl::StrCat("point ", PointName(point)));
  Setup setup{config, 0, 0, {}, {}};
  if (absl::Status written = WriteImages(point, setup); !written.ok()) {
    return written;
  }
  absl::StatusOr<LocalService> backend = StartBackend(config, point);
  if (!backend.ok()) return backend.status();
  setup.backend_port = backend->port;
  setup.backend_pid = backend->process->pid();
  // The emulator keeps every image until a reset.
  std::optional<PeriodicEmulatorReset> janitor;
  if (!config.minimal_backend) janitor.emplace(backend->port, absl::Seconds(1));
  absl::StatusOr<ModeFigures> proxy = RunProxy(setup, point);
  if (!proxy.ok()) return proxy.status();
  absl::StatusOr<ModeFigures> direct = RunDirect(setup, point);
  if (!direct.ok()) return direct.status();
  const ModeFigures node = RunNode(setup, point);
  if (janitor.has_value() && janitor->failures() > 0) {
    Progress(absl::StrCat(janitor->failures(),
                          " periodic emulator resets "
                          "failed"));
  }
  janitor.reset();
  backend->process->Stop();
  std::vector<TargetResult> targets = JudgeTargets(point, *proxy, *direct);
  std::cout << "\n"
            << FormatPointTable(point, *proxy, *direct, node, targets)
            << FormatPointJson(point, *proxy, *direct, node, targets)
            << std::endl;
  if (plot != nullptr)
    *plot << FormatPlotLine(point, *proxy, *direct) << std::endl;
  for (TargetResult& target : targets) {
    target.name = absl::StrCat(PointName(point), ": ", target.name);
  }
  return targets;
}

int Run(const Config& flags) {
  Config config = flags;
  absl::StatusOr<BenchPrograms> programs =
      FindBenchPrograms(flags.server_binary, flags.emulator_binary,
                        flags.work_dir, "upload_load_bench");
  absl::StatusOr<std::string> direct =
      Program(flags.direct_client_binary, kDirectPath, kBenchPath);
  absl::StatusOr<std::string> minimal =
      Program(flags.minimal_backend_binary, kMinimalBackendPath, kBenchPath);
  for (const absl::Status& status :
       {programs.status(), direct.status(), minimal.status()}) {
    if (!status.ok()) {
      std::cerr << "upload_load_bench: " << status.message() << std::endl;
      return 1;
    }
  }
  config.server_binary = programs->server;
  config.emulator_binary = programs->emulator;
  config.direct_client_binary = *direct;
  config.minimal_backend_binary = *minimal;
  config.work_dir = programs->work_dir;
  Progress(absl::StrCat("logs, images and records in ", config.work_dir));
  RaiseFileLimit();

  std::ofstream plot;
  if (!config.plot_data.empty()) {
    plot.open(config.plot_data, std::ios::app);
    plot << "# " << LoadShapeName(config.shape) << " " << config.image_bytes
         << " bytes, emulator latency "
         << absl::FormatDuration(config.emulator_latency)
         << "\n# x proxy_p50 proxy_p90 proxy_p99 direct_p50 direct_p90 "
            "direct_p99 (ms) proxy_uploads_per_s direct_uploads_per_s\n";
  }
  std::vector<TargetResult> all;
  for (const LoadPoint& point : Points(config)) {
    absl::StatusOr<std::vector<TargetResult>> targets =
        RunPoint(config, point, plot.is_open() ? &plot : nullptr);
    if (!targets.ok()) {
      std::cerr << "upload_load_bench: " << targets.status() << std::endl;
      return 1;
    }
    all.insert(all.end(), targets->begin(), targets->end());
  }
  std::cout << "\n" << FormatTargetSummary(all) << std::endl;
  return 0;
}

template <typename T>
bool ParseList(const std::vector<std::string>& words, std::vector<T>* out) {
  for (const std::string& word : words) {
    T value;
    if constexpr (std::is_same_v<T, int>) {
      if (!absl::SimpleAtoi(word, &value) || value < 1) return false;
    } else {
      if (!absl::SimpleAtod(word, &value) || !(value > 0)) return false;
    }
    out->push_back(value);
  }
  return !out->empty();
}

}  // namespace
}  // namespace clerk::userimage::bench

int main(int argc, char** argv) {
  namespace bench = clerk::userimage::bench;
  absl::SetProgramUsageMessage(
      "Benchmarks the upload data path (service in front of the Clerk "
      "emulator) against uploading straight to the emulator.");
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<bench::LoadShape> shape =
      bench::ParseLoadShape(absl::GetFlag(FLAGS_shape));
  bench::Config config{
      .shape = shape.value_or(bench::LoadShape::kClosed),
      .image_bytes = absl::GetFlag(FLAGS_image_bytes),
      .duration = absl::GetFlag(FLAGS_duration),
      .warmup = absl::GetFlag(FLAGS_warmup),
      .emulator_latency = absl::GetFlag(FLAGS_emulator_latency),
      .chunk_bytes = absl::GetFlag(FLAGS_chunk_bytes),
      .deadline = absl::GetFlag(FLAGS_deadline),
      .distinct_images = absl::GetFlag(FLAGS_distinct_images),
      .exif_jpeg = absl::GetFlag(FLAGS_exif_jpeg),
      .node = absl::GetFlag(FLAGS_node),
      .node_binary = absl::GetFlag(FLAGS_node_binary),
      .node_script = absl::GetFlag(FLAGS_node_script),
      .server_flags = absl::GetFlag(FLAGS_server_flags),
      .emulator_threads = absl::GetFlag(FLAGS_emulator_threads),
      .server_binary = absl::GetFlag(FLAGS_server_binary),
      .emulator_binary = absl::GetFlag(FLAGS_emulator_binary),
      .direct_client_binary = absl::GetFlag(FLAGS_direct_client_binary),
      .work_dir = absl::GetFlag(FLAGS_work_dir),
      .plot_data = absl::GetFlag(FLAGS_plot_data),
      .minimal_backend = absl::GetFlag(FLAGS_backend) == "minimal",
      .minimal_backend_binary = absl::GetFlag(FLAGS_minimal_backend_binary),
      .figures = absl::GetFlag(FLAGS_figures),
  };
  const bool lists_ok =
      bench::ParseList(absl::GetFlag(FLAGS_concurrency), &config.concurrency) &&
      bench::ParseList(absl::GetFlag(FLAGS_rate), &config.rates);
  const std::string backend = absl::GetFlag(FLAGS_backend);
  if (!shape.ok() || !lists_ok || config.image_bytes < 16 ||
      (backend != "minimal" && backend != "emulator") ||
      config.image_bytes > 10'000'000 ||
      (config.exif_jpeg && config.image_bytes < 66 * 1024) ||
      config.duration <= absl::ZeroDuration() ||
      config.warmup < absl::ZeroDuration() ||
      config.emulator_latency < absl::ZeroDuration() ||
      config.chunk_bytes < 1 || config.chunk_bytes > 4 * 1024 * 1024 - 5 ||
      config.deadline <= absl::ZeroDuration() || config.distinct_images < 1) {
    std::cerr << "upload_load_bench: need --shape=closed|open|burst, "
                 "--backend=minimal|emulator, "
                 "--concurrency of integers >= 1, --rate of numbers > 0, "
                 "16 <= --image_bytes <= 10000000 (66 KiB with --exif_jpeg), "
                 "--duration > 0, "
                 "--warmup >= 0, --emulator_latency >= 0, 1 <= --chunk_bytes "
                 "<= 4 MiB - 5, --deadline > 0 and --distinct_images >= 1"
              << std::endl;
    return 2;
  }
  return bench::Run(config);
}
