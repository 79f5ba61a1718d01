#include "server/normalize/normalizer_pool.h"

#include <signal.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "clerk/userimage/internal/v1/normalize.pb.h"
#include "google/rpc/error_details.pb.h"
#include "server/image/image_info.h"
#include "server/log/json_log.h"
#include "server/normalize/worker_process.h"
#include "server/status/status_details.h"

namespace userimage {

using clerk::userimage::internal::v1::NormalizeFailure;
using clerk::userimage::internal::v1::NormalizeRequest;
using clerk::userimage::internal::v1::NormalizeResponse;

// Room for the answer's framing beside the image bytes.
constexpr size_t kResponseOverhead = 4096;

struct NormalizerPool::Slot {
  std::unique_ptr<WorkerProcess> worker;  // Used by the slot's thread only.
  pid_t busy_pid = 0;  // Guarded by the pool's mu_: the worker converting.
};

namespace {

absl::Status QueueFull(size_t max_queue) {
  absl::Status status = absl::ResourceExhaustedError(absl::StrFormat(
      "%d images are already waiting to be converted; retry shortly",
      max_queue));
  SetRetryDelay(status, absl::Seconds(1));
  google::rpc::ErrorInfo info;
  info.set_reason("NORMALIZE_QUEUE_FULL");
  info.set_domain(std::string(kServiceErrorDomain));
  SetDetail(status, info);
  return status;
}

absl::Status ConverterFailed(absl::string_view what) {
  return absl::InternalError(
      absl::StrCat("the image could not be converted (", what,
                   "); nothing was sent to Clerk: retry, or send a JPEG or "
                   "PNG"));
}

absl::Status FromFailure(const NormalizeFailure& failure) {
  switch (failure.kind()) {
    case NormalizeFailure::KIND_UNDECODABLE:
      return InvalidFieldError("chunk", "UNDECODABLE_IMAGE", failure.message());
    case NormalizeFailure::KIND_DIMENSIONS:
      return InvalidFieldError("chunk", "IMAGE_DIMENSIONS", failure.message());
    case NormalizeFailure::KIND_TOO_LARGE:
      return InvalidFieldError("chunk", "IMAGE_TOO_LARGE", failure.message());
    default:
      return ConverterFailed(failure.message());
  }
}

}  // namespace

NormalizerPool::NormalizerPool(NormalizerOptions options)
    : options_(std::move(options)) {}

NormalizerPool::~NormalizerPool() { Shutdown(); }

absl::Status NormalizerPool::Start() {
  for (int i = 0; i < std::max(options_.workers, 1); ++i) {
    auto slot = std::make_unique<Slot>();
    absl::StatusOr<std::unique_ptr<WorkerProcess>> worker =
        WorkerProcess::Start(options_.worker_argv,
                             absl::Now() + options_.start_timeout);
    if (!worker.ok()) return worker.status();
    slot->worker = *std::move(worker);
    slots_.push_back(std::move(slot));
  }
  for (auto& slot : slots_) {
    threads_.emplace_back([this, s = slot.get()] { Serve(*s); });
  }
  return absl::OkStatus();
}

bool NormalizerPool::MustScale(uint32_t width, uint32_t height) const {
  return options_.max_side_px > 0 &&
         std::max(width, height) > options_.max_side_px;
}

void NormalizerPool::Submit(std::shared_ptr<const std::string> image,
                            std::optional<ImageType> keep_type, Done done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || threads_.empty()) {
      refused = absl::UnavailableError(
          "the service is shutting down; retry on another replica");
    } else if (queue_.size() >= options_.max_queue) {
      refused = QueueFull(options_.max_queue);
    } else {
      queue_.push_back({std::move(image), keep_type, std::move(done)});
      return;
    }
  }
  std::move(done)(std::move(refused));
}

void NormalizerPool::Serve(Slot& slot) {
  for (;;) {
    Job job;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](NormalizerPool* pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mu_) {
            return pool->stopping_ || !pool->queue_.empty();
          },
          this));
      if (queue_.empty()) break;  // Stopping.
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    absl::StatusOr<NormalizedBytes> result = Convert(slot, job);
    std::move(job.done)(std::move(result));
  }
  slot.worker.reset();
}

