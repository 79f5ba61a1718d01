// The cost of normalization: a 12-megapixel HEIC (4032×3024, made here
// with ImageMagick) converted to a 1024 px JPEG
//   - by the sandboxed worker pool (NormalizerPool, the server's path):
//     wall time and worker CPU per image one at a time, the workers' peak
//     RSS, and throughput with --workers (default 2) workers;
//   - against a baseline run alongside: the same conversion with libvips in
//     this process (no sandbox, no pipes, no process hop).
// It reports ratios; it does not pass or fail.
//
//   bazel run -c opt //tools/bench:normalize_bench -- [--images=8]
//   [--workers=2]
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "clerk/userimage/internal/v1/normalize.pb.h"
#include "server/normalize/normalizer_pool.h"
#include "server/normalize/vips_normalize.h"
#include "tools/bench/proc_stats.h"
#include "tools/bench/programs.h"

ABSL_FLAG(int, images, 8, "images per measurement");
ABSL_FLAG(int, workers, 2, "workers for the throughput measurement");
ABSL_FLAG(int, max_side_px, 1024, "--normalize_max_side_px");
ABSL_FLAG(std::string, worker, "", "the normalize_worker binary");
ABSL_FLAG(std::string, work_dir, "", "where the test photo is made");

namespace clerk::userimage::bench {
namespace {

using ::userimage::MemoryBudget;
using ::userimage::NormalizedBytes;
using ::userimage::NormalizerOptions;
using ::userimage::NormalizerPool;

double CpuSeconds(int who) {
  rusage usage;
  getrusage(who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::string MakeHeic(const std::string& dir) {
  const std::string path = dir + "/photo_12mp.heic";
  const std::string command = absl::StrCat(
      "convert -size 4032x3024 gradient:red-blue -attenuate 0.3 "
      "+noise Gaussian -quality 80 ",
      path, " && exiftool -q -overwrite_original -n -Orientation=6 ", path);
  if (std::system(command.c_str()) != 0) return "";
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

struct PoolRun {
  double wall_seconds = 0;
  double worker_cpu_seconds = 0;  // Reaped workers' CPU (RUSAGE_CHILDREN).
  int64_t worker_peak_rss = 0;
  int failures = 0;
};

// Converts `images` copies of `heic` through a pool of `workers`, all
// submitted at once (one worker: one at a time).
PoolRun RunPool(const std::string& worker, const std::string& heic, int workers,
                int images) {
  MemoryBudget budget(uint64_t{1} << 30);
  absl::Mutex mu;
  std::vector<pid_t> pids;
  PoolRun run;
  const double cpu_before = CpuSeconds(RUSAGE_CHILDREN);
  {
    NormalizerPool pool(NormalizerOptions{
        .worker_argv = {worker},
        .workers = workers,
        .max_queue = static_cast<size_t>(images),
        .timeout = absl::Minutes(2),
        .max_side_px = static_cast<uint32_t>(absl::GetFlag(FLAGS_max_side_px)),
        .budget = &budget,
        .test_after_send = [&](pid_t pid) {
          absl::MutexLock lock(&mu);
          pids.push_back(pid);
        }});
    if (!pool.Start().ok()) {
      run.failures = images;
      return run;
    }
    const absl::Time start = absl::Now();
    absl::BlockingCounter done(images);
    auto image = std::make_shared<const std::string>(heic);
    for (int i = 0; i < images; ++i) {
      pool.Submit(image, std::nullopt,
                  [&](absl::StatusOr<NormalizedBytes> result) {
                    if (!result.ok()) {
                      absl::MutexLock lock(&mu);
                      ++run.failures;
                    }
                    done.DecrementCount();
                  });
    }
    done.Wait();
    run.wall_seconds = absl::ToDoubleSeconds(absl::Now() - start);
    absl::MutexLock lock(&mu);
    for (pid_t pid : pids) {
      auto status = ReadProcessStatus(pid);
      if (status.ok()) {
        run.worker_peak_rss =
            std::max(run.worker_peak_rss, status->peak_rss_bytes);
      }
    }
  }  // The pool reaps its workers: their CPU is now this process's children's.
  run.worker_cpu_seconds = CpuSeconds(RUSAGE_CHILDREN) - cpu_before;
  return run;
}

// The baseline: libvips in this process, one image at a time.
double InProcessSeconds(const std::string& heic, int images, double* cpu) {
  clerk::userimage::internal::v1::NormalizeRequest request;
  request.set_image(heic);
  request.set_max_side_px(absl::GetFlag(FLAGS_max_side_px));
  request.set_max_image_side_px(12000);
  request.set_max_image_pixels(100'000'000);
  request.set_max_output_bytes(10'000'000);
  const double cpu_before = CpuSeconds(RUSAGE_SELF);
  const absl::Time start = absl::Now();
  for (int i = 0; i < images; ++i) {
    if (!::userimage::NormalizeImage(request).has_image()) return -1;
  }
  *cpu = CpuSeconds(RUSAGE_SELF) - cpu_before;
  return absl::ToDoubleSeconds(absl::Now() - start);
}

int Main() {
  absl::StatusOr<std::string> worker =
      Program(absl::GetFlag(FLAGS_worker), "server/normalize/normalize_worker",
              "tools/bench/normalize_bench");
  absl::StatusOr<std::string> dir =
      MakeWorkDir(absl::GetFlag(FLAGS_work_dir), "normalize_bench");
  if (!worker.ok() || !dir.ok()) {
    std::fprintf(
        stderr, "%s\n",
        std::string((worker.ok() ? dir.status() : worker.status()).message())
            .c_str());
    return 1;
  }
  const std::string heic = MakeHeic(*dir);
  if (heic.empty()) {
    std::fprintf(stderr, "could not make the test HEIC with ImageMagick\n");
    return 1;
  }
  const int images = absl::GetFlag(FLAGS_images);
  const int workers = absl::GetFlag(FLAGS_workers);
  if (!::userimage::StartVipsForWorker().ok()) return 1;
  double baseline_cpu = 0;
  const double baseline = InProcessSeconds(heic, images, &baseline_cpu);
  const PoolRun one = RunPool(*worker, heic, 1, images);
  const PoolRun many = RunPool(*worker, heic, workers, images);
  std::printf("12 MP HEIC (%zu bytes) -> %d px JPEG, %d images each\n",
              heic.size(), absl::GetFlag(FLAGS_max_side_px), images);
  std::printf(
      "in-process libvips (baseline): %.0f ms wall, %.0f ms CPU per image\n",
      1000 * baseline / images, 1000 * baseline_cpu / images);
  std::printf(
      "1 sandboxed worker: %.0f ms wall, %.0f ms CPU per image "
      "(%.2fx / %.2fx the baseline); worker peak RSS %.0f MiB\n",
      1000 * one.wall_seconds / images, 1000 * one.worker_cpu_seconds / images,
      one.wall_seconds / baseline, one.worker_cpu_seconds / baseline_cpu,
      one.worker_peak_rss / 1048576.0);
  std::printf(
      "%d sandboxed workers: %.2f images/s (%.2fx one worker); "
      "worker peak RSS %.0f MiB; failures %d\n",
      workers, images / many.wall_seconds, one.wall_seconds / many.wall_seconds,
      many.worker_peak_rss / 1048576.0, one.failures + many.failures);
  return 0;
}

}  // namespace
}  // namespace clerk::userimage::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return clerk::userimage::bench::Main();
}
