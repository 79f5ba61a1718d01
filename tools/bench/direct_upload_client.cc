// Uploads images straight to the Clerk Backend API (or the emulator) with
// libcurl's multi interface on one thread: the baseline of
// upload_load_bench, run by it as a child process so that its CPU time is
// its own. Runs a closed-loop warm-up, then the measured run (announced by
// creating --started_file), and writes
// the measured run's records (see load_plan.h), with the CPU this process
// used during it (getrusage), to --out.
//
// The secret key comes from $CLERK_SECRET_KEY.

#include <sys/resource.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/read_file.h"
#include "tools/bench/direct_upload_load.h"
#include "tools/bench/load_plan.h"

ABSL_FLAG(std::string, api_url, "", "Clerk Backend API base URL.");
ABSL_FLAG(std::vector<std::string>, images, {},
          "Image files, comma-separated; upload i sends image i mod n.");
ABSL_FLAG(std::vector<std::string>, users, {},
          "Users, comma-separated; upload i goes to user i mod n.");
ABSL_FLAG(std::string, shape, "closed", "closed, open or burst.");
ABSL_FLAG(int, concurrency, 1, "Workers (closed) or uploads (burst).");
ABSL_FLAG(double, rate, 1, "Uploads per second (open).");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "How long uploads are started (closed, open).");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2),
          "Closed-loop warm-up before the measured run; 0 for none.");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(60),
          "Timeout of each request, from its scheduled start.");
ABSL_FLAG(std::string, out, "", "Where to write the records.");
ABSL_FLAG(std::string, started_file, "",
          "If set, created when the measured run starts (after the warm-up).");

namespace clerk::userimage::bench {
namespace {

absl::Duration CpuUsed() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return absl::DurationFromTimeval(usage.ru_utime) +
         absl::DurationFromTimeval(usage.ru_stime);
}

absl::StatusOr<std::shared_ptr<const std::string>> ReadImage(
    const std::string& path) {
  absl::StatusOr<std::string> bytes = clerk::userimage::client::ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return std::make_shared<const std::string>(*std::move(bytes));
}

int Run(const LoadPlan& plan, absl::Duration warmup, DirectLoadOptions options,
        const std::vector<std::string>& images, const std::string& out_path,
        const std::string& started_path) {
  for (const std::string& path : images) {
    absl::StatusOr<std::shared_ptr<const std::string>> image = ReadImage(path);
    if (!image.ok()) {
      std::cerr << "direct_upload_client: " << image.status() << std::endl;
      return 1;
    }
    options.images.push_back(*image);
  }
  if (warmup > absl::ZeroDuration()) {
    RunDirectLoad(WarmupPlan(plan, warmup), options);
  }
  if (!started_path.empty()) std::ofstream(started_path, std::ios::trunc);
  const absl::Duration cpu_before = CpuUsed();
  LoadRecords records = RunDirectLoad(plan, options);
  records.cpu = CpuUsed() - cpu_before;
  std::ofstream out(out_path, std::ios::trunc);
  out << FormatRecords(records);
  if (!out.flush()) {
    std::cerr << "direct_upload_client: cannot write " << out_path << std::endl;
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace clerk::userimage::bench

int main(int argc, char** argv) {
  namespace bench = clerk::userimage::bench;
  absl::SetProgramUsageMessage(
      "Uploads images straight to Clerk's Backend API with libcurl's multi "
      "interface; the baseline of upload_load_bench.");
  absl::ParseCommandLine(argc, argv);
  absl::StatusOr<bench::LoadShape> shape =
      bench::ParseLoadShape(absl::GetFlag(FLAGS_shape));
  const char* key = std::getenv("CLERK_SECRET_KEY");
  if (!shape.ok() || absl::GetFlag(FLAGS_api_url).empty() ||
      absl::GetFlag(FLAGS_images).empty() || absl::GetFlag(FLAGS_out).empty() ||
      absl::GetFlag(FLAGS_users).empty() || key == nullptr ||
      absl::GetFlag(FLAGS_concurrency) < 1 || absl::GetFlag(FLAGS_rate) <= 0) {
    std::cerr
        << "direct_upload_client: need --api_url, --images, --users, --out, "
           "$CLERK_SECRET_KEY, --shape=closed|open|burst, "
           "--concurrency >= 1 and --rate > 0"
        << std::endl;
    return 2;
  }
  bench::LoadPlan plan;
  plan.shape = *shape;
  plan.concurrency = absl::GetFlag(FLAGS_concurrency);
  plan.rate = absl::GetFlag(FLAGS_rate);
  plan.duration = absl::GetFlag(FLAGS_duration);
  bench::DirectLoadOptions options;
  options.api_url = absl::GetFlag(FLAGS_api_url);
  options.secret_key = key;
  options.users = absl::GetFlag(FLAGS_users);
  options.deadline = absl::GetFlag(FLAGS_deadline);
  return bench::Run(plan, absl::GetFlag(FLAGS_warmup), std::move(options),
                    absl::GetFlag(FLAGS_images), absl::GetFlag(FLAGS_out),
                    absl::GetFlag(FLAGS_started_file));
}