absl::StatusOr<NormalizedBytes> NormalizerPool::Convert(Slot& slot,
                                                        const Job& job) {
  if (slot.worker == nullptr || !slot.worker->Alive()) {
    slot.worker.reset();
    absl::StatusOr<std::unique_ptr<WorkerProcess>> worker =
        WorkerProcess::Start(options_.worker_argv,
                             absl::Now() + options_.start_timeout);
    if (!worker.ok()) return ConverterFailed(worker.status().message());
    slot.worker = *std::move(worker);
  }
  NormalizeRequest request;
  request.set_image(*job.image);
  request.set_max_side_px(options_.max_side_px);
  request.set_max_image_side_px(options_.limits.max_side);
  request.set_max_image_pixels(options_.limits.max_pixels);
  request.set_max_output_bytes(options_.max_output_bytes);
  if (job.keep_type) {
    request.set_keep_mime_type(std::string(MimeType(*job.keep_type)));
  }
  const pid_t pid = slot.worker->pid();
  {
    absl::MutexLock lock(&mu_);
    slot.busy_pid = pid;
  }
  const absl::Time deadline = absl::Now() + options_.timeout;
  MemoryBudget::Reservation reservation = options_.budget->Open();
  absl::Status sent = slot.worker->Send(request, deadline);
  request.Clear();
  if (sent.ok() && options_.test_after_send) options_.test_after_send(pid);
  absl::StatusOr<NormalizeResponse> response =
      sent.ok() ? slot.worker->Receive(
                      deadline, options_.max_output_bytes + kResponseOverhead,
                      [&](size_t size) { return reservation.Resize(size); })
                : absl::StatusOr<NormalizeResponse>(sent);
  {
    absl::MutexLock lock(&mu_);
    slot.busy_pid = 0;
  }
  if (!response.ok()) {
    slot.worker.reset();
    replaced_.fetch_add(1, std::memory_order_relaxed);
    LogEvent(LogLevel::kWarning, "normalize_worker_replaced",
             {{"pid", LogNumber(pid)},
              {"reason", LogString(response.status().message())}});
    if (absl::IsOutOfRange(response.status()) && reservation.bytes() == 0) {
      return MemoryBudgetExhausted();
    }
    return ConverterFailed(
        absl::IsDeadlineExceeded(response.status())
            ? absl::StrCat("it took longer than ",
                           absl::FormatDuration(options_.timeout))
            : response.status().message());
  }
  if (slot.worker->CpuUsed() >= options_.retire_after_cpu) {
    slot.worker.reset();  // Its answer is in; the next image gets a new one.
  }
  if (response->has_failure()) return FromFailure(response->failure());
  return Accept(response->image().mime_type(),
                std::move(*response->mutable_image()->mutable_data()),
                std::move(reservation));
}

absl::StatusOr<NormalizedBytes> NormalizerPool::Accept(
    const std::string& mime_type, std::string data,
    MemoryBudget::Reservation reservation) const {
  const std::optional<ImageType> type = SniffImageType(data);
  absl::StatusOr<ImageInfo> info =
      type ? InspectImage(data) : absl::InvalidArgumentError("unknown type");
  const bool fits =
      info.ok() && ImageTypeFromMimeType(mime_type) == type &&
      CheckDimensions(*info, options_.limits).ok() &&
      (options_.max_side_px == 0 ||
       std::max(info->width, info->height) <= options_.max_side_px) &&
      data.size() <= options_.max_output_bytes;
  if (!fits) return ConverterFailed("it returned an invalid image");
  struct Held {
    std::string bytes;
    MemoryBudget::Reservation reservation;
  };
  auto held = std::make_shared<Held>(Held{std::move(data), {}});
  held->reservation = std::move(reservation);
  // Counted as what it now holds (shrinking cannot fail).
  held->reservation.Resize(held->bytes.capacity());
  return NormalizedBytes{
      .type = *type,
      .bytes = std::shared_ptr<const std::string>(held, &held->bytes),
      .width = info->width,
      .height = info->height};
}

size_t NormalizerPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void NormalizerPool::Shutdown() {
  std::deque<Job> abandoned;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    abandoned.swap(queue_);
    // A pid is cleared before its worker is reaped, so this never signals
    // a reused pid.
    for (auto& slot : slots_) {
      if (slot->busy_pid != 0) kill(slot->busy_pid, SIGKILL);
    }
  }
  for (Job& job : abandoned) {
    std::move(job.done)(absl::UnavailableError(
        "the service is shutting down; retry on another replica"));
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

}  // namespace userimage
