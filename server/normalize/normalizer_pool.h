#ifndef SERVER_NORMALIZE_NORMALIZER_POOL_H_
#define SERVER_NORMALIZE_NORMALIZER_POOL_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "clerk/userimage/internal/v1/normalize.pb.h"
#include "server/image/dimension_limits.h"
#include "server/image/image_type.h"
#include "server/normalize/worker_process.h"
#include "server/upload/memory_budget.h"

namespace userimage {

struct NormalizerOptions {
  // The worker's command line: argv[0] is the normalize_worker binary.
  std::vector<std::string> worker_argv;
  // Worker processes, each served by one pool thread.
  int workers = 2;
  // Images waiting for a worker, at most; more are refused with
  // RESOURCE_EXHAUSTED and a RetryInfo.
  size_t max_queue = 32;
  // One image's conversion, sending and answer included; past it the
  // worker is killed and replaced and the image fails with INTERNAL.
  absl::Duration timeout = absl::Seconds(20);
  // A worker that has used this much CPU is replaced after its image: well
  // before the RLIMIT_CPU it runs under (its --cpu_seconds) could kill it
  // in the middle of one.
  absl::Duration retire_after_cpu = absl::Seconds(300);
  // How long a new worker may take to say it is ready.
  absl::Duration start_timeout = absl::Seconds(10);
  // Scale images whose longer side is over this down to it; 0: never.
  uint32_t max_side_px = 0;
  // Header limits the worker checks before decoding; the result is checked
  // against them too.
  DimensionLimits limits;
  // Clerk's size limit for the result.
  uint64_t max_output_bytes = 10'000'000;
  // Where the converted bytes are counted. Required; must outlive the pool
  // and every image it returns.
  MemoryBudget* budget = nullptr;
  // Tests only: runs on the pool thread once an image was sent to the
  // worker with this pid, before its answer is read.
  std::function<void(pid_t)> test_after_send;
};

// A converted image: JPEG, PNG (or the type kept), checked by the server's
// own parsers, holding its MemoryBudget reservation until the last
// reference to `bytes` is gone.
struct NormalizedBytes {
  ImageType type = ImageType::kJpeg;
  std::shared_ptr<const std::string> bytes;
  uint32_t width = 0;
  uint32_t height = 0;
};

// Converts images in a pool of sandboxed worker processes
// (WorkerProcess), so that untrusted pixels are never decoded in the
// process holding the Clerk secret key.
//
// - Submit() queues an image (bounded); one pool thread per worker takes
//   the oldest, sends it to its worker and waits (blocking, on its own
//   thread) for the answer, at most `timeout`.
// - A worker that crashes, times out or breaks the protocol fails only the
//   image it had (INTERNAL), and is replaced before the next one; a worker
//   found dead while idle is replaced without failing anything, and one
//   past `retire_after_cpu` is replaced after its image.
// - What a worker returns is untrusted: its type, structure and
//   dimensions are checked with the server's own header parsers.
//
// Thread-safe. `done` never runs under the pool's lock: on a pool thread,
// or inside Submit() for an image refused at once; it runs after the pool
// has let go of the job (its input image), whichever way it ends. Shutdown()
// (or the destructor) fails queued images with UNAVAILABLE, kills busy workers
// (their images fail with INTERNAL) and joins the threads; call it after
// the gRPC server has drained.
class NormalizerPool {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<NormalizedBytes>) &&>;

  // A submitted image, for Cancel().
  class Ticket {
   private:
    friend class NormalizerPool;
    std::atomic<bool> cancelled{false};
  };

  explicit NormalizerPool(NormalizerOptions options);
  ~NormalizerPool();
  NormalizerPool(const NormalizerPool&) = delete;
  NormalizerPool& operator=(const NormalizerPool&) = delete;

  // Starts the workers, which checks that the binary and the sandbox work
  // here (the error says why if not). The pool threads start with the
  // first image submitted, so a service that never converts runs none.
  // Call once, before Submit().
  absl::Status Start();

  // Converts `image`; `keep_type`, when set, is kept (a JPEG, PNG, GIF or
  // WebP that is only scaled), else the result is JPEG or PNG. `done` runs
  // exactly once.
  std::shared_ptr<Ticket> Submit(std::shared_ptr<const std::string> image,
                                 std::optional<ImageType> keep_type, Done done);

  // The image's `done` gets CANCELLED (if it has not run): at once on this
  // thread if the image is still queued; if a worker is converting it, the
  // worker is killed (and replaced) and its slot answers. Idempotent.
  void Cancel(const std::shared_ptr<Ticket>& ticket);

  // Whether an image `width`×`height` pixels must be scaled (always false
  // with max_side_px 0).
  bool MustScale(uint32_t width, uint32_t height) const;

  void Shutdown();

  // Images waiting for a worker now.
  size_t queued() const;
  // Workers replaced so far because they failed (crashed, timed out, broke
  // the protocol), not counting retirements.
  uint64_t replaced() const {
    return replaced_.load(std::memory_order_relaxed);
  }

 private:
  struct Job {
    std::shared_ptr<const std::string> image;
    std::optional<ImageType> keep_type;
    Done done;
    std::shared_ptr<Ticket> ticket;
  };
  struct Slot;

  void Serve(Slot& slot);
  // Converts one image on `slot`'s worker, replacing the worker first if
  // it is gone and dropping it after any failure of its own.
  absl::StatusOr<NormalizedBytes> Convert(Slot& slot, const Job& job);
  // Starts a worker for `slot` unless it has a live one.
  absl::Status EnsureWorker(Slot& slot);
  // Publishes `job` as `slot`'s busy image, unless the pool is stopping or
  // the job was cancelled.
  absl::Status Claim(Slot& slot, const Job& job);
  // Sends the image and reads the answer, within the timeout.
  absl::StatusOr<clerk::userimage::internal::v1::NormalizeResponse> Exchange(
      WorkerProcess& worker, const Job& job,
      MemoryBudget::Reservation& reservation) const;
  // What a failed exchange means for the upload; logs and counts it.
  absl::Status WorkerFailed(pid_t pid, const Job& job, const absl::Status& why,
                            uint64_t reserved);
  absl::StatusOr<NormalizedBytes> Accept(
      const std::string& mime_type, std::string data,
      MemoryBudget::Reservation reservation) const;

  const NormalizerOptions options_;
  std::atomic<uint64_t> replaced_{0};
  mutable absl::Mutex mu_;
  std::deque<Job> queue_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Made by Start(), before any thread; each thread then owns its slot's
  // worker.
  std::vector<std::unique_ptr<Slot>> slots_;
  // Started by the first Submit(), joined by Shutdown().
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace userimage

#endif  // SERVER_NORMALIZE_NORMALIZER_POOL_H_
