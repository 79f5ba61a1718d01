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
  // Guarded by the pool's mu_: the worker converting, and for which image.
  pid_t busy_pid = 0;
  const Ticket* busy_ticket = nullptr;
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

absl::Status ShuttingDown() {
  return absl::UnavailableError(
      "the service is shutting down; retry on another replica");
}

absl::Status Cancelled() {
  return absl::CancelledError(
      "the call was cancelled while its image waited for or was in "
      "conversion; nothing was sent to Clerk");
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
  absl::MutexLock lock(&mu_);
  started_ = true;
  return absl::OkStatus();
}

bool NormalizerPool::MustScale(uint32_t width, uint32_t height) const {
  return options_.max_side_px > 0 &&
         std::max(width, height) > options_.max_side_px;
}

std::shared_ptr<NormalizerPool::Ticket> NormalizerPool::Submit(
    std::shared_ptr<const std::string> image,
    std::optional<ImageType> keep_type, Done done) {
  auto ticket = std::make_shared<Ticket>();
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || !started_) {
      refused = ShuttingDown();
    } else if (queue_.size() >= options_.max_queue) {
      refused = QueueFull(options_.max_queue);
    } else {
      queue_.push_back({std::move(image), keep_type, std::move(done), ticket});
      // The threads start with the first image (a service that never
      // converts runs none). A new thread only waits for this lock.
      if (threads_.empty()) {
        for (auto& slot : slots_) {
          threads_.emplace_back([this, s = slot.get()] { Serve(*s); });
        }
      }
      return ticket;
    }
  }
  image.reset();  // The caller's memory goes before the answer, as below.
  std::move(done)(std::move(refused));
  return ticket;
}

void NormalizerPool::Cancel(const std::shared_ptr<Ticket>& ticket) {
  if (ticket == nullptr || ticket->cancelled.exchange(true)) return;
  std::optional<Job> removed;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->ticket == ticket) {
        removed = std::move(*it);
        queue_.erase(it);
        break;
      }
    }
    // Busy: its worker is killed, and the slot answers CANCELLED. The pid
    // is cleared before the worker is reaped, so it is never a reused one.
    for (auto& slot : slots_) {
      if (slot->busy_ticket == ticket.get()) kill(slot->busy_pid, SIGKILL);
    }
  }
  if (!removed) return;
  // The image's memory is released before its caller hears of the cancel.
  Done done = std::move(removed->done);
  removed.reset();
  std::move(done)(Cancelled());
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
    // The input's memory is released before its caller is answered, so a
    // call that is over holds nothing.
    Done done = std::move(job.done);
    job = Job();
    std::move(done)(std::move(result));
  }
  slot.worker.reset();
}

absl::Status NormalizerPool::EnsureWorker(Slot& slot) {
  if (slot.worker != nullptr && slot.worker->Alive()) return absl::OkStatus();
  slot.worker.reset();
  absl::StatusOr<std::unique_ptr<WorkerProcess>> worker = WorkerProcess::Start(
      options_.worker_argv, absl::Now() + options_.start_timeout);
  if (!worker.ok()) return ConverterFailed(worker.status().message());
  slot.worker = *std::move(worker);
  return absl::OkStatus();
}

absl::Status NormalizerPool::Claim(Slot& slot, const Job& job) {
  absl::MutexLock lock(&mu_);
  // Decided with the pid published, so that Shutdown() and Cancel() either
  // see this image as busy (and kill its worker) or it sees them.
  if (stopping_) return ShuttingDown();
  if (job.ticket->cancelled.load()) return Cancelled();
  slot.busy_pid = slot.worker->pid();
  slot.busy_ticket = job.ticket.get();
  return absl::OkStatus();
}

absl::StatusOr<NormalizedBytes> NormalizerPool::Convert(Slot& slot,
                                                        const Job& job) {
  if (absl::Status s = EnsureWorker(slot); !s.ok()) return s;
  if (absl::Status s = Claim(slot, job); !s.ok()) return s;
  const pid_t pid = slot.worker->pid();
  MemoryBudget::Reservation reservation = options_.budget->Open();
  absl::StatusOr<NormalizeResponse> response =
      Exchange(*slot.worker, job, reservation);
  {
    absl::MutexLock lock(&mu_);
    slot.busy_pid = 0;
    slot.busy_ticket = nullptr;
  }
  if (!response.ok()) {
    slot.worker.reset();
    return WorkerFailed(pid, job, response.status(), reservation.bytes());
  }
  if (slot.worker->CpuUsed() >= options_.retire_after_cpu) {
    slot.worker.reset();  // Its answer is in; the next image gets a new one.
  }
  if (response->has_failure()) return FromFailure(response->failure());
  return Accept(response->image().mime_type(),
                std::move(*response->mutable_image()->mutable_data()),
                std::move(reservation));
}

absl::StatusOr<NormalizeResponse> NormalizerPool::Exchange(
    WorkerProcess& worker, const Job& job,
    MemoryBudget::Reservation& reservation) const {
  NormalizeRequest request;
  request.set_max_side_px(options_.max_side_px);
  request.set_max_image_side_px(options_.limits.max_side);
  request.set_max_image_pixels(options_.limits.max_pixels);
  request.set_max_output_bytes(options_.max_output_bytes);
  if (job.keep_type) {
    request.set_keep_mime_type(std::string(MimeType(*job.keep_type)));
  }
  const absl::Time deadline = absl::Now() + options_.timeout;
  if (absl::Status s = worker.Send(request, *job.image, deadline); !s.ok()) {
    return s;
  }
  if (options_.test_after_send) options_.test_after_send(worker.pid());
  return worker.Receive(deadline, options_.max_output_bytes + kResponseOverhead,
                        [&](size_t size) { return reservation.Resize(size); });
}

absl::Status NormalizerPool::WorkerFailed(pid_t pid, const Job& job,
                                          const absl::Status& why,
                                          uint64_t reserved) {
  if (job.ticket->cancelled.load()) return Cancelled();  // Killed for it.
  const bool over_budget = absl::IsOutOfRange(why) && reserved == 0;
  if (!over_budget) replaced_.fetch_add(1, std::memory_order_relaxed);
  LogEvent(LogLevel::kWarning, "normalize_worker_replaced",
           {{"pid", LogNumber(pid)}, {"reason", LogString(why.message())}});
  if (over_budget) return MemoryBudgetExhausted();
  return ConverterFailed(
      absl::IsDeadlineExceeded(why)
          ? absl::StrCat("it took longer than ",
                         absl::FormatDuration(options_.timeout))
          : why.message());
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
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    abandoned.swap(queue_);
    threads.swap(threads_);
    // A pid is cleared before its worker is reaped, so this never signals
    // a reused pid.
    for (auto& slot : slots_) {
      if (slot->busy_pid != 0) kill(slot->busy_pid, SIGKILL);
    }
  }
  // The images' memory is released before their callers are answered.
  std::vector<Done> answers;
  for (Job& job : abandoned) answers.push_back(std::move(job.done));
  abandoned.clear();
  for (Done& done : answers) std::move(done)(ShuttingDown());
  for (std::thread& thread : threads) thread.join();
  // Workers of slots whose thread never started.
  for (auto& slot : slots_) slot->worker.reset();
}

}  // namespace userimage
